/* netns.h - named network namespaces as `ip netns` keeps them: a bind mount of the namespace
 * at /run/netns/NAME. Creation and entry happen on a helper thread, so the caller's own
 * namespace never changes. */
#ifndef SLUICE_NETNS_H
#define SLUICE_NETNS_H

#include <stdbool.h>
#include <stddef.h>

#define NETNS_RUN_DIR "/run/netns"
#define NETNS_NAME_MAX 64

/* A valid name: 1 to NETNS_NAME_MAX characters from [A-Za-z0-9_.-], not "." or "..". */
bool netns_name_valid(const char *name);
bool netns_exists(const char *name);

/* Work done inside namespace number i, on the helper thread: descriptors it opens there
 * (sockets, /dev/net/tun) stay bound to that namespace. 0, or -1 with an error. */
typedef int (*netns_inside_fn)(void *arg, unsigned i, char *err, size_t errlen);

/* Creates the named namespaces names[0..n-1] and, if `inside` is not NULL, runs it inside
 * each right after creating it. nsfds (if not NULL) receives a descriptor of each. Returns how
 * many were created (and their `inside` succeeded), in order; when fewer than n, err says why
 * the next one failed and that one is already undone. A name that exists is an error. */
unsigned netns_create_many(const char *const *names, unsigned n, int *nsfds, netns_inside_fn inside,
                           void *arg, char *err, size_t errlen);

/* Runs `inside` in the namespace of each nsfds[i]. Returns how many succeeded, in order. */
unsigned netns_enter_many(const int *nsfds, unsigned n, netns_inside_fn inside, void *arg,
                          char *err, size_t errlen);

/* A descriptor of the named namespace, or -1 (errno set). */
int netns_open(const char *name);

/* Removes the name (detaches the bind mount, deletes the file); the namespace itself ends
 * when nothing else holds it. 0 or -1 with an error. */
int netns_delete(const char *name, char *err, size_t errlen);

#endif

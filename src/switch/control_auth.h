/* control_auth.h - who may call what on the control sockets: the rights a connection gets
 * from the credentials it had when it was accepted, and the check of a method against them. */
#ifndef SLUICE_CONTROL_AUTH_H
#define SLUICE_CONTROL_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CONN_ROOT 1u         /* the peer's uid is 0 */
#define CONN_ADMIN 2u        /* the peer is in the admin group */
#define CONN_CAPTURE 4u      /* the peer is in the capture group */
#define CONN_CAPTURE_SOCK 8u /* accepted on the capture socket: no configuration methods */

/* The peer's identity as the kernel recorded it at connect(). */
struct peer_creds {
    uid_t uid;
    gid_t gid;
    pid_t pid;
};

/* Rights from the peer's uid, primary gid and supplementary groups. A group id of
 * (gid_t)-1 names no group. */
unsigned control_rights(const struct peer_creds *c, const gid_t *groups, size_t ngroups,
                        gid_t admin_gid, gid_t capture_gid, bool capture_sock);

/* True when a connection with these rights may call a method with these RPC_F_* flags. */
bool control_allows(unsigned rights, unsigned method_flags);

/* Reads SO_PEERCRED and SO_PEERGROUPS of an accepted socket and returns its rights.
 * 0, or -1 with errno when the kernel would not say who the peer is. */
int control_peer_rights(int fd, gid_t admin_gid, gid_t capture_gid, bool capture_sock,
                        struct peer_creds *creds, unsigned *rights);

#endif

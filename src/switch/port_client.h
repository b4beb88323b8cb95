/* port_client.h - what a port may take from the client that added it: files the client
 * opened and passed, and socket paths limited to the socket directory for non-root clients. */
#ifndef SLUICE_PORT_CLIENT_H
#define SLUICE_PORT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "control.h"
#include "port.h"

#define PORT_CLIENT_DEFAULT_SOCKET_DIR "/run/sluice/sockets"

/* sluiced --socket-dir: where non-root clients' sockets go; created (0755) when first
 * needed. The control socket's path is never given to a client's socket. 0 or -1 (logged). */
int port_client_set_socket_dir(const char *dir, const char *control_path);
const char *port_client_socket_dir(void);

/* Internal arguments of a port added by a client: "_uid" when it is not root, "_fd_KEY" for
 * each descriptor params.fds maps to an option KEY. Returns 0 or -1 with err. */
int port_client_args(const struct rpc_ctx *ctx, const char *type, const struct json *params,
                     struct port_args *out, char *err, size_t errlen);
/* The stored configuration keeps who added a port, so a restart applies the same rules. */
void port_client_save(struct jw *w, const struct port *p);
void port_client_restore(const struct json *saved, struct port_args *out);

/* True when root added the port (or the stored configuration did, for root). */
bool port_client_is_root(const struct port *p);
/* For port kinds, in open: the descriptor passed for option `key`, duplicated (close-on-exec)
 * and forgotten by the port's arguments; *fd is -1 when none was passed. 0 or -1 with err. */
int port_client_take_fd(struct port *p, const char *key, int *fd, char *err, size_t errlen);
/* For port kinds, in open: the socket path to bind for `path`: as given when root added the
 * port, otherwise checked against the socket directory and resolved. 0 or -1 with err. */
int port_client_socket_path(const struct port *p, const char *path, char *out, size_t outlen,
                            char *err, size_t errlen);

#endif

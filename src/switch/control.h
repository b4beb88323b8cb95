/* control.h - the control socket's method table and the context a method runs in.
 * Methods run on the management thread, one at a time. */
#ifndef SLUICE_CONTROL_H
#define SLUICE_CONTROL_H

#include <stdbool.h>
#include <sys/types.h>

#include "json.h"
#include "registry.h"
#include "rpc.h"

struct rpc_conn;
struct rpc_request;

struct rpc_ctx {
    struct rpc_conn *conn;
    uint64_t conn_id; /* unique for the daemon's lifetime */
    uid_t uid;
    gid_t gid;
    pid_t pid;
    struct jw *out;       /* write exactly one JSON value: the result */
    int fds[RPC_MAX_FDS]; /* descriptors sent with the reply, then closed by the switch */
    unsigned nfds;
    /* Descriptors the client sent with the request, closed after the method returns: a method
     * that keeps one duplicates it. They let a client hand over files it opened itself. */
    int req_fds[RPC_MAX_FDS];
    unsigned req_nfds;
    int err_code;
    char err[512];
};

typedef int (*rpc_fn)(struct rpc_ctx *ctx, const struct json *params);

#define RPC_F_CONFIG 1u  /* changes the configuration: root or the admin group */
#define RPC_F_CAPTURE 2u /* opens captures: root or the capture group */

struct rpc_method {
    const char *name;
    rpc_fn fn;
    unsigned flags;
};
#define RPC_METHOD(ident, ...) SLUICE_REGISTER(sluice_rpc, struct rpc_method, ident, __VA_ARGS__)

/* Sets the error reply and returns -1, for `return rpc_fail(ctx, ...)`. */
int rpc_fail(struct rpc_ctx *ctx, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The receive path up to running a method: decodes one message, finds its method and checks
 * it against the connection's CONN_* rights. Returns the method, or NULL with the error set in
 * ctx. req is always set; release it with rpc_request_free. */
const struct rpc_method *control_route(const char *msg, size_t len, bool truncated, unsigned rights,
                                       struct rpc_request *req, struct rpc_ctx *ctx);

/* Called when a client connection closes (orderly or not), with its conn_id. */
struct rpc_close_hook {
    void (*fn)(uint64_t conn_id);
};
#define RPC_CLOSE_HOOK(ident, ...)                                                                 \
    SLUICE_REGISTER(sluice_rpc_close, struct rpc_close_hook, ident, __VA_ARGS__)

/* A part of the stored configuration: `save` writes one JSON value, `restore` replays it at
 * start (before clients connect). Sections are saved together, atomically. */
struct config_section {
    const char *name;
    void (*save)(struct jw *w);
    int (*restore)(const struct json *value, char *err, size_t errlen);
    int order; /* lower restores first: ports before flows */
};
#define CONFIG_SECTION(ident, ...)                                                                 \
    SLUICE_REGISTER(sluice_config, struct config_section, ident, __VA_ARGS__)

/* Writes every section to the state directory (temp file, fsync, rename). 0 or -1. */
int config_save(void);
/* The same, saying why on failure ("cannot write DIR/.config.json.tmp: Permission denied").
 * A method whose change could not be saved undoes it, or says that it is live but unsaved. */
int config_save_err(char *why, size_t whylen);

#endif

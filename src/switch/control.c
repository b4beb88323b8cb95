/* control.c - the control socket: accepts clients, reads one JSON-RPC request per message,
 * checks the caller's credentials against the method's needs, runs it, and replies. */
#include "control.h"

#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control_auth.h"
#include "log.h"
#include "mainloop.h"
#include "rpc.h"
#include "rpc_request.h"

#define MAX_CLIENTS 256

struct rpc_conn {
    int fd;
    uint64_t id;
    struct peer_creds cred;
    unsigned rights; /* CONN_*, fixed at accept */
};

/* The main socket, and with a capture group of its own the capture socket beside it. */
struct listener {
    int fd;
    bool capture;
    char path[108];
};
static struct listener listeners[2] = {{.fd = -1}, {.fd = -1}};
static gid_t admin_gid = (gid_t)-1;
static gid_t capture_gid = (gid_t)-1;
static uint64_t next_conn_id = 1;
static unsigned nclients;
static char *msgbuf;

int rpc_fail(struct rpc_ctx *ctx, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->err, sizeof(ctx->err), fmt, ap);
    va_end(ap);
    ctx->err_code = code;
    return -1;
}

static const struct rpc_method *find_method(const char *name)
{
    SLUICE_FOREACH(sluice_rpc, struct rpc_method, it)
    {
        if (strcmp((*it)->name, name) == 0)
            return *it;
    }
    return NULL;
}

static void send_reply(struct rpc_conn *c, const char *id_json, struct rpc_ctx *ctx, bool ok)
{
    struct jw w;
    jw_init(&w);
    jw_obj_begin(&w);
    jw_kstr(&w, "jsonrpc", "2.0");
    jw_key(&w, "id");
    jw_raw(&w, id_json ? id_json : "null");
    if (ok) {
        jw_key(&w, "result");
        const char *r = ctx->out ? jw_text(ctx->out) : NULL;
        jw_raw(&w, r && *r ? r : "{}");
    } else {
        jw_key(&w, "error");
        jw_obj_begin(&w);
        jw_kint(&w, "code", ctx->err_code);
        jw_kstr(&w, "message", ctx->err);
        jw_obj_end(&w);
    }
    jw_obj_end(&w);
    const char *text = jw_text(&w);
    if (!text || strlen(text) > RPC_MAX_MSG) {
        ctx->nfds = 0;
        static const char too_big[] = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32603,"
                                      "\"message\":\"reply too large\"}}";
        rpc_send(c->fd, too_big, sizeof(too_big) - 1, NULL, 0);
    } else if (rpc_send(c->fd, text, strlen(text), ctx->fds, ok ? ctx->nfds : 0) < 0) {
        log_debug("control: reply to client %llu failed: %s", (unsigned long long)c->id,
                  strerror(errno));
    }
    jw_free(&w);
}

static void close_conn(struct rpc_conn *c)
{
    mainloop_del(c->fd);
    close(c->fd);
    nclients--;
    SLUICE_FOREACH(sluice_rpc_close, struct rpc_close_hook, it)
    {
        (*it)->fn(c->id);
    }
    log_debug("control: client %llu (pid %d) closed", (unsigned long long)c->id, (int)c->cred.pid);
    free(c);
}

const struct rpc_method *control_route(const char *msg, size_t len, bool truncated, unsigned rights,
                                       struct rpc_request *req, struct rpc_ctx *ctx)
{
    memset(req, 0, sizeof(*req));
    snprintf(req->id_json, sizeof(req->id_json), "null");
    if (truncated) {
        rpc_fail(ctx, RPC_ERR_INVALID, "message too large (limit %d bytes)", RPC_MAX_MSG);
        return NULL;
    }
    char err[256];
    int code = rpc_request_decode(msg, len, req, err, sizeof(err));
    if (code) {
        rpc_fail(ctx, code, "%s", err);
        return NULL;
    }
    const struct rpc_method *m = find_method(req->method);
    if (!m) {
        rpc_fail(ctx, RPC_ERR_NO_METHOD, "no such method: %s", req->method);
        return NULL;
    }
    if (control_allows(rights, m->flags))
        return m;
    if ((m->flags & RPC_F_CONFIG) && (rights & CONN_CAPTURE_SOCK))
        rpc_fail(ctx, RPC_ERR_PERM,
                 "permission denied: %s is not served on the capture socket (use the main "
                 "socket)",
                 req->method);
    else
        rpc_fail(ctx, RPC_ERR_PERM, "permission denied: %s needs root or the %s group", req->method,
                 (m->flags & RPC_F_CONFIG) ? "admin" : "capture");
    return NULL;
}

static void handle_message(struct rpc_conn *c, const char *msg, size_t len, bool truncated,
                           const int *req_fds, unsigned req_nfds)
{
    struct rpc_ctx ctx = {
        .conn = c, .conn_id = c->id, .uid = c->cred.uid, .gid = c->cred.gid, .pid = c->cred.pid};
    for (unsigned i = 0; i < req_nfds; i++)
        ctx.req_fds[i] = req_fds[i];
    ctx.req_nfds = req_nfds;
    struct rpc_request req;
    const struct rpc_method *m = control_route(msg, len, truncated, c->rights, &req, &ctx);
    if (ctx.err_code == RPC_ERR_PERM)
        log_warn("control: pid %d uid %d denied %s", (int)c->cred.pid, (int)c->cred.uid,
                 req.method);
    bool ok = false;
    struct jw out;
    jw_init(&out);
    if (m && !ctx.err_code) {
        ctx.out = &out;
        ok = m->fn(&ctx, req.params) == 0;
        if (!ok && !ctx.err_code)
            rpc_fail(&ctx, RPC_ERR_INTERNAL, "%s failed", req.method);
    }
    send_reply(c, req.id_json, &ctx, ok);
    for (unsigned i = 0; i < ctx.nfds; i++)
        close(ctx.fds[i]);
    for (unsigned i = 0; i < ctx.req_nfds; i++)
        close(ctx.req_fds[i]);
    jw_free(&out);
    rpc_request_free(&req);
}

static void on_client(void *arg, uint32_t events)
{
    struct rpc_conn *c = arg;
    if (events & EPOLLIN) {
        int fds[RPC_MAX_FDS];
        unsigned nfds = RPC_MAX_FDS;
        bool truncated = false;
        ssize_t n = rpc_recv(c->fd, msgbuf, RPC_MAX_MSG + 1, fds, &nfds, &truncated);
        if (n > 0 || (n == 0 && truncated)) {
            handle_message(c, msgbuf, (size_t)n, truncated, fds, nfds);
            return;
        }
        for (unsigned i = 0; i < nfds; i++)
            close(fds[i]);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        close_conn(c);
        return;
    }
    if (events & (EPOLLHUP | EPOLLERR))
        close_conn(c);
}

static void on_listen(void *arg, uint32_t events)
{
    const struct listener *l = arg;
    (void)events;
    int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0)
        return;
    if (nclients >= MAX_CLIENTS) {
        log_warn("control: too many clients, refusing one");
        close(fd);
        return;
    }
    struct rpc_conn *c = calloc(1, sizeof(*c));
    if (!c ||
        control_peer_rights(fd, admin_gid, capture_gid, l->capture, &c->cred, &c->rights) < 0) {
        log_warn("control: refusing a client whose credentials cannot be read: %s",
                 strerror(errno));
        free(c);
        close(fd);
        return;
    }
    c->fd = fd;
    c->id = next_conn_id++;
    if (mainloop_add(fd, EPOLLIN, on_client, c) < 0) {
        free(c);
        close(fd);
        return;
    }
    nclients++;
    log_debug("control: client %llu pid %d uid %d connected%s%s%s%s", (unsigned long long)c->id,
              (int)c->cred.pid, (int)c->cred.uid, (c->rights & CONN_ROOT) ? " root" : "",
              (c->rights & CONN_ADMIN) ? " admin" : "",
              (c->rights & CONN_CAPTURE) ? " capture" : "", l->capture ? " (capture socket)" : "");
}

static bool socket_in_use(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
    int probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    bool live = probe >= 0 && connect(probe, (struct sockaddr *)&addr, sizeof(addr)) == 0;
    if (probe >= 0)
        close(probe);
    return live;
}

/* Only a socket is removed: the path is derived from --sock and may name a user's file. */
static void remove_stale_socket(const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path);
}

static int open_listener(struct listener *l, gid_t group)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", l->path);
    l->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (l->fd < 0) {
        log_err("socket: %s", strerror(errno));
        return -1;
    }
    /* Created without any access for others, so no client can connect before the owner
     * and mode below are set. */
    mode_t old = umask(0177);
    int rc = bind(l->fd, (struct sockaddr *)&addr, sizeof(addr));
    umask(old);
    if (rc < 0) {
        log_err("cannot bind %s: %s", l->path, strerror(errno));
        return -1;
    }
    if (chown(l->path, 0, group) < 0 && geteuid() == 0) {
        log_err("cannot set the owner of %s: %s", l->path, strerror(errno));
        return -1;
    }
    if (chmod(l->path, 0660) < 0) {
        log_err("cannot set the mode of %s: %s", l->path, strerror(errno));
        return -1;
    }
    if (listen(l->fd, 64) < 0 || mainloop_add(l->fd, EPOLLIN, on_listen, l) < 0) {
        log_err("cannot listen on %s: %s", l->path, strerror(errno));
        return -1;
    }
    return 0;
}

int control_init(const char *path, const char *admin_group, const char *capture_group)
{
    msgbuf = malloc(RPC_MAX_MSG + 2);
    if (!msgbuf)
        return -1;
    if (admin_group) {
        struct group *g = getgrnam(admin_group);
        if (!g) {
            log_err("no such group: %s", admin_group);
            return -1;
        }
        admin_gid = g->gr_gid;
    }
    capture_gid = admin_gid;
    if (capture_group) {
        struct group *g = getgrnam(capture_group);
        if (!g) {
            log_err("no such group: %s", capture_group);
            return -1;
        }
        capture_gid = g->gr_gid;
    }
    struct listener *main_l = &listeners[0], *cap_l = &listeners[1];
    if (strlen(path) >= sizeof(main_l->path)) {
        log_err("socket path too long: %s", path);
        return -1;
    }
    snprintf(main_l->path, sizeof(main_l->path), "%s", path);
    if (snprintf(cap_l->path, sizeof(cap_l->path), "%s" RPC_CAPTURE_SOCK_SUFFIX, path) >=
        (int)sizeof(cap_l->path)) {
        log_err("socket path too long for its capture socket: %s" RPC_CAPTURE_SOCK_SUFFIX, path);
        return -1;
    }
    cap_l->capture = true;
    /* A live daemon on the path keeps it; a stale socket file from a crash is replaced. */
    if (socket_in_use(main_l->path)) {
        log_err("another sluiced is running on %s", path);
        return -1;
    }
    unlink(main_l->path);
    remove_stale_socket(cap_l->path);
    gid_t main_group = admin_gid == (gid_t)-1 ? 0 : admin_gid;
    if (open_listener(main_l, main_group) < 0)
        return -1;
    log_info("control socket %s (mode 0660, group %u)", main_l->path, (unsigned)main_group);
    /* Members of a capture group of their own cannot open the admin socket: they get a
     * socket whose group is theirs and which serves reading and capturing only. */
    if (capture_gid != (gid_t)-1 && capture_gid != admin_gid) {
        if (open_listener(cap_l, capture_gid) < 0)
            return -1;
        log_info("capture socket %s (mode 0660, group %u)", cap_l->path, (unsigned)capture_gid);
    }
    return 0;
}

void control_shutdown(void)
{
    for (unsigned i = 0; i < 2; i++) {
        struct listener *l = &listeners[i];
        if (l->fd >= 0) {
            mainloop_del(l->fd);
            close(l->fd);
            unlink(l->path);
            l->fd = -1;
        }
    }
}

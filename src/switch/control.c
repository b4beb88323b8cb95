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

#include "log.h"
#include "mainloop.h"
#include "rpc.h"
#include "rpc_request.h"

#define MAX_CLIENTS 256

struct rpc_conn {
    int fd;
    uint64_t id;
    struct ucred cred;
};

static int listen_fd = -1;
static char sock_path[108];
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

/* Membership in a group counts whether it is the primary or a supplementary group of the
 * client process, as the kernel reports it at the time of the request. */
static bool in_group(const struct ucred *c, gid_t g)
{
    if (g == (gid_t)-1)
        return false;
    if (c->gid == g)
        return true;
    char path[64], line[4096];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)c->pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool found = false;
    while (!found && fgets(line, sizeof(line), f)) {
        if (strncmp(line, "Groups:", 7) != 0)
            continue;
        char *save = NULL;
        for (char *t = strtok_r(line + 7, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save))
            if ((gid_t)strtoul(t, NULL, 10) == g)
                found = true;
    }
    fclose(f);
    return found;
}

static bool allowed(const struct rpc_conn *c, unsigned flags)
{
    if (c->cred.uid == 0)
        return true;
    if ((flags & RPC_F_CONFIG) && !in_group(&c->cred, admin_gid))
        return false;
    if ((flags & RPC_F_CAPTURE) && !in_group(&c->cred, capture_gid))
        return false;
    return true;
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

static void handle_message(struct rpc_conn *c, const char *msg, size_t len, bool truncated,
                           const int *req_fds, unsigned req_nfds)
{
    struct rpc_ctx ctx = {
        .conn = c, .conn_id = c->id, .uid = c->cred.uid, .gid = c->cred.gid, .pid = c->cred.pid};
    for (unsigned i = 0; i < req_nfds; i++)
        ctx.req_fds[i] = req_fds[i];
    ctx.req_nfds = req_nfds;
    if (truncated) {
        rpc_fail(&ctx, RPC_ERR_INVALID, "message too large (limit %d bytes)", RPC_MAX_MSG);
        send_reply(c, NULL, &ctx, false);
        return;
    }
    struct rpc_request req;
    char err[256];
    const struct rpc_method *m = NULL;
    int code = rpc_request_decode(msg, len, &req, err, sizeof(err));
    if (code) {
        rpc_fail(&ctx, code, "%s", err);
    } else if (!(m = find_method(req.method))) {
        rpc_fail(&ctx, RPC_ERR_NO_METHOD, "no such method: %s", req.method);
    } else if (!allowed(c, m->flags)) {
        rpc_fail(&ctx, RPC_ERR_PERM, "permission denied: %s needs root or the %s group", req.method,
                 (m->flags & RPC_F_CAPTURE) ? "capture" : "admin");
        log_warn("control: pid %d uid %d denied %s", (int)c->cred.pid, (int)c->cred.uid,
                 req.method);
    }
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
    (void)arg;
    (void)events;
    int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0)
        return;
    if (nclients >= MAX_CLIENTS) {
        log_warn("control: too many clients, refusing one");
        close(fd);
        return;
    }
    struct rpc_conn *c = calloc(1, sizeof(*c));
    socklen_t len = sizeof(c->cred);
    if (!c || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->cred, &len) < 0) {
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
    log_debug("control: client %llu pid %d uid %d connected", (unsigned long long)c->id,
              (int)c->cred.pid, (int)c->cred.uid);
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
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(addr.sun_path)) {
        log_err("socket path too long: %s", path);
        return -1;
    }
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
    snprintf(sock_path, sizeof(sock_path), "%s", path);
    listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (listen_fd < 0)
        return -1;
    /* A live daemon on the path keeps it; a stale socket file from a crash is replaced. */
    int probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (probe >= 0 && connect(probe, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
        close(probe);
        log_err("another sluiced is running on %s", path);
        return -1;
    }
    if (probe >= 0)
        close(probe);
    unlink(path);
    mode_t old = umask(0117);
    int rc = bind(listen_fd, (struct sockaddr *)&addr, sizeof(addr));
    umask(old);
    if (rc < 0) {
        log_err("cannot bind %s: %s", path, strerror(errno));
        return -1;
    }
    if (chown(path, 0, admin_gid == (gid_t)-1 ? 0 : admin_gid) < 0 && geteuid() == 0)
        log_warn("cannot set the owner of %s: %s", path, strerror(errno));
    chmod(path, 0660);
    if (listen(listen_fd, 64) < 0 || mainloop_add(listen_fd, EPOLLIN, on_listen, NULL) < 0)
        return -1;
    log_info("control socket %s (mode 0660)", path);
    return 0;
}

void control_shutdown(void)
{
    if (listen_fd >= 0) {
        close(listen_fd);
        unlink(sock_path);
        listen_fd = -1;
    }
}

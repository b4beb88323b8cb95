/* rpc.c - control-protocol framing: one JSON-RPC message per SOCK_SEQPACKET packet with
 * descriptors as SCM_RIGHTS, and the client's connect and call. */
#include "rpc.h"

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Room for a full set of descriptors (anything beyond it is discarded by the kernel) and for
 * credentials, which arrive with every message on a socket with SO_PASSCRED. */
union rpc_cmsg_buf {
    char buf[CMSG_SPACE(sizeof(int) * RPC_MAX_FDS) + CMSG_SPACE(sizeof(struct ucred))];
    struct cmsghdr align;
};

int rpc_send(int fd, const char *msg, size_t len, const int *fds, unsigned nfds)
{
    /* An empty packet would read as an orderly close on the other side. */
    if (len == 0 || nfds > RPC_MAX_FDS || (nfds && !fds)) {
        errno = EINVAL;
        return -1;
    }
    if (len > RPC_MAX_MSG) {
        errno = EMSGSIZE;
        return -1;
    }
    struct iovec iov = {.iov_base = (void *)msg, .iov_len = len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    union rpc_cmsg_buf cbuf;
    if (nfds) {
        memset(&cbuf, 0, sizeof(cbuf));
        mh.msg_control = cbuf.buf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    }
    ssize_t n;
    bool raised = false;
    for (;;) {
        n = sendmsg(fd, &mh, MSG_NOSIGNAL);
        if (n >= 0)
            break;
        if (errno == EINTR)
            continue;
        /* A packet must fit the socket's send buffer, whose default (about 208 KiB) is
         * below RPC_MAX_MSG: raise it once, when a message first needs it. */
        if (errno == EMSGSIZE && !raised) {
            int size = RPC_MAX_MSG + 64 * 1024;
            raised = true;
            if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)) == 0)
                continue;
            errno = EMSGSIZE;
        }
        return -1;
    }
    if ((size_t)n != len) {
        errno = EMSGSIZE; /* a packet socket sends all or nothing; anything else is wrong */
        return -1;
    }
    return 0;
}

static void close_fds(int *fds, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        close(fds[i]);
}

ssize_t rpc_recv(int fd, char *buf, size_t cap, int *fds, unsigned *nfds, bool *truncated)
{
    unsigned room = fds && nfds ? *nfds : 0;
    if (nfds)
        *nfds = 0;
    if (truncated)
        *truncated = false;
    if (!buf || cap == 0) {
        errno = EINVAL;
        return -1;
    }
    struct iovec iov = {.iov_base = buf, .iov_len = cap - 1};
    union rpc_cmsg_buf cbuf;
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf, .msg_controllen = sizeof(cbuf)};
    ssize_t n;
    do
        n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;

    int got[RPC_MAX_FDS * 2];
    unsigned ngot = 0;
    size_t total = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        total += count;
        for (size_t i = 0; i < count; i++) {
            int rfd;
            memcpy(&rfd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (ngot < sizeof(got) / sizeof(got[0]))
                got[ngot++] = rfd;
            else
                close(rfd);
        }
    }
    /* A sender that passes more descriptors than the protocol allows is not following it:
     * refuse the message. (When they overflow the control buffer, the kernel drops the excess
     * and sets MSG_CTRUNC.) */
    if ((mh.msg_flags & MSG_CTRUNC) || total > RPC_MAX_FDS) {
        close_fds(got, ngot);
        errno = EPROTO;
        return -1;
    }
    if (mh.msg_flags & MSG_TRUNC) {
        /* The message is refused as a whole, so its descriptors are of no use. */
        close_fds(got, ngot);
        if (truncated)
            *truncated = true;
        buf[n] = '\0';
        return n;
    }
    unsigned keep = ngot < room ? ngot : room;
    if (keep)
        memcpy(fds, got, keep * sizeof(int));
    close_fds(got + keep, ngot - keep);
    if (nfds)
        *nfds = keep;
    buf[n] = '\0';
    return n;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Returns a connected socket, or -1 with errno. */
static int connect_path(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int rc;
    do
        rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    while (rc < 0 && errno == EINTR);
    if (rc == 0)
        return fd;
    int e = errno;
    close(fd);
    errno = e;
    return -1;
}

int rpc_connect(const char *path, char *err, size_t errlen)
{
    struct sockaddr_un sa;
    if (!path || !*path || strlen(path) >= sizeof(sa.sun_path)) {
        set_err(err, errlen, "invalid socket path: %s", path ? path : "(none)");
        return -1;
    }
    int fd = connect_path(path);
    if (fd >= 0)
        return fd;
    int e = errno;
    if (e == EACCES || e == EPERM) {
        /* Members of the capture group only may open the capture socket beside it. */
        char alt[sizeof(sa.sun_path) + sizeof(RPC_CAPTURE_SOCK_SUFFIX)];
        snprintf(alt, sizeof(alt), "%s%s", path, RPC_CAPTURE_SOCK_SUFFIX);
        fd = connect_path(alt);
        if (fd >= 0)
            return fd;
    }
    if (e == ENOENT || e == ECONNREFUSED)
        set_err(err, errlen, "switch not running (no socket at %s)", path);
    else if (e == EACCES || e == EPERM)
        set_err(err, errlen, "permission denied on %s", path);
    else
        set_err(err, errlen, "cannot connect to %s: %s", path, strerror(e));
    return -1;
}

/* Request ids only need to be unique per connection; one counter per process covers that. */
static uint64_t rpc_next_id = 1;

int rpc_call(int fd, const char *method, const char *params_json, struct json **result, int *fds,
             unsigned *nfds, char *err, size_t errlen)
{
    return rpc_call_fds(fd, method, params_json, NULL, 0, result, fds, nfds, err, errlen);
}

int rpc_call_fds(int fd, const char *method, const char *params_json, const int *send_fds,
                 unsigned nsend, struct json **result, int *fds, unsigned *nfds, char *err,
                 size_t errlen)
{
    unsigned room = fds && nfds ? *nfds : 0;
    if (nfds)
        *nfds = 0;
    if (result)
        *result = NULL;
    if (nsend > RPC_MAX_FDS || (nsend && !send_fds)) {
        set_err(err, errlen, "at most %d descriptors per request", RPC_MAX_FDS);
        return -1;
    }
    uint64_t id = __atomic_fetch_add(&rpc_next_id, 1, __ATOMIC_RELAXED);

    struct jw w;
    jw_init(&w);
    jw_obj_begin(&w);
    jw_kstr(&w, "jsonrpc", "2.0");
    jw_kuint(&w, "id", id);
    jw_kstr(&w, "method", method);
    if (params_json) {
        jw_key(&w, "params");
        jw_raw(&w, params_json);
    }
    jw_obj_end(&w);
    const char *req = jw_text(&w);
    if (!req) {
        jw_free(&w);
        set_err(err, errlen, "out of memory");
        return -1;
    }
    if (w.tb.len > RPC_MAX_MSG) {
        jw_free(&w);
        set_err(err, errlen, "request too large (%zu bytes, at most %d)", w.tb.len, RPC_MAX_MSG);
        return -1;
    }
    int rc = rpc_send(fd, req, w.tb.len, send_fds, nsend);
    jw_free(&w);
    if (rc < 0) {
        set_err(err, errlen, "send: %s", strerror(errno));
        return -1;
    }

    char *buf = malloc(RPC_MAX_MSG + 1);
    if (!buf) {
        set_err(err, errlen, "out of memory");
        return -1;
    }
    int got[RPC_MAX_FDS];
    unsigned ngot = RPC_MAX_FDS;
    bool truncated;
    ssize_t n = rpc_recv(fd, buf, RPC_MAX_MSG + 1, got, &ngot, &truncated);
    if (n <= 0 || truncated) {
        if (n < 0)
            set_err(err, errlen, "receive: %s", strerror(errno));
        else if (n == 0)
            set_err(err, errlen, "the switch closed the connection");
        else
            set_err(err, errlen, "reply too large (more than %d bytes)", RPC_MAX_MSG);
        free(buf);
        return -1;
    }
    char perr[128];
    struct json *reply = json_parse(buf, (size_t)n, perr, sizeof(perr));
    free(buf);
    int ret = -1;
    const struct json *error;
    int64_t reply_id;
    if (!reply) {
        set_err(err, errlen, "malformed reply: %s", perr);
    } else if (reply->type != JSON_OBJECT) {
        set_err(err, errlen, "malformed reply: not an object");
    } else if (!json_get_int(reply, "id", 0, INT64_MAX, &reply_id) || (uint64_t)reply_id != id) {
        set_err(err, errlen, "reply does not answer request %" PRIu64, id);
    } else if ((error = json_get(reply, "error"))) {
        const char *msg = json_get_str(error, "message", NULL);
        if (error->type != JSON_OBJECT || !msg) {
            set_err(err, errlen, "malformed reply: error without a message");
        } else {
            set_err(err, errlen, "%s", msg);
            ret = 1;
        }
    } else {
        for (size_t i = 0; i < reply->n; i++) {
            if (strcmp(reply->keys[i], "result") == 0) {
                if (result) {
                    *result = reply->items[i];
                    reply->items[i] = NULL; /* now the caller's */
                }
                ret = 0;
                break;
            }
        }
        if (ret < 0)
            set_err(err, errlen, "malformed reply: neither result nor error");
    }
    json_free(reply);

    if (ret < 0) {
        close_fds(got, ngot);
        return -1;
    }
    unsigned keep = ngot < room ? ngot : room;
    if (keep)
        memcpy(fds, got, keep * sizeof(int));
    close_fds(got + keep, ngot - keep);
    if (nfds)
        *nfds = keep;
    return ret;
}

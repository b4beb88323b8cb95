/* test_rpc.c - unit tests of the control-protocol framing: messages and descriptors over
 * SOCK_SEQPACKET, refusal of oversized messages, connecting, and calls against a test server. */
#include "rpc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static void seqpair(int sv[2])
{
    int rc = socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
    CHECK_EQ(rc, 0);
}

/* True when every write end of the pipe whose read end is rfd has been closed. */
static bool pipe_at_eof(int rfd)
{
    int fl = fcntl(rfd, F_GETFL);
    fcntl(rfd, F_SETFL, fl | O_NONBLOCK);
    char c;
    ssize_t n = read(rfd, &c, 1);
    fcntl(rfd, F_SETFL, fl);
    return n == 0;
}

static void test_send_recv_fds(void)
{
    int sv[2], p[2];
    seqpair(sv);
    CHECK_EQ(pipe(p), 0);
    int fds[2] = {p[1], p[1]};
    CHECK_EQ(rpc_send(sv[0], "hello", 5, fds, 2), 0);
    char buf[64];
    int got[RPC_MAX_FDS];
    unsigned ngot = RPC_MAX_FDS;
    bool trunc = true;
    ssize_t n = rpc_recv(sv[1], buf, sizeof(buf), got, &ngot, &trunc);
    CHECK_EQ(n, 5);
    CHECK_STR(buf, "hello");
    CHECK(!trunc);
    CHECK_EQ(ngot, 2);
    if (ngot == 2) {
        /* The received descriptors work and are close-on-exec. */
        CHECK(fcntl(got[0], F_GETFD) & FD_CLOEXEC);
        CHECK_EQ(write(got[1], "x", 1), 1);
        char c = 0;
        CHECK_EQ(read(p[0], &c, 1), 1);
        CHECK_EQ(c, 'x');
        close(got[0]);
        close(got[1]);
    }

    /* Room for one: the second is closed, not leaked. */
    CHECK_EQ(rpc_send(sv[0], "two", 3, fds, 2), 0);
    ngot = 1;
    n = rpc_recv(sv[1], buf, sizeof(buf), got, &ngot, &trunc);
    CHECK_EQ(n, 3);
    CHECK_EQ(ngot, 1);
    close(p[1]);
    CHECK(!pipe_at_eof(p[0])); /* the kept one still holds the pipe open */
    close(got[0]);
    CHECK(pipe_at_eof(p[0]));
    close(p[0]);

    /* No room at all (NULL arrays): every descriptor is closed. */
    CHECK_EQ(pipe(p), 0);
    fds[0] = fds[1] = p[1];
    CHECK_EQ(rpc_send(sv[0], "none", 4, fds, 2), 0);
    n = rpc_recv(sv[1], buf, sizeof(buf), NULL, NULL, NULL);
    CHECK_EQ(n, 4);
    close(p[1]);
    CHECK(pipe_at_eof(p[0]));
    close(p[0]);

    /* Refused by the sender. */
    errno = 0;
    CHECK_EQ(rpc_send(sv[0], "x", 0, NULL, 0), -1);
    CHECK_EQ(errno, EINVAL);
    int five[5] = {0, 0, 0, 0, 0};
    CHECK_EQ(rpc_send(sv[0], "x", 1, five, 5), -1);
    CHECK_EQ(errno, EINVAL);
    char *big = calloc(1, RPC_MAX_MSG + 1);
    CHECK_EQ(rpc_send(sv[0], big, RPC_MAX_MSG + 1, NULL, 0), -1);
    CHECK_EQ(errno, EMSGSIZE);
    free(big);

    /* Orderly close reads as 0. */
    close(sv[0]);
    ngot = RPC_MAX_FDS;
    CHECK_EQ(rpc_recv(sv[1], buf, sizeof(buf), got, &ngot, &trunc), 0);
    CHECK_EQ(ngot, 0);
    /* Writing to a closed peer is an error, not SIGPIPE. */
    int sv2[2];
    seqpair(sv2);
    close(sv2[1]);
    CHECK_EQ(rpc_send(sv2[0], "x", 1, NULL, 0), -1);
    CHECK_EQ(errno, EPIPE);
    close(sv2[0]);
    close(sv[1]);
}

static void test_sizes(void)
{
    int sv[2], p[2];
    seqpair(sv);
    char *msg = malloc(RPC_MAX_MSG + 2);
    memset(msg, 'a', RPC_MAX_MSG + 1);
    char *buf = malloc(RPC_MAX_MSG + 1);

    /* The largest message passes whole (past the default send buffer size). */
    CHECK_EQ(rpc_send(sv[0], msg, RPC_MAX_MSG, NULL, 0), 0);
    bool trunc = true;
    ssize_t n = rpc_recv(sv[1], buf, RPC_MAX_MSG + 1, NULL, NULL, &trunc);
    CHECK_EQ(n, RPC_MAX_MSG);
    CHECK(!trunc);
    CHECK(buf[RPC_MAX_MSG - 1] == 'a' && buf[RPC_MAX_MSG] == '\0');

    /* One byte more, sent without rpc_send's check, is detected as truncated, and its
     * descriptor closed. */
    CHECK_EQ(pipe(p), 0);
    union {
        char b[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } cb;
    struct iovec iov = {.iov_base = msg, .iov_len = RPC_MAX_MSG + 1};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb.b, .msg_controllen = sizeof(cb.b)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &p[1], sizeof(int));
    CHECK_EQ(sendmsg(sv[0], &mh, 0), RPC_MAX_MSG + 1);
    int got[RPC_MAX_FDS];
    unsigned ngot = RPC_MAX_FDS;
    n = rpc_recv(sv[1], buf, RPC_MAX_MSG + 1, got, &ngot, &trunc);
    CHECK(trunc);
    CHECK_EQ(n, RPC_MAX_MSG);
    CHECK_EQ(ngot, 0);
    close(p[1]);
    CHECK(pipe_at_eof(p[0]));
    close(p[0]);

    /* A small buffer truncates too, and the next message is unaffected. */
    CHECK_EQ(rpc_send(sv[0], "0123456789", 10, NULL, 0), 0);
    CHECK_EQ(rpc_send(sv[0], "next", 4, NULL, 0), 0);
    char small[5];
    n = rpc_recv(sv[1], small, sizeof(small), NULL, NULL, &trunc);
    CHECK(trunc);
    CHECK_EQ(n, 4);
    CHECK_STR(small, "0123");
    n = rpc_recv(sv[1], small, sizeof(small), NULL, NULL, &trunc);
    CHECK(!trunc);
    CHECK_STR(small, "next");

    /* More descriptors than the protocol allows: refused, and all of them closed. */
    CHECK_EQ(pipe(p), 0);
    union {
        char b[CMSG_SPACE(sizeof(int) * 8)];
        struct cmsghdr align;
    } cb8;
    iov.iov_len = 3;
    mh.msg_control = cb8.b;
    mh.msg_controllen = sizeof(cb8.b);
    c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * 8);
    for (int i = 0; i < 8; i++)
        memcpy(CMSG_DATA(c) + i * sizeof(int), &p[1], sizeof(int));
    CHECK_EQ(sendmsg(sv[0], &mh, 0), 3);
    ngot = RPC_MAX_FDS;
    errno = 0;
    n = rpc_recv(sv[1], buf, 64, got, &ngot, &trunc);
    CHECK_EQ(n, -1);
    CHECK_EQ(errno, EPROTO);
    CHECK_EQ(ngot, 0);
    close(p[1]);
    CHECK(pipe_at_eof(p[0]));
    close(p[0]);

    free(msg);
    free(buf);
    close(sv[0]);
    close(sv[1]);
}

/* ---- rpc_call against a server thread ---- */

enum reply_mode {
    REPLY_RESULT,
    REPLY_RESULT_FD,
    REPLY_ERROR,
    REPLY_WRONG_ID,
    REPLY_GARBAGE,
    REPLY_NO_RESULT,
    REPLY_ERROR_NO_MESSAGE,
    REPLY_NOT_OBJECT,
    REPLY_TOO_LARGE,
    REPLY_CLOSE,
};

struct server {
    int fd;
    enum reply_mode mode;
    int pipe_w; /* sent with REPLY_RESULT_FD */
    /* what the server saw */
    char method[64];
    char params[256];
    int64_t id;
    bool well_formed;
    int got_fds[RPC_MAX_FDS]; /* received with the request */
    unsigned ngot;
};

static void *serve_one(void *arg)
{
    struct server *s = arg;
    char *buf = malloc(RPC_MAX_MSG + 1);
    bool trunc;
    s->ngot = RPC_MAX_FDS;
    ssize_t n = rpc_recv(s->fd, buf, RPC_MAX_MSG + 1, s->got_fds, &s->ngot, &trunc);
    struct json *req = n > 0 ? json_parse(buf, (size_t)n, NULL, 0) : NULL;
    s->well_formed = req && strcmp(json_get_str(req, "jsonrpc", ""), "2.0") == 0 &&
                     json_get_int(req, "id", 1, INT64_MAX, &s->id);
    snprintf(s->method, sizeof(s->method), "%s", json_get_str(req, "method", ""));
    s->params[0] = '\0';
    if (json_get(req, "params")) {
        struct jw w;
        jw_init(&w);
        jw_json(&w, json_get(req, "params"));
        snprintf(s->params, sizeof(s->params), "%s", jw_text(&w));
        jw_free(&w);
    }
    json_free(req);

    char reply[512];
    int64_t id = s->id;
    switch (s->mode) {
    case REPLY_RESULT:
    case REPLY_RESULT_FD:
        snprintf(reply, sizeof(reply),
                 "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"result\":{\"ok\":true,\"n\":3}}",
                 (long long)id);
        break;
    case REPLY_ERROR:
        snprintf(reply, sizeof(reply),
                 "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"error\":{\"code\":-32002,"
                 "\"message\":\"no such port: p9\"}}",
                 (long long)id);
        break;
    case REPLY_WRONG_ID:
        snprintf(reply, sizeof(reply), "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"result\":1}",
                 (long long)id + 1);
        break;
    case REPLY_GARBAGE:
        snprintf(reply, sizeof(reply),
                 "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"result\":", (long long)id);
        break;
    case REPLY_NO_RESULT:
        snprintf(reply, sizeof(reply), "{\"jsonrpc\":\"2.0\",\"id\":%lld}", (long long)id);
        break;
    case REPLY_ERROR_NO_MESSAGE:
        snprintf(reply, sizeof(reply), "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"error\":{\"code\":1}}",
                 (long long)id);
        break;
    case REPLY_NOT_OBJECT:
        snprintf(reply, sizeof(reply), "[1,2]");
        break;
    case REPLY_TOO_LARGE:
    case REPLY_CLOSE:
        break;
    }
    if (s->mode == REPLY_TOO_LARGE) {
        int size = 2 * RPC_MAX_MSG;
        setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
        memset(buf, ' ', RPC_MAX_MSG + 1);
        if (send(s->fd, buf, RPC_MAX_MSG + 1, 0) < 0)
            perror("send");
    } else if (s->mode == REPLY_CLOSE) {
        shutdown(s->fd, SHUT_RDWR);
    } else {
        int fds[1] = {s->pipe_w};
        bool with_fd = s->mode == REPLY_RESULT_FD || s->mode == REPLY_WRONG_ID;
        if (rpc_send(s->fd, reply, strlen(reply), fds, with_fd ? 1 : 0) < 0)
            perror("rpc_send");
    }
    free(buf);
    return NULL;
}

/* One call against a fresh server; returns rpc_call's result. */
static int call(enum reply_mode mode, const char *params, struct server *s, struct json **result,
                int *fds, unsigned *nfds, char *err, size_t errlen)
{
    int sv[2];
    seqpair(sv);
    s->fd = sv[1];
    s->mode = mode;
    pthread_t th;
    pthread_create(&th, NULL, serve_one, s);
    int rc = rpc_call(sv[0], "port.list", params, result, fds, nfds, err, errlen);
    pthread_join(th, NULL);
    close(sv[0]);
    close(sv[1]);
    return rc;
}

/* A request carries the caller's descriptors to the server; the caller keeps its own. */
static void test_call_sends_fds(void)
{
    struct server s = {.pipe_w = -1};
    int sv[2], p[2];
    seqpair(sv);
    CHECK_EQ(pipe(p), 0);
    s.fd = sv[1];
    s.mode = REPLY_RESULT;
    pthread_t th;
    pthread_create(&th, NULL, serve_one, &s);
    struct json *result = NULL;
    char err[256];
    int send_fds[2] = {p[1], p[0]};
    int rc =
        rpc_call_fds(sv[0], "port.add", "{}", send_fds, 2, &result, NULL, NULL, err, sizeof(err));
    pthread_join(th, NULL);
    CHECK_EQ(rc, 0);
    CHECK_STR(s.method, "port.add");
    CHECK_EQ(s.ngot, 2);
    if (s.ngot == 2) {
        CHECK_EQ(write(s.got_fds[0], "y", 1), 1);
        char c = 0;
        CHECK_EQ(read(p[0], &c, 1), 1);
        CHECK_EQ(c, 'y');
        close(s.got_fds[0]);
        close(s.got_fds[1]);
    }
    CHECK(fcntl(p[1], F_GETFD) >= 0); /* still the caller's */
    json_free(result);

    /* More than a message may carry is refused before anything is sent. */
    int many[RPC_MAX_FDS + 1];
    for (int i = 0; i <= RPC_MAX_FDS; i++)
        many[i] = p[1];
    rc = rpc_call_fds(sv[0], "port.add", "{}", many, RPC_MAX_FDS + 1, &result, NULL, NULL, err,
                      sizeof(err));
    CHECK_EQ(rc, -1);
    CHECK(strstr(err, "descriptors") != NULL);
    close(p[0]);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);
}

static void test_call(void)
{
    struct server s = {.pipe_w = -1};
    struct json *result = NULL;
    char err[256];
    int fds[RPC_MAX_FDS];
    unsigned nfds = RPC_MAX_FDS;

    int rc = call(REPLY_RESULT, "{\"name\":\"p\\\"1\",\"n\":[1,2]}", &s, &result, fds, &nfds, err,
                  sizeof(err));
    CHECK_EQ(rc, 0);
    CHECK(s.well_formed);
    CHECK_STR(s.method, "port.list");
    CHECK_STR(s.params, "{\"name\":\"p\\\"1\",\"n\":[1,2]}");
    CHECK_EQ(nfds, 0);
    CHECK(result && result->type == JSON_OBJECT && json_get_bool(result, "ok", false));
    int64_t v;
    CHECK(json_get_int(result, "n", 0, 10, &v) && v == 3);
    json_free(result);
    int64_t first_id = s.id;

    /* No params: the member is left out; the id goes up. */
    nfds = RPC_MAX_FDS;
    rc = call(REPLY_RESULT, NULL, &s, &result, fds, &nfds, err, sizeof(err));
    CHECK_EQ(rc, 0);
    CHECK_STR(s.params, "");
    CHECK(s.id > first_id);
    json_free(result);

    /* A descriptor with the reply comes back to the caller. */
    int p[2];
    CHECK_EQ(pipe(p), 0);
    s.pipe_w = p[1];
    nfds = RPC_MAX_FDS;
    rc = call(REPLY_RESULT_FD, "{}", &s, &result, fds, &nfds, err, sizeof(err));
    CHECK_EQ(rc, 0);
    CHECK_EQ(nfds, 1);
    if (nfds == 1) {
        CHECK_EQ(write(fds[0], "y", 1), 1);
        char c = 0;
        CHECK_EQ(read(p[0], &c, 1), 1);
        CHECK_EQ(c, 'y');
        close(fds[0]);
    }
    json_free(result);
    /* ... and is closed when the caller has no room for it. */
    rc = call(REPLY_RESULT_FD, "{}", &s, &result, NULL, NULL, err, sizeof(err));
    CHECK_EQ(rc, 0);
    json_free(result);
    /* ... or when the reply is refused. */
    nfds = RPC_MAX_FDS;
    rc = call(REPLY_WRONG_ID, "{}", &s, &result, fds, &nfds, err, sizeof(err));
    CHECK_EQ(rc, -1);
    CHECK_EQ(nfds, 0);
    CHECK(result == NULL);
    CHECK(strstr(err, "does not answer request") != NULL);
    close(p[1]);
    CHECK(pipe_at_eof(p[0]));
    close(p[0]);
    s.pipe_w = -1;

    rc = call(REPLY_ERROR, "{}", &s, &result, fds, &nfds, err, sizeof(err));
    CHECK_EQ(rc, 1);
    CHECK_STR(err, "no such port: p9");
    CHECK(result == NULL);

    const struct {
        enum reply_mode mode;
        const char *msg;
    } bad[] = {
        {REPLY_GARBAGE, "malformed reply: unexpected end of input at byte"},
        {REPLY_NO_RESULT, "malformed reply: neither result nor error"},
        {REPLY_ERROR_NO_MESSAGE, "malformed reply: error without a message"},
        {REPLY_NOT_OBJECT, "malformed reply: not an object"},
        {REPLY_TOO_LARGE, "reply too large"},
        {REPLY_CLOSE, "the switch closed the connection"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        nfds = RPC_MAX_FDS;
        rc = call(bad[i].mode, "{}", &s, &result, fds, &nfds, err, sizeof(err));
        CHECK_EQ(rc, -1);
        CHECK(result == NULL);
        if (!strstr(err, bad[i].msg)) {
            fprintf(stderr, "mode %d: got \"%s\", wanted \"%s\"\n", bad[i].mode, err, bad[i].msg);
            CHECK(0);
        }
    }

    /* A request too large to send never leaves. */
    size_t big = RPC_MAX_MSG + 16;
    char *params = malloc(big + 1);
    params[0] = '"';
    memset(params + 1, 'a', big - 2);
    params[big - 1] = '"';
    params[big] = '\0';
    int sv[2];
    seqpair(sv);
    rc = rpc_call(sv[0], "m", params, &result, NULL, NULL, err, sizeof(err));
    CHECK_EQ(rc, -1);
    CHECK(strstr(err, "request too large") != NULL);
    free(params);
    /* A closed connection is a transport error. */
    close(sv[1]);
    rc = rpc_call(sv[0], "m", NULL, &result, NULL, NULL, err, sizeof(err));
    CHECK_EQ(rc, -1);
    CHECK(strstr(err, "send: ") != NULL);
    close(sv[0]);
}

static void *accept_and_serve(void *arg)
{
    struct server *s = arg;
    int listener = s->fd;
    s->fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    if (s->fd >= 0) {
        serve_one(s);
        close(s->fd);
    }
    return NULL;
}

static void test_connect(void)
{
    char dir[] = "/tmp/sluice-test-rpc-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[128], err[256];
    snprintf(path, sizeof(path), "%s/sock", dir);

    /* No socket file. */
    CHECK_EQ(rpc_connect(path, err, sizeof(err)), -1);
    char want[256];
    snprintf(want, sizeof(want), "switch not running (no socket at %s)", path);
    CHECK_STR(err, want);

    /* A socket file nobody listens on (a switch that died). */
    int l = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, path);
    CHECK_EQ(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
    CHECK_EQ(rpc_connect(path, err, sizeof(err)), -1);
    CHECK_STR(err, want);

    /* Listening: connect and call. */
    CHECK_EQ(listen(l, 4), 0);
    struct server s = {.fd = l, .mode = REPLY_RESULT, .pipe_w = -1};
    pthread_t th;
    pthread_create(&th, NULL, accept_and_serve, &s);
    int fd = rpc_connect(path, err, sizeof(err));
    CHECK(fd >= 0);
    if (fd >= 0) {
        CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        struct json *result = NULL;
        CHECK_EQ(rpc_call(fd, "switch.info", NULL, &result, NULL, NULL, err, sizeof(err)), 0);
        CHECK(result != NULL);
        json_free(result);
        close(fd);
    } else {
        /* unblock the server thread */
        int c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
        connect(c, (struct sockaddr *)&sa, sizeof(sa));
        close(c);
    }
    pthread_join(th, NULL);
    CHECK_STR(s.method, "switch.info");

    /* Permission: a user who may not search the directory. Needs root to switch users. */
    CHECK_EQ(chmod(dir, 0700), 0);
    if (geteuid() == 0) {
        int pp[2];
        CHECK_EQ(pipe(pp), 0);
        pid_t pid = fork();
        if (pid == 0) {
            char cerr[256] = "";
            if (setgid(65534) == 0 && setuid(65534) == 0) {
                int cfd = rpc_connect(path, cerr, sizeof(cerr));
                if (cfd >= 0)
                    snprintf(cerr, sizeof(cerr), "connected");
            } else {
                snprintf(cerr, sizeof(cerr), "setuid failed");
            }
            if (write(pp[1], cerr, strlen(cerr) + 1) < 0)
                _exit(2);
            _exit(0);
        }
        close(pp[1]);
        char got[256] = "";
        ssize_t n = read(pp[0], got, sizeof(got) - 1);
        CHECK(n > 0);
        close(pp[0]);
        waitpid(pid, NULL, 0);
        snprintf(want, sizeof(want), "permission denied on %s", path);
        CHECK_STR(got, want);
    } else {
        fprintf(stderr, "note: not root, the permission-denied message is not exercised\n");
    }

    /* Paths that cannot be a socket address. */
    char longpath[200];
    memset(longpath, 'x', sizeof(longpath) - 1);
    longpath[sizeof(longpath) - 1] = '\0';
    CHECK_EQ(rpc_connect(longpath, err, sizeof(err)), -1);
    CHECK(strstr(err, "invalid socket path") != NULL);
    CHECK_EQ(rpc_connect("", err, sizeof(err)), -1);

    /* A path that is not a socket. */
    CHECK_EQ(rpc_connect(dir, err, sizeof(err)), -1);
    CHECK(strstr(err, "cannot connect to") != NULL || strstr(err, "switch not running") != NULL);

    close(l);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    test_send_recv_fds();
    test_sizes();
    test_call();
    test_call_sends_fds();
    test_connect();
    return check_exit();
}

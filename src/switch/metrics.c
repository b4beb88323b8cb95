/* metrics.c - the metrics endpoint: a non-blocking HTTP/1.0 server on the management loop
 * that answers GET /metrics with the Prometheus text format, a few clients at a time. */
#include "metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "httpreq.h"
#include "log.h"
#include "mainloop.h"

struct metrics_client {
    int fd;
    char req[METRICS_REQUEST_MAX];
    size_t req_len;
    char *out; /* the whole answer, once the request is read */
    size_t out_len, out_off;
    bool draining; /* answered: reading what the client still sends until it closes */
    uint64_t deadline_ms;
    uint64_t since_ms; /* when it entered its current phase, to find the oldest */
};

static int listen_fd = -1;
static struct metrics_client *clients[METRICS_MAX_CLIENTS];
static unsigned nclients;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int metrics_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *sslen, char *err,
                       size_t errlen)
{
    memset(ss, 0, sizeof(*ss));
    char host[INET6_ADDRSTRLEN + 2];
    const char *colon = strrchr(s, ':');
    size_t hlen = colon ? (size_t)(colon - s) : 0;
    if (!colon || hlen == 0 || hlen >= sizeof(host)) {
        snprintf(err, errlen, "expected ADDR:PORT, e.g. 127.0.0.1:9470 or [::1]:9470");
        return -1;
    }
    memcpy(host, s, hlen);
    host[hlen] = '\0';
    char *end;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end || port == 0 || port > 65535 || colon[1] == '-' ||
        colon[1] == '+' || colon[1] == ' ') {
        snprintf(err, errlen, "port must be 1..65535");
        return -1;
    }
    if (host[0] == '[') {
        if (hlen < 3 || host[hlen - 1] != ']') {
            snprintf(err, errlen, "an IPv6 address is written [ADDR]:PORT");
            return -1;
        }
        host[hlen - 1] = '\0';
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
        if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1) {
            snprintf(err, errlen, "not an IPv6 address: %s", host + 1);
            return -1;
        }
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *sslen = sizeof(*a6);
        return 0;
    }
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    if (strcmp(host, "localhost") == 0) {
        a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    } else if (inet_pton(AF_INET, host, &a4->sin_addr) != 1) {
        snprintf(err, errlen, "not an IPv4 address: %s (IPv6 is written [ADDR]:PORT)", host);
        return -1;
    }
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    *sslen = sizeof(*a4);
    return 0;
}

static void client_close(struct metrics_client *c)
{
    for (unsigned i = 0; i < METRICS_MAX_CLIENTS; i++)
        if (clients[i] == c)
            clients[i] = NULL;
    mainloop_del(c->fd);
    close(c->fd);
    free(c->out);
    free(c);
    nclients--;
}

/* Prepares the whole answer in c->out. -1 if there is no memory for it. */
static int answer(struct metrics_client *c, int code, const char *reason, const char *extra,
                  const char *body, size_t body_len, bool head_only)
{
    char head[512];
    int n =
        snprintf(head, sizeof(head),
                 "HTTP/1.0 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
                 "Connection: close\r\n\r\n",
                 code, reason, code == 200 ? PROMTEXT_CONTENT_TYPE : "text/plain; charset=utf-8",
                 body_len, extra ? extra : "");
    size_t total = (size_t)n + (head_only ? 0 : body_len);
    c->out = malloc(total);
    if (!c->out)
        return -1;
    memcpy(c->out, head, (size_t)n);
    if (!head_only)
        memcpy(c->out + n, body, body_len);
    c->out_len = total;
    c->out_off = 0;
    /* One deadline for the whole answer, not per write: a reader that takes a byte now and
     * then would otherwise hold its slot for as long as it likes. */
    c->since_ms = now_ms();
    c->deadline_ms = c->since_ms + METRICS_WRITE_TIMEOUT_MS;
    return 0;
}

static int error_answer(struct metrics_client *c, int code, const char *reason, const char *extra,
                        bool head_only)
{
    char body[64];
    int n = snprintf(body, sizeof(body), "%d %s\n", code, reason);
    return answer(c, code, reason, extra, body, (size_t)n, head_only);
}

static int respond(struct metrics_client *c, enum http_parse st, const struct http_request *rq)
{
    bool head = st == HTTP_OK && strcmp(rq->method, "HEAD") == 0;
    if (st == HTTP_TOO_LARGE)
        return error_answer(c, 431, "Request Header Fields Too Large", NULL, false);
    if (st != HTTP_OK)
        return error_answer(c, 400, "Bad Request", NULL, false);
    if (strcmp(rq->method, "GET") != 0 && !head)
        return error_answer(c, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n", false);
    if (strcmp(rq->path, "/metrics") != 0)
        return error_answer(c, 404, "Not Found", NULL, head);
    struct promtext pt;
    pt_init(&pt);
    metrics_render(&pt);
    int rc = pt.tb.oom ? error_answer(c, 500, "Internal Server Error", NULL, head)
                       : answer(c, 200, "OK", NULL, pt.tb.buf ? pt.tb.buf : "", pt.tb.len, head);
    pt_free(&pt);
    return rc;
}

static void on_client(void *arg, uint32_t events);

/* Sends what the socket takes now; the rest when it is writable again. */
static void flush_out(struct metrics_client *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            mainloop_mod(c->fd, EPOLLOUT);
            return;
        }
        if (n <= 0) {
            client_close(c);
            return;
        }
        c->out_off += (size_t)n;
    }
    /* Answered: our side closes (HTTP/1.0, no keep-alive). Closing with unread input would
     * reset the connection and could destroy the answer before the client reads it, so
     * what the client still sends is read and dropped until it closes too. */
    shutdown(c->fd, SHUT_WR);
    c->draining = true;
    c->since_ms = now_ms();
    c->deadline_ms = c->since_ms + METRICS_DRAIN_TIMEOUT_MS;
    mainloop_mod(c->fd, EPOLLIN);
}

static void drain(struct metrics_client *c)
{
    char sink[4096];
    for (;;) {
        ssize_t n = read(c->fd, sink, sizeof(sink));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        client_close(c); /* end of input or an error */
        return;
    }
}

static void on_client(void *arg, uint32_t events)
{
    struct metrics_client *c = arg;
    if (c->draining) {
        drain(c);
        return;
    }
    if (c->out) {
        if (events & (EPOLLERR | EPOLLHUP))
            client_close(c);
        else
            flush_out(c);
        return;
    }
    bool eof = false;
    while (!eof && c->req_len < sizeof(c->req)) {
        ssize_t n = read(c->fd, c->req + c->req_len, sizeof(c->req) - c->req_len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0)
            eof = true; /* a client may close its side once it has asked */
        else
            c->req_len += (size_t)n;
    }
    struct http_request rq;
    enum http_parse st = http_request_parse(c->req, c->req_len, sizeof(c->req), &rq);
    if (st == HTTP_INCOMPLETE && !eof)
        return;
    if (st == HTTP_INCOMPLETE || respond(c, st, &rq) < 0) {
        client_close(c); /* gone before asking anything complete, or no memory */
        return;
    }
    flush_out(c);
}

/* Which client gives way to a new one when the table is full, lowest first: one already
 * answered (its answer is in the kernel's hands, so closing loses nothing it asked for), one
 * that has not asked yet, one still being sent its answer. */
static int eviction_rank(const struct metrics_client *c)
{
    if (c->draining)
        return 0;
    return c->out ? 2 : 1;
}

/* Frees a slot so that a new connection is served rather than queued behind clients that
 * hold slots without making use of them. */
static void evict_one(void)
{
    /* A request may have arrived since the loop last looked (a burst of connections is
     * accepted in one go): read it, so that a client who asked is not taken for a silent one. */
    for (unsigned i = 0; i < METRICS_MAX_CLIENTS; i++)
        if (clients[i] && !clients[i]->out)
            on_client(clients[i], EPOLLIN);
    if (nclients < METRICS_MAX_CLIENTS)
        return;
    struct metrics_client *victim = NULL;
    for (unsigned i = 0; i < METRICS_MAX_CLIENTS; i++) {
        struct metrics_client *c = clients[i];
        if (!c)
            continue;
        if (!victim || eviction_rank(c) < eviction_rank(victim) ||
            (eviction_rank(c) == eviction_rank(victim) && c->since_ms < victim->since_ms))
            victim = c;
    }
    if (victim) {
        const char *what = victim->draining ? "answered" : victim->out ? "slow" : "idle";
        log_debug("metrics: table full, closing the oldest %s client", what);
        client_close(victim);
    }
}

static void on_listen(void *arg, uint32_t events)
{
    (void)arg;
    (void)events;
    for (;;) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                log_debug("metrics: accept: %s", strerror(errno));
            return;
        }
        if (nclients == METRICS_MAX_CLIENTS)
            evict_one();
        struct metrics_client *c = calloc(1, sizeof(*c));
        unsigned slot = 0;
        while (slot < METRICS_MAX_CLIENTS && clients[slot])
            slot++;
        if (!c || slot == METRICS_MAX_CLIENTS || mainloop_add(fd, EPOLLIN, on_client, c) < 0) {
            free(c);
            close(fd);
            continue;
        }
        c->fd = fd;
        c->since_ms = now_ms();
        c->deadline_ms = c->since_ms + METRICS_READ_TIMEOUT_MS;
        clients[slot] = c;
        nclients++;
    }
}

/* Clients that take too long to ask or to read the answer are dropped. */
static void sweep(void *arg)
{
    (void)arg;
    uint64_t now = now_ms();
    for (unsigned i = 0; i < METRICS_MAX_CLIENTS; i++) {
        struct metrics_client *c = clients[i];
        if (c && now >= c->deadline_ms) {
            log_debug("metrics: client timed out");
            client_close(c);
        }
    }
}

int metrics_start(const char *addr_port)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    char err[128];
    if (metrics_parse_addr(addr_port, &ss, &sslen, err, sizeof(err)) < 0) {
        log_err("--metrics %s: %s", addr_port, err);
        return -1;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, (struct sockaddr *)&ss, sslen) < 0 || listen(fd, 16) < 0) {
        log_err("metrics: cannot listen on %s: %s", addr_port, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (mainloop_add(fd, EPOLLIN, on_listen, NULL) < 0 ||
        mainloop_every(METRICS_SWEEP_MS, sweep, &clients) < 0) {
        log_err("metrics: cannot watch the listening socket");
        mainloop_del(fd);
        close(fd);
        return -1;
    }
    listen_fd = fd;
    log_info("metrics on http://%s/metrics", addr_port);
    return 0;
}

void metrics_stop(void)
{
    if (listen_fd < 0)
        return;
    for (unsigned i = 0; i < METRICS_MAX_CLIENTS; i++)
        if (clients[i])
            client_close(clients[i]);
    mainloop_cancel(&clients);
    mainloop_del(listen_fd);
    close(listen_fd);
    listen_fd = -1;
}

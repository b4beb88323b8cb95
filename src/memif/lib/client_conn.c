/* client_conn.c - libsluice-memif's shared memory and control connection: the memfd region,
 * the memif 2.0 handshake (hello, init, regions, rings, connect), disconnects, reconnecting. */
#include "client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* The library stands alone (no libsluice), so it has its own fixed-field helpers. */
static void field_set(uint8_t *field, size_t len, const char *s)
{
    memset(field, 0, len);
    size_t n = strnlen(s, len);
    if (n)
        memcpy(field, s, n);
}

static void field_get(char *out, size_t outlen, const uint8_t *field, size_t len)
{
    size_t n = 0;
    while (n < len && n + 1 < outlen && field[n]) {
        out[n] = (field[n] >= 0x20 && field[n] < 0x7f) ? (char)field[n] : '?';
        n++;
    }
    out[n] = '\0';
}

static void set_error(struct sluice_memif *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_error(struct sluice_memif *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->last_error, sizeof(m->last_error), fmt, ap);
    va_end(ap);
}

static void arm_timer(struct sluice_memif *m, unsigned ms)
{
    struct itimerspec its = {0};
    its.it_value.tv_sec = ms / 1000;
    its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
    if (ms == 0)
        its.it_value.tv_nsec = 1;
    timerfd_settime(m->timerfd, 0, &its, NULL);
}

static int send_msg(struct sluice_memif *m, const struct memif_msg *msg, int fd)
{
    struct iovec iov = {.iov_base = (void *)msg, .iov_len = sizeof(*msg)};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (fd >= 0) {
        memset(&ctl, 0, sizeof(ctl));
        mh.msg_control = ctl.buf;
        mh.msg_controllen = sizeof(ctl.buf);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    ssize_t n = sendmsg(m->sock, &mh, MSG_NOSIGNAL);
    return n == (ssize_t)sizeof(*msg) ? 0 : -1;
}

static void go_down(struct sluice_memif *m, const char *why)
{
    if (m->sock >= 0) {
        if (m->state != CLIENT_DOWN && why) {
            struct memif_msg msg = {.type = MEMIF_MSG_DISCONNECT};
            field_set(msg.disconnect.string, sizeof(msg.disconnect.string), why);
            send_msg(m, &msg, -1);
        }
        epoll_ctl(m->epfd, EPOLL_CTL_DEL, m->sock, NULL);
        close(m->sock);
        m->sock = -1;
    }
    if (m->state == CLIENT_CONNECTED)
        m->stats.disconnects++;
    if (why)
        set_error(m, "%s", why);
    m->state = CLIENT_DOWN;
    arm_timer(m, m->reconnect_ms);
}

static int try_connect(struct sluice_memif *m)
{
    int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0) {
        set_error(m, "socket: %s", strerror(errno));
        return -1;
    }
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t len = strlen(m->socket_path);
    memcpy(sa.sun_path, m->socket_path, len);
    socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    if (m->socket_path[0] == '@')
        sa.sun_path[0] = '\0'; /* abstract namespace: the name is not NUL-terminated */
    else
        salen++;
    if (connect(s, (struct sockaddr *)&sa, salen) != 0) {
        set_error(m, "connect %s: %s", m->socket_path, strerror(errno));
        close(s);
        return -1;
    }
    m->sock = s;
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 0};
    epoll_ctl(m->epfd, EPOLL_CTL_ADD, s, &ev);
    m->state = CLIENT_HELLO;
    return 0;
}

/* The messages after hello, in order: init, the region, S2M rings, M2S rings, connect. */
static int send_step(struct sluice_memif *m)
{
    struct memif_msg msg;
    memset(&msg, 0, sizeof(msg));
    unsigned step = m->step;
    int fd = -1;
    if (step == 0) {
        msg.type = MEMIF_MSG_INIT;
        msg.init.version = MEMIF_VERSION;
        msg.init.id = m->id;
        msg.init.mode = MEMIF_MODE_ETHERNET;
        field_set(msg.init.secret, sizeof(msg.init.secret), m->secret);
        field_set(msg.init.name, sizeof(msg.init.name), m->name);
    } else if (step == 1) {
        msg.type = MEMIF_MSG_ADD_REGION;
        msg.add_region.index = 0;
        msg.add_region.size = m->region_size;
        fd = m->region_fd;
    } else if (step < 2 + 2 * m->queues) {
        unsigned k = step - 2;
        bool s2m = k < m->queues;
        unsigned q = s2m ? k : k - m->queues;
        struct client_ring *r = s2m ? &m->s2m[q] : &m->m2s[q];
        msg.type = MEMIF_MSG_ADD_RING;
        msg.add_ring.flags = s2m ? MEMIF_ADD_RING_FLAG_S2M : 0;
        msg.add_ring.index = (uint16_t)q;
        msg.add_ring.region = 0;
        msg.add_ring.offset = r->offset;
        msg.add_ring.log2_ring_size = (uint8_t)m->log2_ring_size;
        fd = r->eventfd;
    } else {
        msg.type = MEMIF_MSG_CONNECT;
        field_set(msg.connect.if_name, sizeof(msg.connect.if_name), m->name);
    }
    m->step++;
    return send_msg(m, &msg, fd);
}

static void on_hello(struct sluice_memif *m, const struct memif_msg_hello *h)
{
    if (h->min_version > MEMIF_VERSION || h->max_version < MEMIF_VERSION) {
        go_down(m, "incompatible memif version");
        return;
    }
    if (m->queues > (unsigned)h->max_s2m_ring + 1 || m->queues > (unsigned)h->max_m2s_ring + 1 ||
        m->log2_ring_size > h->max_log2_ring_size) {
        go_down(m, "server does not accept this many queues or this ring size");
        return;
    }
    client_rings_reset(m);
    m->state = CLIENT_HANDSHAKE;
    m->step = 0;
    if (send_step(m) != 0)
        go_down(m, "send failed");
}

static void on_message(struct sluice_memif *m, const struct memif_msg *msg)
{
    switch (msg->type) {
    case MEMIF_MSG_HELLO:
        if (m->state != CLIENT_HELLO) {
            go_down(m, "unexpected hello");
            return;
        }
        on_hello(m, &msg->hello);
        return;
    case MEMIF_MSG_ACK:
        if (m->state != CLIENT_HANDSHAKE || m->step > 2 + 2 * m->queues) {
            go_down(m, "unexpected ack");
            return;
        }
        if (send_step(m) != 0)
            go_down(m, "send failed");
        return;
    case MEMIF_MSG_CONNECTED:
        if (m->state != CLIENT_HANDSHAKE || m->step != 3 + 2 * m->queues) {
            go_down(m, "unexpected connected");
            return;
        }
        client_rings_post_all(m);
        m->state = CLIENT_CONNECTED;
        m->stats.connects++;
        m->last_error[0] = '\0';
        return;
    case MEMIF_MSG_DISCONNECT: {
        char why[MEMIF_DISC_STRING_LEN + 1];
        field_get(why, sizeof(why), msg->disconnect.string, sizeof(msg->disconnect.string));
        char text[128];
        snprintf(text, sizeof(text), "server disconnected: %s", why);
        if (m->sock >= 0) {
            epoll_ctl(m->epfd, EPOLL_CTL_DEL, m->sock, NULL);
            close(m->sock);
            m->sock = -1;
        }
        go_down(m, text);
        return;
    }
    default:
        go_down(m, "unexpected message");
    }
}

static void read_control(struct sluice_memif *m)
{
    for (;;) {
        struct memif_msg msg;
        union {
            char buf[CMSG_SPACE(sizeof(int) * 4)];
            struct cmsghdr align;
        } ctl;
        struct iovec iov = {.iov_base = &msg, .iov_len = sizeof(msg)};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = ctl.buf,
                            .msg_controllen = sizeof(ctl.buf)};
        ssize_t n = recvmsg(m->sock, &mh, MSG_CMSG_CLOEXEC);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        /* The server sends no descriptors: close any it did. */
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); n >= 0 && c; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < nfd; i++) {
                    int fd;
                    memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                    close(fd);
                }
            }
        }
        if (n <= 0) {
            go_down(m, n == 0 ? "server closed the connection" : "control socket error");
            return;
        }
        if (n != (ssize_t)sizeof(msg) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
            go_down(m, "bad message size");
            return;
        }
        on_message(m, &msg);
        if (m->sock < 0)
            return;
    }
}

int sluice_memif_handle_events(struct sluice_memif *m)
{
    struct epoll_event evs[8];
    int n = epoll_wait(m->epfd, evs, 8, 0);
    for (int i = 0; i < n; i++) {
        uint32_t what = evs[i].data.u32;
        if (what == 0 && m->sock >= 0) {
            read_control(m);
        } else if (what == 1) {
            uint64_t expirations;
            ssize_t r = read(m->timerfd, &expirations, sizeof(expirations));
            (void)r;
            if (m->state == CLIENT_DOWN && try_connect(m) != 0)
                arm_timer(m, m->reconnect_ms);
        } else if (what >= 2) {
            uint64_t count;
            ssize_t r = read(m->m2s[what - 2].eventfd, &count, sizeof(count));
            (void)r;
        }
    }
    return m->state == CLIENT_CONNECTED;
}

int sluice_memif_wait_connected(struct sluice_memif *m, int timeout_ms)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        if (sluice_memif_handle_events(m))
            return 0;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (elapsed >= timeout_ms)
            return -1;
        struct pollfd pfd = {.fd = m->epfd, .events = POLLIN};
        poll(&pfd, 1, (int)(timeout_ms - elapsed));
    }
}

static int region_create(struct sluice_memif *m, char *err, size_t errlen)
{
    unsigned nrings = 2 * m->queues;
    uint64_t ring_bytes = (memif_ring_bytes(m->log2_ring_size) + 63) & ~63ull;
    uint64_t buffers_at = ring_bytes * nrings;
    uint64_t size = buffers_at + (uint64_t)nrings * ((uint64_t)m->buffer_size << m->log2_ring_size);
    if (size > UINT32_MAX) {
        snprintf(err, errlen, "shared memory of %llu bytes exceeds memif's 32-bit offsets",
                 (unsigned long long)size);
        return -1;
    }
    m->region_fd = memfd_create("sluice-memif", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (m->region_fd < 0 || ftruncate(m->region_fd, (off_t)size) != 0 ||
        fcntl(m->region_fd, F_ADD_SEALS, F_SEAL_SHRINK) != 0) {
        snprintf(err, errlen, "shared memory: %s", strerror(errno));
        return -1;
    }
    m->region = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, m->region_fd, 0);
    if (m->region == MAP_FAILED) {
        m->region = NULL;
        snprintf(err, errlen, "mmap: %s", strerror(errno));
        return -1;
    }
    m->region_size = size;
    for (unsigned i = 0; i < nrings; i++) {
        bool s2m = i < m->queues;
        struct client_ring *r = s2m ? &m->s2m[i] : &m->m2s[i - m->queues];
        r->offset = (uint32_t)(ring_bytes * i);
        r->buf_offset =
            (uint32_t)(buffers_at + (uint64_t)i * ((uint64_t)m->buffer_size << m->log2_ring_size));
        r->ring = (struct memif_ring *)(m->region + r->offset);
        r->size = (uint16_t)(1u << m->log2_ring_size);
        r->mask = (uint16_t)(r->size - 1);
        r->eventfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (r->eventfd < 0) {
            snprintf(err, errlen, "eventfd: %s", strerror(errno));
            return -1;
        }
    }
    return 0;
}

struct sluice_memif *sluice_memif_open(const struct sluice_memif_config *cfg, char *err,
                                       size_t errlen)
{
    if (!cfg->socket_path || !cfg->socket_path[0] || strlen(cfg->socket_path) >= 108) {
        snprintf(err, errlen, "socket path missing or too long");
        return NULL;
    }
    if (cfg->secret && strlen(cfg->secret) > MEMIF_SECRET_LEN) {
        snprintf(err, errlen, "secret longer than %u bytes", MEMIF_SECRET_LEN);
        return NULL;
    }
    unsigned log2 = cfg->log2_ring_size ? cfg->log2_ring_size : 10;
    unsigned bsize = cfg->buffer_size ? cfg->buffer_size : 2048;
    unsigned queues = cfg->queues ? cfg->queues : 1;
    if (log2 > 15 || queues > CLIENT_MAX_QUEUES || bsize < 64 || bsize > 65536 || bsize % 64) {
        snprintf(err, errlen, "ring size 2^%u, %u queues or buffer size %u out of range", log2,
                 queues, bsize);
        return NULL;
    }
    struct sluice_memif *m = calloc(1, sizeof(*m));
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(m->socket_path, sizeof(m->socket_path), "%s", cfg->socket_path);
    m->id = cfg->id;
    snprintf(m->secret, sizeof(m->secret), "%s", cfg->secret ? cfg->secret : "");
    snprintf(m->name, sizeof(m->name), "%s", cfg->name ? cfg->name : "libsluice-memif");
    m->log2_ring_size = log2;
    m->buffer_size = bsize;
    m->queues = queues;
    m->rx_interrupts = cfg->rx_interrupts;
    m->reconnect_ms = cfg->reconnect_ms ? cfg->reconnect_ms : 200;
    m->sock = -1;
    m->region_fd = -1;
    for (unsigned i = 0; i < CLIENT_MAX_QUEUES; i++)
        m->s2m[i].eventfd = m->m2s[i].eventfd = -1;
    m->epfd = epoll_create1(EPOLL_CLOEXEC);
    m->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (m->epfd < 0 || m->timerfd < 0) {
        snprintf(err, errlen, "epoll/timerfd: %s", strerror(errno));
        sluice_memif_close(m);
        return NULL;
    }
    if (region_create(m, err, errlen) != 0) {
        sluice_memif_close(m);
        return NULL;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 1};
    epoll_ctl(m->epfd, EPOLL_CTL_ADD, m->timerfd, &ev);
    if (m->rx_interrupts) {
        for (unsigned q = 0; q < queues; q++) {
            struct epoll_event rev = {.events = EPOLLIN, .data.u32 = 2 + q};
            epoll_ctl(m->epfd, EPOLL_CTL_ADD, m->m2s[q].eventfd, &rev);
        }
    }
    m->state = CLIENT_DOWN;
    if (try_connect(m) != 0)
        arm_timer(m, m->reconnect_ms);
    return m;
}

void sluice_memif_close(struct sluice_memif *m)
{
    if (!m)
        return;
    if (m->sock >= 0) {
        if (m->state != CLIENT_DOWN) {
            struct memif_msg msg = {.type = MEMIF_MSG_DISCONNECT};
            field_set(msg.disconnect.string, sizeof(msg.disconnect.string), "closed");
            send_msg(m, &msg, -1);
        }
        close(m->sock);
    }
    for (unsigned i = 0; i < CLIENT_MAX_QUEUES; i++) {
        if (m->s2m[i].eventfd >= 0)
            close(m->s2m[i].eventfd);
        if (m->m2s[i].eventfd >= 0)
            close(m->m2s[i].eventfd);
    }
    if (m->region)
        munmap(m->region, m->region_size);
    if (m->region_fd >= 0)
        close(m->region_fd);
    if (m->epfd >= 0)
        close(m->epfd);
    if (m->timerfd >= 0)
        close(m->timerfd);
    free(m);
}

int sluice_memif_fd(const struct sluice_memif *m)
{
    return m->epfd;
}

bool sluice_memif_connected(const struct sluice_memif *m)
{
    return m->state == CLIENT_CONNECTED;
}

const char *sluice_memif_last_error(const struct sluice_memif *m)
{
    return m->last_error;
}

unsigned sluice_memif_queues(const struct sluice_memif *m)
{
    return m->queues;
}

unsigned sluice_memif_buffer_size(const struct sluice_memif *m)
{
    return m->buffer_size;
}

void sluice_memif_get_stats(const struct sluice_memif *m, struct sluice_memif_stats *out)
{
    *out = m->stats;
}

/* Used by the data path when the server hands back something impossible. */
void client_fail(struct sluice_memif *m, const char *why);
void client_fail(struct sluice_memif *m, const char *why)
{
    go_down(m, why);
}

/* port_memif_cc.c - one memif control connection on the management thread: the server side of
 * the handshake (hello, init, regions, rings, connect), mapping the client's regions after
 * checking them, and tearing everything down on disconnect, timeout or a broken rule. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "dataplane.h"
#include "mainloop.h"
#include "port_memif.h"

#define MEMIF_HANDSHAKE_MS 5000
/* Connections that have not named an interface yet belong to no interface, so every
 * interface of the socket shares them: one peer may hold only a few, all peers together a
 * bounded number. Peers are told apart by uid (SO_PEERCRED), which a process cannot choose. */
#define MEMIF_UNBOUND_MAX 64
#define MEMIF_UNBOUND_PER_UID 8

enum cc_state { CC_AWAIT_INIT, CC_HANDSHAKE, CC_CONNECTED };

struct memif_cc {
    struct memif_cc *next; /* on the listener */
    int fd;
    struct memif_listener *listener;
    struct memif_port *mp; /* set by a valid init */
    uid_t uid;             /* of the connecting process; (uid_t)-1 if unknown */
    enum cc_state state;
    struct memif_dpconn *dc; /* built during the handshake, published at connect */
    uint64_t region_sizes[MEMIF_MAX_REGIONS];
    uint64_t s2m_mask, m2s_mask;
    struct {
        uint16_t region;
        uint32_t offset;
        uint8_t log2;
        int eventfd;
    } s2m[MEMIF_MAX_RINGS], m2s[MEMIF_MAX_RINGS];
};

static int send_msg(int fd, const struct memif_msg *msg)
{
    ssize_t n = send(fd, msg, sizeof(*msg), MSG_NOSIGNAL | MSG_DONTWAIT);
    return n == (ssize_t)sizeof(*msg) ? 0 : -1;
}

static int send_simple(struct memif_cc *cc, uint16_t type, const char *name)
{
    struct memif_msg msg;
    memset(&msg, 0, sizeof(msg));
    msg.type = type;
    if (type == MEMIF_MSG_CONNECTED)
        memif_set_name(msg.connected.if_name, sizeof(msg.connected.if_name), name);
    return send_msg(cc->fd, &msg);
}

static int send_hello(struct memif_cc *cc)
{
    struct memif_msg msg;
    memset(&msg, 0, sizeof(msg));
    msg.type = MEMIF_MSG_HELLO;
    memif_set_name(msg.hello.name, sizeof(msg.hello.name), "sluice");
    msg.hello.min_version = MEMIF_VERSION;
    msg.hello.max_version = MEMIF_VERSION;
    /* Interfaces sharing the socket may have different limits and the hello comes before
     * the client names one: offer the most any of them accepts; the init's interface
     * enforces its own from then on. */
    for (struct memif_port *mp = cc->listener->ports; mp; mp = mp->next_on_listener) {
        const struct memif_limits *lim = &mp->limits;
        if (lim->max_region > msg.hello.max_region)
            msg.hello.max_region = lim->max_region;
        if (lim->max_s2m_ring > msg.hello.max_s2m_ring)
            msg.hello.max_s2m_ring = lim->max_s2m_ring;
        if (lim->max_m2s_ring > msg.hello.max_m2s_ring)
            msg.hello.max_m2s_ring = lim->max_m2s_ring;
        if (lim->max_log2_ring_size > msg.hello.max_log2_ring_size)
            msg.hello.max_log2_ring_size = lim->max_log2_ring_size;
    }
    return send_msg(cc->fd, &msg);
}

static void close_fds(int *fds, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

/* Frees what the handshake built. The data plane must no longer see it. */
static void dc_free(struct memif_cc *cc)
{
    struct memif_dpconn *dc = cc->dc;
    for (unsigned i = 0; i < MEMIF_MAX_RINGS; i++) {
        if (cc->s2m_mask & (1ull << i)) {
            if (cc->mp && cc->mp->epfd >= 0)
                epoll_ctl(cc->mp->epfd, EPOLL_CTL_DEL, cc->s2m[i].eventfd, NULL);
            close(cc->s2m[i].eventfd);
        }
        if (cc->m2s_mask & (1ull << i))
            close(cc->m2s[i].eventfd);
    }
    cc->s2m_mask = cc->m2s_mask = 0;
    if (dc) {
        for (unsigned i = 0; i < dc->nregions; i++)
            munmap(dc->regions[i].base, dc->regions[i].size);
        free(dc);
        cc->dc = NULL;
    }
}

static void cc_destroy(struct memif_cc *cc, const char *why)
{
    struct memif_port *mp = cc->mp;
    if (mp && cc->state == CC_CONNECTED) {
        atomic_store_explicit(&mp->conn, NULL, memory_order_release);
        dp_sync(); /* the data plane has finished every burst that used the regions */
        mp->disconnects++;
    }
    if (why) {
        struct memif_msg msg;
        memset(&msg, 0, sizeof(msg));
        msg.type = MEMIF_MSG_DISCONNECT;
        memif_set_name(msg.disconnect.string, sizeof(msg.disconnect.string), why);
        send_msg(cc->fd, &msg);
    }
    mainloop_cancel(cc);
    mainloop_del(cc->fd);
    close(cc->fd);
    dc_free(cc);
    for (struct memif_cc **pp = &cc->listener->ccs; *pp; pp = &(*pp)->next) {
        if (*pp == cc) {
            *pp = cc->next;
            break;
        }
    }
    if (mp) {
        mp->cc = NULL;
        if (why)
            snprintf(mp->last_error, sizeof(mp->last_error), "%s", why);
    } else if (cc->listener->unbound > 0) {
        cc->listener->unbound--;
    }
    free(cc);
}

/* A broken rule: counted on the interface (or the socket before one was named), the client
 * is told why and disconnected. */
static void cc_refuse(struct memif_cc *cc, enum memif_err err)
{
    if (cc->mp)
        cc->mp->errors[err]++;
    else
        cc->listener->errors[err]++;
    char why[96];
    snprintf(why, sizeof(why), "refused: %s", memif_err_names[err]);
    cc_destroy(cc, why);
}

static void cc_timeout(void *arg)
{
    struct memif_cc *cc = arg;
    if (cc->state != CC_CONNECTED)
        cc_refuse(cc, MEMIF_E_TIMEOUT);
}

/* The oldest connection of uid that has not named an interface, and how many it has. */
static struct memif_cc *oldest_unbound(struct memif_listener *l, uid_t uid, unsigned *count)
{
    struct memif_cc *oldest = NULL;
    unsigned n = 0;
    for (struct memif_cc *cc = l->ccs; cc; cc = cc->next) { /* newest first */
        if (!cc->mp && cc->uid == uid) {
            oldest = cc;
            n++;
        }
    }
    *count = n;
    return oldest;
}

/* Makes room for one more unbound connection of uid; false if there is none to make. A
 * peer over its own limit loses its oldest connection rather than the newcomer being
 * turned away, so that a client reconnecting is not locked out by its own stale attempts;
 * when the socket as a whole is full, the peer holding the most gives way, so a squatter
 * cannot keep other peers out by spreading over the whole table. */
static bool make_unbound_room(struct memif_listener *l, uid_t uid)
{
    unsigned mine;
    struct memif_cc *victim = oldest_unbound(l, uid, &mine);
    if (mine < MEMIF_UNBOUND_PER_UID) {
        if (l->unbound < MEMIF_UNBOUND_MAX)
            return true;
        unsigned most = 0;
        victim = NULL;
        for (struct memif_cc *cc = l->ccs; cc; cc = cc->next) {
            unsigned n;
            struct memif_cc *old = cc->mp ? NULL : oldest_unbound(l, cc->uid, &n);
            if (old && n > most) {
                most = n;
                victim = old;
            }
        }
        if (!victim || most <= mine)
            return false;
    }
    cc_refuse(victim, MEMIF_E_UNBOUND);
    return true;
}

void memif_listener_accept_fd(struct memif_listener *l, int fd)
{
    /* A client that never names its interface holds a descriptor and memory: bound them. */
    struct ucred cred;
    socklen_t clen = sizeof(cred);
    uid_t uid = (uid_t)-1;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0 && clen == sizeof(cred))
        uid = cred.uid;
    if (!make_unbound_room(l, uid)) {
        l->errors[MEMIF_E_UNBOUND]++;
        close(fd);
        return;
    }
    struct memif_cc *cc = calloc(1, sizeof(*cc));
    if (!cc) {
        close(fd);
        return;
    }
    cc->fd = fd;
    cc->uid = uid;
    cc->listener = l;
    cc->state = CC_AWAIT_INIT;
    if (mainloop_add(fd, EPOLLIN, memif_cc_on_readable, cc) != 0) {
        close(fd);
        free(cc);
        return;
    }
    l->unbound++;
    cc->next = l->ccs;
    l->ccs = cc;
    mainloop_every(MEMIF_HANDSHAKE_MS, cc_timeout, cc);
    if (send_hello(cc) != 0)
        cc_destroy(cc, NULL);
}

static enum memif_err on_init(struct memif_cc *cc, const struct memif_msg_init *init)
{
    struct memif_port *mp = memif_listener_find(cc->listener, init->id);
    if (!mp)
        return MEMIF_E_ID;
    if (mp->cc)
        return MEMIF_E_BUSY;
    enum memif_err err = memif_check_init(init, mp->secret);
    if (err != MEMIF_OK)
        return err;
    cc->dc = calloc(1, sizeof(*cc->dc));
    if (!cc->dc)
        return MEMIF_E_REGION_SIZE;
    cc->listener->unbound--;
    cc->mp = mp;
    mp->cc = cc;
    memif_get_name(mp->remote_name, sizeof(mp->remote_name), init->name, sizeof(init->name));
    cc->state = CC_HANDSHAKE;
    return MEMIF_OK;
}

static bool fd_is_eventfd(int fd)
{
    char link[64], target[64];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    if (n < 0)
        return false;
    target[n] = '\0';
    return strcmp(target, "anon_inode:[eventfd]") == 0;
}

static enum memif_err on_add_region(struct memif_cc *cc, const struct memif_msg_add_region *r,
                                    int fd)
{
    struct memif_dpconn *dc = cc->dc;
    enum memif_err err = memif_check_add_region(r, dc->nregions, &cc->mp->limits);
    if (err == MEMIF_OK)
        err = memif_check_region_fd(fd, r->size);
    if (err != MEMIF_OK)
        return err;
    void *base = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED)
        return MEMIF_E_REGION_FD;
    dc->regions[dc->nregions].base = base;
    dc->regions[dc->nregions].size = r->size;
    cc->region_sizes[dc->nregions] = r->size;
    dc->nregions++;
    return MEMIF_OK;
}

static enum memif_err on_add_ring(struct memif_cc *cc, const struct memif_msg_add_ring *r, int *fd)
{
    bool s2m = r->flags & MEMIF_ADD_RING_FLAG_S2M;
    uint64_t *mask = s2m ? &cc->s2m_mask : &cc->m2s_mask;
    enum memif_err err =
        memif_check_add_ring(r, cc->region_sizes, cc->dc->nregions, &cc->mp->limits, *mask);
    if (err != MEMIF_OK)
        return err;
    if (!fd_is_eventfd(*fd))
        return MEMIF_E_MSG_FD;
    /* The data plane signals the client through this descriptor and must never block on it. */
    int fl = fcntl(*fd, F_GETFL);
    if (fl < 0 || fcntl(*fd, F_SETFL, fl | O_NONBLOCK) != 0)
        return MEMIF_E_MSG_FD;
    if (s2m) {
        cc->s2m[r->index].region = r->region;
        cc->s2m[r->index].offset = r->offset;
        cc->s2m[r->index].log2 = r->log2_ring_size;
        cc->s2m[r->index].eventfd = *fd;
    } else {
        cc->m2s[r->index].region = r->region;
        cc->m2s[r->index].offset = r->offset;
        cc->m2s[r->index].log2 = r->log2_ring_size;
        cc->m2s[r->index].eventfd = *fd;
    }
    *mask |= 1ull << r->index;
    *fd = -1; /* kept */
    return MEMIF_OK;
}

static enum memif_err on_connect(struct memif_cc *cc)
{
    struct memif_dpconn *dc = cc->dc;
    struct memif_port *mp = cc->mp;
    enum memif_err err = memif_check_ring_set(cc->s2m_mask, cc->m2s_mask);
    if (err != MEMIF_OK)
        return err;
    for (int dir = 0; dir < 2; dir++) {
        uint64_t mask = dir == 0 ? cc->s2m_mask : cc->m2s_mask;
        for (unsigned i = 0; mask & (1ull << i); i++) {
            struct memif_sring *sr = dir == 0 ? &dc->s2m[i] : &dc->m2s[i];
            uint16_t region = dir == 0 ? cc->s2m[i].region : cc->m2s[i].region;
            uint32_t offset = dir == 0 ? cc->s2m[i].offset : cc->m2s[i].offset;
            uint8_t log2 = dir == 0 ? cc->s2m[i].log2 : cc->m2s[i].log2;
            sr->ring = (struct memif_ring *)(dc->regions[region].base + offset);
            if (__atomic_load_n(&sr->ring->cookie, __ATOMIC_RELAXED) != MEMIF_COOKIE)
                return MEMIF_E_RING_COOKIE;
            sr->size = 1u << log2;
            sr->mask = sr->size - 1;
            sr->eventfd = dir == 0 ? cc->s2m[i].eventfd : cc->m2s[i].eventfd;
            if (dir == 0)
                dc->ns2m = i + 1;
            else
                dc->nm2s = i + 1;
        }
    }
    for (unsigned i = 0; i < dc->ns2m; i++) {
        struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u32 = i};
        if (mp->epfd >= 0 && epoll_ctl(mp->epfd, EPOLL_CTL_ADD, dc->s2m[i].eventfd, &ev) != 0)
            return MEMIF_E_MSG_FD;
    }
    dc->max_buffer = mp->limits.max_buffer_size;
    dc->in_port = mp->port ? mp->port->index : 0;
    dc->notify_fd = mp->notify_fd;
    dc->epfd = mp->epfd;
    memif_dpconn_start(dc);
    cc->state = CC_CONNECTED;
    mainloop_cancel(cc);
    atomic_store_explicit(&mp->conn, dc, memory_order_release);
    mp->connects++;
    mp->last_error[0] = '\0';
    dp_kick();
    return MEMIF_OK;
}

/* Handles one message; returns false when the connection is gone. */
static bool on_message(struct memif_cc *cc, const struct memif_msg *msg, int *fds, unsigned nfds)
{
    bool wants_fd = msg->type == MEMIF_MSG_ADD_REGION || msg->type == MEMIF_MSG_ADD_RING;
    if (msg->type == MEMIF_MSG_DISCONNECT) {
        char why[MEMIF_DISC_STRING_LEN + 1], text[128];
        memif_get_name(why, sizeof(why), msg->disconnect.string, sizeof(msg->disconnect.string));
        snprintf(text, sizeof(text), "client disconnected: %s", why);
        close_fds(fds, nfds);
        if (cc->mp)
            snprintf(cc->mp->last_error, sizeof(cc->mp->last_error), "%s", text);
        cc_destroy(cc, NULL);
        return false;
    }
    if ((wants_fd && nfds != 1) || (!wants_fd && nfds != 0)) {
        close_fds(fds, nfds);
        cc_refuse(cc, MEMIF_E_MSG_FD);
        return false;
    }
    enum memif_err err = MEMIF_OK;
    int fd = nfds ? fds[0] : -1;
    if (cc->state == CC_AWAIT_INIT && msg->type == MEMIF_MSG_INIT) {
        err = on_init(cc, &msg->init);
    } else if (cc->state == CC_HANDSHAKE && msg->type == MEMIF_MSG_ADD_REGION) {
        err = on_add_region(cc, &msg->add_region, fd);
        /* The mapping keeps the memory; the descriptor is not needed. */
    } else if (cc->state == CC_HANDSHAKE && msg->type == MEMIF_MSG_ADD_RING) {
        err = on_add_ring(cc, &msg->add_ring, &fd);
    } else if (cc->state == CC_HANDSHAKE && msg->type == MEMIF_MSG_CONNECT) {
        err = on_connect(cc);
    } else {
        err = MEMIF_E_MSG_TYPE;
    }
    if (fd >= 0)
        close(fd);
    if (err != MEMIF_OK) {
        cc_refuse(cc, err);
        return false;
    }
    int sent;
    if (msg->type == MEMIF_MSG_CONNECT)
        sent = send_simple(cc, MEMIF_MSG_CONNECTED, cc->mp->port ? cc->mp->port->name : "");
    else
        sent = send_simple(cc, MEMIF_MSG_ACK, NULL);
    if (sent != 0) {
        cc_destroy(cc, NULL);
        return false;
    }
    return true;
}

void memif_cc_on_readable(void *arg, uint32_t events)
{
    struct memif_cc *cc = arg;
    (void)events;
    for (;;) {
        struct memif_msg msg;
        union {
            char buf[CMSG_SPACE(sizeof(int) * 8)];
            struct cmsghdr align;
        } ctl;
        struct iovec iov = {.iov_base = &msg, .iov_len = sizeof(msg)};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = ctl.buf,
                            .msg_controllen = sizeof(ctl.buf)};
        ssize_t n = recvmsg(cc->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        int fds[8];
        unsigned nfds = 0;
        for (struct cmsghdr *c = n >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; c; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                continue;
            size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < count && nfds < 8; i++)
                memcpy(&fds[nfds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        }
        if (n <= 0) {
            close_fds(fds, nfds);
            if (cc->mp)
                snprintf(cc->mp->last_error, sizeof(cc->mp->last_error), "client went away");
            cc_destroy(cc, NULL);
            return;
        }
        if (memif_check_msg_size(n, mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != MEMIF_OK) {
            close_fds(fds, nfds);
            cc_refuse(cc, MEMIF_E_MSG_SIZE);
            return;
        }
        if (!on_message(cc, &msg, fds, nfds))
            return;
    }
}

void memif_port_disconnect(struct memif_port *mp, const char *why)
{
    if (mp->cc)
        cc_destroy(mp->cc, why);
}

void memif_port_on_notify(void *arg, uint32_t events)
{
    struct memif_port *mp = arg;
    (void)events;
    uint64_t v;
    ssize_t n = read(mp->notify_fd, &v, sizeof(v));
    (void)n;
    struct memif_dpconn *dc = atomic_load(&mp->conn);
    if (mp->cc && dc && atomic_load_explicit(&dc->broken, memory_order_acquire)) {
        enum memif_err err = dc->broken_err;
        mp->errors[err]++;
        char why[96];
        snprintf(why, sizeof(why), "protocol violation: %s", memif_err_names[err]);
        cc_destroy(mp->cc, why);
    }
}

void memif_listener_close_all(struct memif_listener *l)
{
    while (l->ccs)
        cc_destroy(l->ccs, "interface removed");
}

unsigned memif_listener_list(struct memif_listener *l, struct memif_cc **out, unsigned max)
{
    unsigned n = 0;
    for (struct memif_cc *cc = l->ccs; cc && n < max; cc = cc->next)
        out[n++] = cc;
    return n;
}

unsigned memif_listener_connections(const struct memif_listener *l)
{
    unsigned n = 0;
    for (const struct memif_cc *cc = l->ccs; cc; cc = cc->next)
        n++;
    return n;
}

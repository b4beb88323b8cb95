/* port_memif.c - the memif port kind: `type=memif socket=PATH id=N`. Listening sockets are
 * shared by every interface id on the same path; each interface serves one client at a time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "dataplane.h"
#include "mainloop.h"
#include "port_client.h"
#include "port_memif.h"

static struct memif_listener *listeners; /* management thread only */

struct memif_port *memif_listener_find(struct memif_listener *l, uint32_t id)
{
    for (struct memif_port *mp = l->ports; mp; mp = mp->next_on_listener)
        if (mp->id == id)
            return mp;
    return NULL;
}

void memif_listener_on_accept(void *arg, uint32_t events)
{
    struct memif_listener *l = arg;
    (void)events;
    for (;;) {
        int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        memif_listener_accept_fd(l, fd);
    }
}

static socklen_t make_addr(const char *path, struct sockaddr_un *sa)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    size_t len = strlen(path);
    memcpy(sa->sun_path, path, len);
    if (path[0] == '@') {
        sa->sun_path[0] = '\0'; /* abstract namespace */
        return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    }
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
}

/* A socket file left by a previous run is replaced; one that a live server answers is not. */
static int remove_stale(const char *path, const struct sockaddr_un *sa, socklen_t salen)
{
    struct stat st;
    if (path[0] == '@' || lstat(path, &st) != 0)
        return 0;
    if (!S_ISSOCK(st.st_mode))
        return -1;
    int probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (probe < 0)
        return -1;
    int rc = connect(probe, (const struct sockaddr *)sa, salen);
    close(probe);
    if (rc == 0)
        return -1;
    return unlink(path);
}

static struct memif_listener *listener_get(const char *path, char *err, size_t errlen)
{
    for (struct memif_listener *l = listeners; l; l = l->next)
        if (strcmp(l->path, path) == 0)
            return l;
    struct sockaddr_un sa;
    if (strlen(path) >= sizeof(sa.sun_path) || (path[0] == '@' && path[1] == '\0')) {
        snprintf(err, errlen, "socket path too long or empty");
        return NULL;
    }
    socklen_t salen = make_addr(path, &sa);
    if (remove_stale(path, &sa, salen) != 0) {
        snprintf(err, errlen, "%s exists and is not a stale memif socket", path);
        return NULL;
    }
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, salen) != 0 || listen(fd, 16) != 0) {
        snprintf(err, errlen, "listen on %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    struct memif_listener *l = calloc(1, sizeof(*l));
    if (!l) {
        close(fd);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(l->path, sizeof(l->path), "%s", path);
    l->fd = fd;
    struct stat st;
    if (path[0] != '@' && lstat(path, &st) == 0) {
        l->dev = st.st_dev;
        l->ino = st.st_ino;
        l->bound = true;
    }
    if (mainloop_add(fd, EPOLLIN, memif_listener_on_accept, l) != 0) {
        snprintf(err, errlen, "cannot watch %s", path);
        close(fd);
        free(l);
        return NULL;
    }
    l->next = listeners;
    listeners = l;
    return l;
}

static void listener_put(struct memif_listener *l)
{
    if (l->ports)
        return;
    memif_listener_close_all(l);
    mainloop_del(l->fd);
    close(l->fd);
    /* Only the socket this listener bound is removed: whatever has since taken its name (a
     * file, a link, another socket) stays. */
    struct stat st;
    if (l->bound && lstat(l->path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == l->dev &&
        st.st_ino == l->ino)
        unlink(l->path);
    for (struct memif_listener **pp = &listeners; *pp; pp = &(*pp)->next) {
        if (*pp == l) {
            *pp = l->next;
            break;
        }
    }
    free(l);
}

static bool parse_u32(const char *s, uint64_t max, uint32_t *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max || s[0] == '-')
        return false;
    *out = (uint32_t)v;
    return true;
}

int memif_port_open(struct port *p, char *err, size_t errlen)
{
    const char *given = port_arg(&p->args, "socket");
    const char *id_s = port_arg(&p->args, "id");
    const char *secret = port_arg(&p->args, "secret");
    const char *ring_s = port_arg(&p->args, "ring_size");
    const char *bsize_s = port_arg(&p->args, "buffer_size");
    const char *rings_s = port_arg(&p->args, "rings");
    uint32_t id = 0, ring_size = 1u << MEMIF_DEFAULT_LOG2_RING, bsize = MEMIF_DEFAULT_MAX_BUFFER;
    uint32_t rings = MEMIF_MAX_RINGS;
    if (!given || !*given) {
        snprintf(err, errlen, "memif needs socket=PATH");
        return -1;
    }
    char path[sizeof(((struct memif_listener *)0)->path)];
    if (port_client_socket_path(p, given, path, sizeof(path), err, errlen) < 0)
        return -1;
    if (id_s && !parse_u32(id_s, UINT32_MAX, &id)) {
        snprintf(err, errlen, "bad id '%s'", id_s);
        return -1;
    }
    if (secret && strlen(secret) > MEMIF_SECRET_LEN) {
        snprintf(err, errlen, "secret longer than %u bytes", MEMIF_SECRET_LEN);
        return -1;
    }
    if (ring_s && (!parse_u32(ring_s, 1u << 15, &ring_size) || ring_size < 2 ||
                   (ring_size & (ring_size - 1)))) {
        snprintf(err, errlen, "ring_size must be a power of two from 2 to 32768");
        return -1;
    }
    if (bsize_s && (!parse_u32(bsize_s, PKT_MAX_FRAME, &bsize) || bsize < 64)) {
        snprintf(err, errlen, "buffer_size must be from 64 to %u", PKT_MAX_FRAME);
        return -1;
    }
    if (rings_s && (!parse_u32(rings_s, MEMIF_MAX_RINGS, &rings) || rings == 0)) {
        snprintf(err, errlen, "rings must be from 1 to %u", MEMIF_MAX_RINGS);
        return -1;
    }
    struct memif_listener *l = listener_get(path, err, errlen);
    if (!l)
        return -1;
    if (memif_listener_find(l, id)) {
        snprintf(err, errlen, "id %u is already used on %s", id, path);
        return -1;
    }
    struct memif_port *mp = calloc(1, sizeof(*mp));
    if (!mp) {
        snprintf(err, errlen, "out of memory");
        listener_put(l);
        return -1;
    }
    mp->port = p;
    mp->listener = l;
    mp->id = id;
    snprintf(mp->secret, sizeof(mp->secret), "%s", secret ? secret : "");
    mp->limits.max_region = MEMIF_MAX_REGIONS - 1;
    mp->limits.max_s2m_ring = (uint16_t)(rings - 1);
    mp->limits.max_m2s_ring = (uint16_t)(rings - 1);
    mp->limits.max_log2_ring_size = (uint8_t)__builtin_ctz(ring_size);
    mp->limits.max_region_size = MEMIF_MAX_REGION_SIZE;
    mp->limits.max_buffer_size = bsize;
    mp->epfd = epoll_create1(EPOLL_CLOEXEC);
    mp->notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    atomic_init(&mp->conn, NULL);
    if (mp->epfd < 0 || mp->notify_fd < 0 ||
        mainloop_add(mp->notify_fd, EPOLLIN, memif_port_on_notify, mp) != 0) {
        snprintf(err, errlen, "cannot create the port's descriptors: %s", strerror(errno));
        if (mp->epfd >= 0)
            close(mp->epfd);
        if (mp->notify_fd >= 0)
            close(mp->notify_fd);
        free(mp);
        listener_put(l);
        return -1;
    }
    mp->next_on_listener = l->ports;
    l->ports = mp;
    p->priv = mp;
    mainloop_every(MEMIF_WATCHDOG_MS, memif_port_watchdog, mp);
    return 0;
}

void memif_port_watchdog(void *arg)
{
    /* A client must read the ring's flags after publishing its head with a full barrier in
     * between; one that does not (some do not) can miss the moment the switch asks for
     * signals, and its packets then wait for the next signal. Such packets are found here:
     * pending, and the ring unchanged since the last look. */
    struct memif_port *mp = arg;
    struct memif_dpconn *dc = atomic_load(&mp->conn);
    if (!dc)
        return;
    bool stuck = false;
    for (unsigned i = 0; i < dc->ns2m; i++) {
        struct memif_ring *ring = dc->s2m[i].ring;
        uint16_t head = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);
        uint16_t tail = __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE);
        if (head != tail && head == mp->seen_head[i] && tail == mp->seen_tail[i])
            stuck = true;
        mp->seen_head[i] = head;
        mp->seen_tail[i] = tail;
    }
    if (stuck) {
        mp->watchdog_kicks++;
        dp_kick();
    }
}

unsigned memif_port_rx(struct port *p, struct pkt **pkts, unsigned max, struct pkt_pool *pool)
{
    struct memif_port *mp = p->priv;
    struct memif_dpconn *dc = atomic_load_explicit(&mp->conn, memory_order_acquire);
    return dc ? memif_dp_rx(dc, pkts, max, pool, &p->stats) : 0;
}

unsigned memif_port_tx(struct port *p, struct pkt **pkts, unsigned n)
{
    struct memif_port *mp = p->priv;
    struct memif_dpconn *dc = atomic_load_explicit(&mp->conn, memory_order_acquire);
    return dc ? memif_dp_tx(dc, pkts, n, &p->stats) : 0;
}

static int memif_port_poll_fd(struct port *p)
{
    struct memif_port *mp = p->priv;
    return mp->epfd;
}

bool memif_port_link_up(struct port *p)
{
    struct memif_port *mp = p->priv;
    return atomic_load(&mp->conn) != NULL;
}

static void memif_port_describe(struct port *p, struct jw *w)
{
    struct memif_port *mp = p->priv;
    struct memif_dpconn *dc = atomic_load(&mp->conn);
    jw_kstr(w, "socket", mp->listener->path);
    jw_kuint(w, "id", mp->id);
    jw_kbool(w, "connected", dc != NULL);
    jw_kbool(w, "secret", mp->secret[0] != '\0');
    if (dc) {
        jw_kstr(w, "remote_name", mp->remote_name);
        jw_kuint(w, "regions", dc->nregions);
        jw_kuint(w, "s2m_rings", dc->ns2m);
        jw_kuint(w, "m2s_rings", dc->nm2s);
        jw_kuint(w, "ring_size", dc->s2m[0].size);
    }
    jw_kuint(w, "connects", mp->connects);
    jw_kuint(w, "disconnects", mp->disconnects);
    jw_kuint(w, "watchdog_kicks", mp->watchdog_kicks);
    jw_kstr(w, "last_error", mp->last_error);
    jw_key(w, "errors");
    jw_obj_begin(w);
    for (int e = 1; e < MEMIF_E_MAX; e++)
        if (mp->errors[e])
            jw_kuint(w, memif_err_names[e], mp->errors[e]);
    jw_obj_end(w);
    jw_key(w, "socket_errors");
    jw_obj_begin(w);
    for (int e = 1; e < MEMIF_E_MAX; e++)
        if (mp->listener->errors[e])
            jw_kuint(w, memif_err_names[e], mp->listener->errors[e]);
    jw_obj_end(w);
}

void memif_port_close(struct port *p)
{
    struct memif_port *mp = p->priv;
    if (!mp)
        return;
    memif_port_disconnect(mp, "interface removed");
    struct memif_listener *l = mp->listener;
    for (struct memif_port **pp = &l->ports; *pp; pp = &(*pp)->next_on_listener) {
        if (*pp == mp) {
            *pp = mp->next_on_listener;
            break;
        }
    }
    mainloop_cancel(mp);
    mainloop_del(mp->notify_fd);
    close(mp->notify_fd);
    close(mp->epfd);
    free(mp);
    p->priv = NULL;
    listener_put(l);
}

PORT_KIND(memif_kind, {
                          .name = "memif",
                          .open = memif_port_open,
                          .rx = memif_port_rx,
                          .tx = memif_port_tx,
                          .poll_fd = memif_port_poll_fd,
                          .link_up = memif_port_link_up,
                          .describe = memif_port_describe,
                          .close = memif_port_close,
                      });

/* dataplane.c - the data-plane thread: polls ports that carry traffic in bursts, sleeps in
 * epoll when all are idle, runs each burst through capture, switching and output queues. */
#include "dataplane.h"

#include <errno.h>
#include <linux/virtio_net.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "capture_agent.h"
#include "flowpath.h"
#include "l2switch_dp.h"
#include "log.h"
#include "offload.h"

/* A port that returned nothing this many polls in a row goes back to waiting in epoll. */
#define IDLE_POLLS_BEFORE_SLEEP 256
/* While busy, look for newly readable ports every this many loops. */
#define EPOLL_CHECK_LOOPS 32
#define POOL_PACKETS 1024

struct dp {
    _Atomic(struct dp_config *) cfg;
    _Atomic uint64_t epoch;
    _Atomic int asleep;
    _Atomic int stop;
    _Atomic int poll_all;
    pthread_t thread;
    bool running;
    int epfd;
    int wake_fd;

    pthread_mutex_t call_mu;
    pthread_cond_t call_cv;
    _Atomic int call_pending;
    void (*call_fn)(void *arg);
    void *call_arg;
    bool call_done;

    /* Owned by the data-plane thread. */
    struct pkt_pool *pool;
    struct flowpath *flowpath;
    uint32_t active[PORT_MAX];
    unsigned nactive;
    bool is_active[PORT_MAX];
    uint16_t idle_polls[PORT_MAX];
    uint32_t pending_tx[PORT_MAX]; /* ports with queued output in this burst */
    unsigned npending;
    uint32_t now_s; /* monotonic seconds, refreshed every loop */
};

static struct dp dp = {.epfd = -1, .wake_fd = -1};

uint64_t dp_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint32_t mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)ts.tv_sec;
}

/* ---- configuration versions (management thread) ---- */

const struct dp_config *dp_current(void)
{
    return atomic_load(&dp.cfg);
}

static struct dp_config *config_dup(const struct dp_config *old)
{
    struct dp_config *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    *c = *old;
    c->removed = NULL;
    c->nremoved = 0;
    c->slots = calloc(old->nslots ? old->nslots : 1, sizeof(struct dp_port));
    if (!c->slots) {
        free(c);
        return NULL;
    }
    if (old->nslots)
        memcpy(c->slots, old->slots, old->nslots * sizeof(struct dp_port));
    return c;
}

struct dp_config *dp_config_copy(void)
{
    struct dp_config *c = config_dup(atomic_load(&dp.cfg));
    if (!c) {
        log_err("out of memory copying the configuration");
        abort();
    }
    return c;
}

void dp_config_free(struct dp_config *c)
{
    if (!c)
        return;
    free(c->removed);
    free(c->slots);
    free(c);
}

void dp_config_commit(struct dp_config *c)
{
    struct dp_config *old = atomic_load(&dp.cfg);
    c->version = old->version + 1;
    struct port **removed = c->removed;
    unsigned nremoved = c->nremoved;
    c->removed = NULL;
    c->nremoved = 0;
    for (unsigned i = 0; i < nremoved; i++)
        dp_unwatch_port(removed[i]);
    atomic_store(&dp.cfg, c);
    dp_sync();
    dp_config_free(old);
    for (unsigned i = 0; i < nremoved; i++) {
        struct port *p = removed[i];
        log_info("port %s (%s) removed", p->name, p->kind->name);
        if (p->kind->close)
            p->kind->close(p);
        free(p);
    }
    free(removed);
    atomic_store(&dp.poll_all, 1);
    dp_kick();
}

void dp_kick(void)
{
    uint64_t one = 1;
    ssize_t w = write(dp.wake_fd, &one, sizeof(one));
    (void)w;
}

void dp_sync(void)
{
    if (!dp.running)
        return;
    uint64_t e = atomic_load(&dp.epoch);
    while (atomic_load(&dp.epoch) == e && !atomic_load(&dp.asleep)) {
        struct timespec ts = {0, 20000};
        nanosleep(&ts, NULL);
    }
}

void dp_call(void (*fn)(void *arg), void *arg)
{
    if (!dp.running) {
        fn(arg);
        return;
    }
    pthread_mutex_lock(&dp.call_mu);
    dp.call_fn = fn;
    dp.call_arg = arg;
    dp.call_done = false;
    atomic_store(&dp.call_pending, 1);
    dp_kick();
    while (!dp.call_done)
        pthread_cond_wait(&dp.call_cv, &dp.call_mu);
    pthread_mutex_unlock(&dp.call_mu);
}

static void run_pending_call(void)
{
    pthread_mutex_lock(&dp.call_mu);
    atomic_store(&dp.call_pending, 0);
    dp.call_fn(dp.call_arg);
    dp.call_done = true;
    pthread_cond_signal(&dp.call_cv);
    pthread_mutex_unlock(&dp.call_mu);
}

int dp_watch_port(struct port *p)
{
    int fd = p->kind->poll_fd ? p->kind->poll_fd(p) : -1;
    if (fd < 0)
        return 0;
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = p->index};
    if (epoll_ctl(dp.epfd, EPOLL_CTL_ADD, fd, &ev) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

void dp_unwatch_port(struct port *p)
{
    int fd = p->kind->poll_fd ? p->kind->poll_fd(p) : -1;
    if (fd >= 0)
        epoll_ctl(dp.epfd, EPOLL_CTL_DEL, fd, NULL);
}

/* ---- the burst path (data-plane thread) ---- */

void dp_drop_rx(const struct dp_config *cfg, const struct pkt *p, enum drop_reason why)
{
    cfg->slots[p->in_port].port->stats.rx_drops[why]++;
}

static void port_send(struct port *port, struct pkt **pkts, unsigned n)
{
    /* A kind counts frames it refused (DROP_TX_ERROR); the rest not sent found no room. */
    uint64_t refused_before = port->stats.tx_drops[DROP_TX_ERROR];
    unsigned sent = port->failed ? 0 : port->kind->tx(port, pkts, n);
    unsigned refused = (unsigned)(port->stats.tx_drops[DROP_TX_ERROR] - refused_before);
    for (unsigned i = 0; i < sent; i++)
        port->stats.tx_bytes += pkts[i]->len;
    port->stats.tx_packets += sent;
#ifndef SLUICE_NO_TRAFSTATS
    trafstats_count(&port->traffic[1], pkts, sent);
#endif
    if (sent + refused < n)
        port->stats.tx_drops[port->failed ? DROP_PORT_DOWN : DROP_TX_FULL] += n - sent - refused;
    pkt_free_burst(pkts, n);
}

/* For ports that cannot take offload state: checksums completed and large segments cut,
 * sending in bursts as the batch fills. */
static void send_resolved(struct port *port, struct pkt **txq, unsigned n)
{
    struct pkt *batch[PKT_BURST];
    struct pkt *segs[64];
    unsigned nb = 0;
    for (unsigned i = 0; i < n; i++) {
        struct pkt *p = txq[i];
        unsigned nsegs = 1;
        if (p->offload.gso_type != 0) {
            nsegs = offload_segment(p, segs, 64);
            pkt_free(p);
        } else {
            if ((p->offload.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && p->refcnt > 1) {
                struct pkt *c = pkt_clone(p);
                pkt_free(p);
                if (!c) {
                    port->stats.tx_drops[DROP_NO_BUFFER]++;
                    continue;
                }
                p = c;
            }
            segs[0] = p;
            if (offload_finish_csum(p) < 0) {
                pkt_free(p);
                nsegs = 0;
            } else {
                p->offload = (struct pkt_offload){0};
            }
        }
        if (nsegs == 0)
            port->stats.tx_drops[DROP_TX_ERROR]++;
        for (unsigned s = 0; s < nsegs; s++) {
            batch[nb++] = segs[s];
            if (nb == PKT_BURST) {
                port_send(port, batch, nb);
                nb = 0;
            }
        }
    }
    if (nb)
        port_send(port, batch, nb);
}

static void flush_port(const struct dp_config *cfg, uint32_t q)
{
    const struct dp_port *dq = &cfg->slots[q];
    struct port *port = dq->port;
    unsigned n = port->ntx;
    port->ntx = 0;
    if (dq->ncaps[1])
        capture_run(dq->caps[1], dq->ncaps[1], port->txq, n, CAPDIR_OUT);
    if (port->kind->flags & PORT_KIND_F_OFFLOAD)
        port_send(port, port->txq, n);
    else
        send_resolved(port, port->txq, n);
}

void dp_output(const struct dp_config *cfg, uint32_t q, struct pkt *p)
{
    struct port *port = cfg->slots[q].port;
    if (port->ntx == PKT_BURST)
        flush_port(cfg, q);
    port->txq[port->ntx++] = p;
    if (!port->tx_pending) {
        port->tx_pending = true;
        dp.pending_tx[dp.npending++] = q;
    }
}

static void flush_all(const struct dp_config *cfg)
{
    for (unsigned i = 0; i < dp.npending; i++) {
        uint32_t q = dp.pending_tx[i];
        if (cfg->slots[q].port->ntx)
            flush_port(cfg, q);
        cfg->slots[q].port->tx_pending = false;
    }
    dp.npending = 0;
}

static void process_burst(const struct dp_config *cfg, const struct dp_port *dport,
                          struct pkt **pkts, unsigned n)
{
    struct port *port = dport->port;
    uint64_t bytes = 0, now_ns = 0;
    for (unsigned i = 0; i < n; i++) {
        pkts[i]->in_port = port->index;
        bytes += pkts[i]->len;
        if (!pkts[i]->ts_ns) /* ports without their own receive time get one per burst */
            pkts[i]->ts_ns = now_ns ? now_ns : (now_ns = dp_now_ns());
    }
    port->stats.rx_packets += n;
    port->stats.rx_bytes += bytes;
#ifndef SLUICE_NO_TRAFSTATS /* only to measure what the counters cost (bench/analysis) */
    trafstats_count(&port->traffic[0], pkts, n);
#endif
    if (dport->ncaps[0])
        capture_run(dport->caps[0], dport->ncaps[0], pkts, n, CAPDIR_IN);
    if (!cfg->flows)
        l2_process_burst(cfg, pkts, n, dp.now_s);
    else
        flowpath_process_burst(dp.flowpath, cfg, pkts, n, dp.now_s, now_ns ? now_ns : dp_now_ns());
    flush_all(cfg);
    pkt_free_burst(pkts, n);
}

static void activate(uint32_t idx)
{
    if (idx >= PORT_MAX || dp.is_active[idx])
        return;
    dp.is_active[idx] = true;
    dp.idle_polls[idx] = 0;
    dp.active[dp.nactive++] = idx;
}

static void poll_active(const struct dp_config *cfg, unsigned *work)
{
    struct pkt *pkts[PKT_BURST];
    for (unsigned a = 0; a < dp.nactive;) {
        uint32_t idx = dp.active[a];
        const struct dp_port *dport = idx < cfg->nslots ? &cfg->slots[idx] : NULL;
        struct port *port = dport ? dport->port : NULL;
        unsigned n = 0;
        if (port && !port->failed)
            n = port->kind->rx(port, pkts, PKT_BURST, dp.pool);
        if (n) {
            dp.idle_polls[idx] = 0;
            *work += n;
            process_burst(cfg, dport, pkts, n);
            a++;
        } else if (!port || port->failed || ++dp.idle_polls[idx] >= IDLE_POLLS_BEFORE_SLEEP) {
            /* Ports with a readiness fd come back through epoll; ports without one must be
             * polled while they live. */
            bool has_fd =
                port && !port->failed && port->kind->poll_fd && port->kind->poll_fd(port) >= 0;
            if (port && !port->failed && !has_fd) {
                dp.idle_polls[idx] = 0;
                a++;
                continue;
            }
            dp.is_active[idx] = false;
            dp.active[a] = dp.active[--dp.nactive];
        } else {
            a++;
        }
    }
}

/* After a configuration change every port is polled once (ports that already had work
 * pending before they were published), then only those that had something stay active. */
static void activate_all(const struct dp_config *cfg)
{
    for (uint32_t i = 0; i < cfg->nslots; i++) {
        if (cfg->slots[i].port && !cfg->slots[i].port->failed && !dp.is_active[i]) {
            activate(i);
            dp.idle_polls[i] = IDLE_POLLS_BEFORE_SLEEP - 1;
        }
    }
}

static void handle_events(const struct dp_config *cfg, struct epoll_event *evs, int n)
{
    for (int i = 0; i < n; i++) {
        if (evs[i].data.u64 == UINT64_MAX) {
            uint64_t v;
            ssize_t r = read(dp.wake_fd, &v, sizeof(v));
            (void)r;
            continue;
        }
        uint32_t idx = (uint32_t)evs[i].data.u64;
        struct port *port = idx < cfg->nslots ? cfg->slots[idx].port : NULL;
        if (!port)
            continue;
        if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
            /* The device went away: stop polling it; the port is reported down. */
            if (!port->failed) {
                port->failed = true;
                dp_unwatch_port(port);
            }
            continue;
        }
        activate(idx);
    }
}

static void *dp_main(void *unused)
{
    (void)unused;
    struct epoll_event evs[256];
    unsigned loops = 0;
    uint32_t last_expire = 0;
    while (!atomic_load(&dp.stop)) {
        atomic_fetch_add(&dp.epoch, 1);
        const struct dp_config *cfg = atomic_load(&dp.cfg);
        dp.now_s = mono_s();
        if (atomic_load_explicit(&dp.call_pending, memory_order_relaxed))
            run_pending_call();
        if (atomic_load_explicit(&dp.poll_all, memory_order_relaxed)) {
            atomic_store(&dp.poll_all, 0);
            activate_all(cfg);
        }
        if (dp.now_s != last_expire) {
            last_expire = dp.now_s;
            l2_expire(cfg, dp.now_s);
            for (uint32_t i = 0; i < cfg->nslots; i++) {
                struct port *p = cfg->slots[i].port;
                if (p && p->kind->tick && !p->failed)
                    p->kind->tick(p);
            }
        }
        unsigned work = 0;
        poll_active(cfg, &work);
        if (dp.nactive == 0) {
            atomic_store(&dp.asleep, 1);
            if (atomic_load(&dp.call_pending) || atomic_load(&dp.poll_all) ||
                atomic_load(&dp.stop)) {
                atomic_store(&dp.asleep, 0);
                continue;
            }
            int n = epoll_wait(dp.epfd, evs, 256, 1000);
            atomic_store(&dp.asleep, 0);
            if (n > 0) {
                atomic_fetch_add(&dp.epoch, 1);
                handle_events(atomic_load(&dp.cfg), evs, n);
            }
        } else if (++loops % EPOLL_CHECK_LOOPS == 0 || work == 0) {
            int n = epoll_wait(dp.epfd, evs, 256, 0);
            if (n > 0)
                handle_events(cfg, evs, n);
        }
    }
    return NULL;
}

int dp_start(void)
{
    struct dp_config *c = calloc(1, sizeof(*c));
    if (!c)
        return -1;
    c->slots = calloc(1, sizeof(struct dp_port));
    c->mac_aging_s = 300;
    atomic_store(&dp.cfg, c);
    dp.pool = pkt_pool_create(POOL_PACKETS, PKT_MAX_FRAME);
    dp.epfd = epoll_create1(EPOLL_CLOEXEC);
    dp.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    dp.flowpath = dp.pool ? flowpath_create() : NULL;
    if (!dp.pool || !dp.flowpath || dp.epfd < 0 || dp.wake_fd < 0)
        return -1;
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = UINT64_MAX};
    if (epoll_ctl(dp.epfd, EPOLL_CTL_ADD, dp.wake_fd, &ev) < 0)
        return -1;
    if (l2_init() < 0)
        return -1;
    pthread_mutex_init(&dp.call_mu, NULL);
    pthread_cond_init(&dp.call_cv, NULL);
    if (pthread_create(&dp.thread, NULL, dp_main, NULL) != 0)
        return -1;
    pthread_setname_np(dp.thread, "sluice-dp");
    dp.running = true;
    return 0;
}

void dp_stop(void)
{
    if (!dp.running)
        return;
    atomic_store(&dp.stop, 1);
    dp_kick();
    pthread_join(dp.thread, NULL);
    dp.running = false;
}

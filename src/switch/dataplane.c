/* dataplane.c - the data-plane thread: polls ports that carry traffic in bursts, sleeps in
 * epoll when all are idle, runs each burst through capture, switching and output queues. */
#include "dataplane.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "capture_agent.h"
#include "dp_thread.h"
#include "flowpath.h"
#include "l2switch_dp.h"
#include "log.h"
#include "mactable.h"
#include "transmit.h"

/* A port that returned nothing this many polls in a row goes back to waiting in epoll. */
#define IDLE_POLLS_BEFORE_SLEEP 256
/* While busy, look for newly readable ports at least this often: a frame arriving on an idle
 * port waits for this check behind the bursts of busy ports, so it bounds the latency a flood
 * on other ports adds (a check costs an epoll_wait and a sched_yield, about a microsecond). */
#define EPOLL_CHECK_NS 50000
#define POOL_PACKETS 1024

/* What the management thread shares with the data plane: the published version and the
 * call-on-thread slot. Per-thread state is in struct dp_thread. */
struct dp {
    _Atomic(struct dp_config *) cfg;
    _Atomic int stop;
    _Atomic int poll_all;
    pthread_t thread;
    bool running;
    struct dp_thread *t;

    pthread_mutex_t call_mu;
    pthread_cond_t call_cv;
    _Atomic int call_pending;
    void (*call_fn)(void *arg);
    void *call_arg;
    bool call_done;
};

static struct dp dp;

uint64_t dp_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
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
    if (!dp.t)
        return;
    ssize_t w = write(dp.t->wake_fd, &one, sizeof(one));
    (void)w;
}

void dp_sync(void)
{
    if (!dp.running)
        return;
    struct dp_thread *t = dp.t;
    uint64_t e = atomic_load(&t->epoch);
    while (atomic_load(&t->epoch) == e && !atomic_load(&t->asleep)) {
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
    int fds[2] = {p->kind->poll_fd ? p->kind->poll_fd(p) : -1,
                  p->kind->poll_fd2 ? p->kind->poll_fd2(p) : -1};
    if (fds[0] < 0)
        return 0;
    if (!dp.t) {
        errno = EBADF;
        return -1;
    }
    for (unsigned i = 0; i < 2; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = p->index};
        if (fds[i] >= 0 && epoll_ctl(dp.t->epfd, EPOLL_CTL_ADD, fds[i], &ev) < 0 && errno != EEXIST)
            return -1;
    }
    return 0;
}

void dp_unwatch_port(struct port *p)
{
    int fds[2] = {p->kind->poll_fd ? p->kind->poll_fd(p) : -1,
                  p->kind->poll_fd2 ? p->kind->poll_fd2(p) : -1};
    for (unsigned i = 0; i < 2; i++)
        if (fds[i] >= 0 && dp.t)
            epoll_ctl(dp.t->epfd, EPOLL_CTL_DEL, fds[i], NULL);
}

/* ---- the burst path (data-plane thread) ---- */

static void process_burst(struct dp_thread *t, const struct dp_config *cfg,
                          const struct dp_port *dport, struct pkt **pkts, unsigned n)
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
        l2_process_burst(t, cfg, pkts, n);
    else
        flowpath_process_burst(t, cfg, pkts, n, now_ns ? now_ns : dp_now_ns());
    tx_flush_all(t, cfg);
    pkt_free_burst(pkts, n);
}

static void activate(struct dp_thread *t, uint32_t idx)
{
    if (idx >= PORT_MAX || t->is_active[idx])
        return;
    t->is_active[idx] = true;
    t->idle_polls[idx] = 0;
    t->active[t->nactive++] = idx;
}

static void poll_active(struct dp_thread *t, const struct dp_config *cfg, unsigned *work)
{
    struct pkt *pkts[PKT_BURST];
    for (unsigned a = 0; a < t->nactive;) {
        uint32_t idx = t->active[a];
        const struct dp_port *dport = idx < cfg->nslots ? &cfg->slots[idx] : NULL;
        struct port *port = dport ? dport->port : NULL;
        unsigned n = 0;
        if (port && !port->failed)
            n = port->kind->rx(port, pkts, PKT_BURST, t->pool);
        if (n) {
            t->idle_polls[idx] = 0;
            *work += n;
            process_burst(t, cfg, dport, pkts, n);
            a++;
        } else if (!port || port->failed || ++t->idle_polls[idx] >= IDLE_POLLS_BEFORE_SLEEP) {
            /* Ports with a readiness fd come back through epoll; ports without one must be
             * polled while they live. */
            bool has_fd =
                port && !port->failed && port->kind->poll_fd && port->kind->poll_fd(port) >= 0;
            if (port && !port->failed && !has_fd) {
                t->idle_polls[idx] = 0;
                a++;
                continue;
            }
            if (port && port->failed) /* a kind may find the failure itself while receiving */
                dp_unwatch_port(port);
            t->is_active[idx] = false;
            t->active[a] = t->active[--t->nactive];
        } else {
            a++;
        }
    }
}

/* After a configuration change every port is polled once (ports that already had work
 * pending before they were published), then only those that had something stay active. */
static void activate_all(struct dp_thread *t, const struct dp_config *cfg)
{
    for (uint32_t i = 0; i < cfg->nslots; i++) {
        if (cfg->slots[i].port && !cfg->slots[i].port->failed && !t->is_active[i]) {
            activate(t, i);
            t->idle_polls[i] = IDLE_POLLS_BEFORE_SLEEP - 1;
        }
    }
}

static void handle_events(struct dp_thread *t, const struct dp_config *cfg, struct epoll_event *evs,
                          int n)
{
    for (int i = 0; i < n; i++) {
        if (evs[i].data.u64 == UINT64_MAX) {
            uint64_t v;
            ssize_t r = read(t->wake_fd, &v, sizeof(v));
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
        activate(t, idx);
    }
}

static void *dp_main(void *arg)
{
    struct dp_thread *t = arg;
    struct epoll_event evs[256];
    uint64_t last_check_ns = 0;
    uint32_t last_expire = 0;
    while (!atomic_load(&dp.stop)) {
        atomic_fetch_add(&t->epoch, 1);
        const struct dp_config *cfg = atomic_load(&dp.cfg);
        t->now_mono_ns = mono_ns();
        t->now_s = (uint32_t)(t->now_mono_ns / 1000000000ull);
        if (atomic_load_explicit(&dp.call_pending, memory_order_relaxed))
            run_pending_call();
        if (atomic_load_explicit(&dp.poll_all, memory_order_relaxed)) {
            atomic_store(&dp.poll_all, 0);
            activate_all(t, cfg);
        }
        if (t->now_s != last_expire) {
            last_expire = t->now_s;
            l2_expire(cfg, t->now_s);
            for (uint32_t i = 0; i < cfg->nslots; i++) {
                struct port *p = cfg->slots[i].port;
                if (p && p->kind->tick && !p->failed)
                    p->kind->tick(p);
            }
        }
        unsigned work = 0;
        poll_active(t, cfg, &work);
        if (t->nactive == 0) {
            atomic_store(&t->asleep, 1);
            if (atomic_load(&dp.call_pending) || atomic_load(&dp.poll_all) ||
                atomic_load(&dp.stop)) {
                atomic_store(&t->asleep, 0);
                continue;
            }
            int n = epoll_wait(t->epfd, evs, 256, 1000);
            atomic_store(&t->asleep, 0);
            if (n > 0) {
                atomic_fetch_add(&t->epoch, 1);
                handle_events(t, atomic_load(&dp.cfg), evs, n);
            }
        } else if (work == 0 || t->now_mono_ns - last_check_ns >= EPOLL_CHECK_NS) {
            last_check_ns = t->now_mono_ns;
            /* The hosts whose frames we forward often wait to run on this very core (the
             * reply we are polling for, a server woken by our send): give them the core
             * now rather than when the scheduler takes it from a busy poller. */
            sched_yield();
            int n = epoll_wait(t->epfd, evs, 256, 0);
            if (n > 0)
                handle_events(t, cfg, evs, n);
        }
    }
    return NULL;
}

static struct dp_thread *thread_create(void)
{
    struct dp_thread *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->pool = pkt_pool_create(POOL_PACKETS, PKT_MAX_FRAME);
    t->epfd = epoll_create1(EPOLL_CLOEXEC);
    t->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    t->flowpath = t->pool ? flowpath_create() : NULL;
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = UINT64_MAX};
    if (!t->pool || !t->flowpath || t->epfd < 0 || t->wake_fd < 0 ||
        epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->wake_fd, &ev) < 0)
        return NULL; /* the daemon exits */
    return t;
}

int dp_start(uint32_t mac_aging_s, uint32_t mac_max)
{
    struct dp_config *c = calloc(1, sizeof(*c));
    if (!c)
        return -1;
    c->slots = calloc(1, sizeof(struct dp_port));
    c->mac_aging_s = mac_aging_s;
    c->fdb = mactable_create(mac_max, mac_aging_s);
    if (!c->slots || !c->fdb)
        return -1;
    atomic_store(&dp.cfg, c);
    dp.t = thread_create();
    if (!dp.t)
        return -1;
    pthread_mutex_init(&dp.call_mu, NULL);
    pthread_cond_init(&dp.call_cv, NULL);
    if (pthread_create(&dp.thread, NULL, dp_main, dp.t) != 0)
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

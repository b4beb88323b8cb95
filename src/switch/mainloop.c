/* mainloop.c - the management thread's epoll loop with coarse timers.
 * Callbacks are looked up by fd so that a callback may delete its own or other watches. */
#include "mainloop.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>

#include "log.h"

struct watch {
    int fd;
    mainloop_cb cb;
    void *arg;
};

struct timer {
    unsigned interval_ms;
    uint64_t due_ms;
    void (*cb)(void *arg);
    void *arg;
    bool live;
};

static int epfd = -1;
static struct watch *watches; /* indexed by fd */
static int nwatches;
static struct timer *timers;
static int ntimers;
static volatile sig_atomic_t stopping;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int mainloop_init(void)
{
    epfd = epoll_create1(EPOLL_CLOEXEC);
    return epfd < 0 ? -1 : 0;
}

int mainloop_add(int fd, uint32_t events, mainloop_cb cb, void *arg)
{
    if (fd < 0)
        return -1;
    if (fd >= nwatches) {
        int n = nwatches ? nwatches : 64;
        while (n <= fd)
            n *= 2;
        struct watch *w = realloc(watches, (size_t)n * sizeof(*w));
        if (!w)
            return -1;
        for (int i = nwatches; i < n; i++)
            w[i] = (struct watch){-1, NULL, NULL};
        watches = w;
        nwatches = n;
    }
    struct epoll_event ev = {.events = events, .data.fd = fd};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        return -1;
    watches[fd] = (struct watch){fd, cb, arg};
    return 0;
}

int mainloop_mod(int fd, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.fd = fd};
    return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
}

void mainloop_del(int fd)
{
    if (fd < 0 || fd >= nwatches || watches[fd].fd != fd)
        return;
    epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
    watches[fd] = (struct watch){-1, NULL, NULL};
}

int mainloop_every(unsigned interval_ms, void (*cb)(void *arg), void *arg)
{
    mainloop_cancel(arg);
    for (int i = 0; i < ntimers; i++) {
        if (!timers[i].live) {
            timers[i] = (struct timer){interval_ms, now_ms() + interval_ms, cb, arg, true};
            return 0;
        }
    }
    struct timer *t = realloc(timers, (size_t)(ntimers + 1) * sizeof(*t));
    if (!t)
        return -1;
    timers = t;
    timers[ntimers++] = (struct timer){interval_ms, now_ms() + interval_ms, cb, arg, true};
    return 0;
}

void mainloop_cancel(void *arg)
{
    for (int i = 0; i < ntimers; i++)
        if (timers[i].live && timers[i].arg == arg)
            timers[i].live = false;
}

void mainloop_stop(void)
{
    stopping = true;
}

static int next_timeout(void)
{
    uint64_t now = now_ms();
    int64_t best = 1000;
    for (int i = 0; i < ntimers; i++) {
        if (!timers[i].live)
            continue;
        int64_t d = (int64_t)(timers[i].due_ms - now);
        if (d < best)
            best = d < 0 ? 0 : d;
    }
    return (int)best;
}

static void run_timers(void)
{
    uint64_t now = now_ms();
    for (int i = 0; i < ntimers; i++) {
        if (timers[i].live && timers[i].due_ms <= now) {
            timers[i].due_ms = now + timers[i].interval_ms;
            timers[i].cb(timers[i].arg);
        }
    }
}

void mainloop_run(void)
{
    struct epoll_event evs[64];
    while (!stopping) {
        int n = epoll_wait(epfd, evs, 64, next_timeout());
        if (n < 0 && errno != EINTR) {
            log_err("management loop: epoll_wait failed");
            break;
        }
        for (int i = 0; i < n && !stopping; i++) {
            int fd = evs[i].data.fd;
            if (fd >= 0 && fd < nwatches && watches[fd].fd == fd)
                watches[fd].cb(watches[fd].arg, evs[i].events);
        }
        run_timers();
    }
}

/* dp_thread.h - the state of one data-plane thread, passed down the per-packet call chain:
 * its packet pool, flow path, active-port list, pending output ports, clock and wake-up. */
#ifndef SLUICE_DP_THREAD_H
#define SLUICE_DP_THREAD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "dataplane.h"
#include "packet.h"
#include "port.h"

struct flowpath;

struct dp_thread {
    /* Read by the management thread to wait for a quiescent point (dp_sync). */
    _Atomic uint64_t epoch;
    _Atomic int asleep;
    int epfd;    /* readiness of this thread's ports, and wake_fd */
    int wake_fd; /* written to make the thread look at calls and new versions */

    struct pkt_pool *pool;
    struct flowpath *flowpath; /* flow cache and its counters */
    uint32_t now_s;            /* monotonic seconds, refreshed every loop */
    uint64_t now_mono_ns;      /* monotonic nanoseconds, refreshed every loop */

    /* Ports polled every loop; the others wait in epoll. */
    uint32_t active[PORT_MAX];
    unsigned nactive;
    bool is_active[PORT_MAX];
    uint16_t idle_polls[PORT_MAX];

    /* Ports with output queued in this burst. The queues themselves are in struct port
     * (txq, ntx): right while one thread sends; more senders need queues per thread. */
    uint32_t pending_tx[PORT_MAX];
    unsigned npending;
};

/* Counts a drop on the receiving port. */
static inline void dp_drop_rx(const struct dp_config *cfg, const struct pkt *p,
                              enum drop_reason why)
{
    cfg->slots[p->in_port].port->stats.rx_drops[why]++;
}

#endif

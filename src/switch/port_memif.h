/* port_memif.h - the memif port's shared state: a connected client's regions and rings as the
 * data plane uses them, and the receive and transmit paths over those rings. */
#ifndef SLUICE_PORT_MEMIF_H
#define SLUICE_PORT_MEMIF_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "memif_check.h"
#include "packet.h"
#include "port.h"

#define MEMIF_MAX_REGIONS 16
#define MEMIF_MAX_RINGS 8 /* per direction */
#define MEMIF_DEFAULT_LOG2_RING 14
#define MEMIF_DEFAULT_MAX_BUFFER 65536u
#define MEMIF_MAX_REGION_SIZE (1ull << 32)

/* The server's side of one ring. The client writes head, the server writes tail. */
struct memif_sring {
    struct memif_ring *ring; /* inside a mapped region, checked to fit */
    uint32_t size, mask;
    /* S2M: the next slot to read. M2S: the next posted buffer to fill (our tail). */
    uint16_t next;
    int eventfd;
};

/* A connection once the handshake completed: immutable but for ring positions, which only
 * the data-plane thread changes. */
struct memif_dpconn {
    struct memif_region_map regions[MEMIF_MAX_REGIONS];
    unsigned nregions;
    struct memif_sring s2m[MEMIF_MAX_RINGS];
    struct memif_sring m2s[MEMIF_MAX_RINGS];
    unsigned ns2m, nm2s;
    uint32_t max_buffer;
    uint32_t in_port;
    unsigned rx_ring;     /* where the next receive starts, to share the burst among rings */
    bool armed;           /* the S2M rings ask for signals (MASK_INT clear) */
    uint32_t empty_polls; /* receive calls in a row that found nothing */
    /* Set by the data plane when the peer breaks the protocol; the management thread then
     * disconnects. notify_fd (an eventfd) wakes it. */
    atomic_int broken;
    enum memif_err broken_err;
    int notify_fd;
    /* Edge-triggered epoll set of the S2M eventfds (the port's poll fd), or -1. Draining it,
     * rather than reading the peer's eventfds, cannot block whatever the peer does to them. */
    int epfd;
};

/* Prepares the rings after the handshake: positions from the ring headers, interrupts on. */
void memif_dpconn_start(struct memif_dpconn *c);
/* Data plane: up to max packets from the client's S2M rings, each copied into a packet from
 * pool (chains joined); the client's buffers are released before it returns. */
unsigned memif_dp_rx(struct memif_dpconn *c, struct pkt **pkts, unsigned max, struct pkt_pool *pool,
                     struct port_stats *stats);
/* Data plane: copies packets into buffers the client posted on M2S ring 0, then signals the
 * client once if it asked for interrupts. Returns how many were taken. */
unsigned memif_dp_tx(struct memif_dpconn *c, struct pkt **pkts, unsigned n,
                     struct port_stats *stats);

/* The management thread's side (port_memif.c, port_memif_cc.c). */
struct memif_listener;
struct memif_cc;

/* One memif port: an interface id on a listening socket, and at most one client. */
struct memif_port {
    struct port *port;
    struct memif_listener *listener;
    struct memif_port *next_on_listener;
    uint32_t id;
    char secret[MEMIF_SECRET_LEN + 1];
    struct memif_limits limits;
    int epfd;                            /* the port's poll fd */
    int notify_fd;                       /* the data plane signals a protocol violation here */
    struct memif_cc *cc;                 /* the client, connecting or connected, or NULL */
    _Atomic(struct memif_dpconn *) conn; /* what the data plane uses; NULL when down */
    char remote_name[MEMIF_NAME_LEN + 1];
    char last_error[128];
    uint64_t connects, disconnects;
    uint64_t errors[MEMIF_E_MAX];
    uint64_t watchdog_kicks;
    uint16_t seen_head[MEMIF_MAX_RINGS], seen_tail[MEMIF_MAX_RINGS];
};

struct memif_listener {
    struct memif_listener *next;
    char path[108];
    int fd;
    bool bound; /* a socket file exists at path: its identity, to remove only that one */
    dev_t dev;
    ino_t ino;
    struct memif_port *ports;
    struct memif_cc *ccs;         /* every control connection, bound or not */
    unsigned unbound;             /* connections that have not said which interface yet */
    uint64_t errors[MEMIF_E_MAX]; /* refusals before a connection named an interface */
};

/* Entry points the main loop calls (also used directly by tests). */
void memif_listener_on_accept(void *listener, uint32_t events);
void memif_cc_on_readable(void *cc, uint32_t events);
void memif_port_on_notify(void *mp, uint32_t events);
/* Management thread, every MEMIF_WATCHDOG_MS: wakes the data plane if a receive ring holds
 * packets that have not moved since the last look (a signal the client never sent). */
void memif_port_watchdog(void *mp);
#define MEMIF_WATCHDOG_MS 100
/* Ends a port's connection, telling the client why (NULL: no message). Main thread. */
void memif_port_disconnect(struct memif_port *mp, const char *why);
struct memif_port *memif_listener_find(struct memif_listener *l, uint32_t id);
/* Takes a new control connection (accepted socket) and sends the hello. */
void memif_listener_accept_fd(struct memif_listener *l, int fd);
/* Closes every control connection of a listener that is going away. */
void memif_listener_close_all(struct memif_listener *l);
/* The listener's control connections, newest first (for tests). */
unsigned memif_listener_list(struct memif_listener *l, struct memif_cc **out, unsigned max);
/* The number of live control connections on a listener (for tests). */
unsigned memif_listener_connections(const struct memif_listener *l);

/* The port kind's operations. */
int memif_port_open(struct port *p, char *err, size_t errlen);
unsigned memif_port_rx(struct port *p, struct pkt **pkts, unsigned max, struct pkt_pool *pool);
unsigned memif_port_tx(struct port *p, struct pkt **pkts, unsigned n);
bool memif_port_link_up(struct port *p);
void memif_port_close(struct port *p);

#endif

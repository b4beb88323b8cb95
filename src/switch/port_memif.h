/* port_memif.h - the memif port's shared state: a connected client's regions and rings as the
 * data plane uses them, and the receive and transmit paths over those rings. */
#ifndef SLUICE_PORT_MEMIF_H
#define SLUICE_PORT_MEMIF_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

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
    /* S2M: the tail last published; slots in [published, next) are lent to the switch. */
    uint16_t published;
    int eventfd;
    bool armed; /* S2M: interrupts requested from the client (MASK_INT clear) */
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
    unsigned rx_ring; /* where the next receive starts, to share the burst among rings */
    /* Set by the data plane when the peer breaks the protocol; the management thread then
     * disconnects. notify_fd (an eventfd) wakes it. */
    atomic_int broken;
    enum memif_err broken_err;
    int notify_fd;
    struct pkt lent[PKT_BURST];
};

/* Prepares the rings after the handshake: positions from the ring headers, interrupts on. */
void memif_dpconn_start(struct memif_dpconn *c);
/* Data plane: up to max packets from the client's S2M rings, lent in place when a packet is
 * one descriptor, copied into pool packets when chained. */
unsigned memif_dp_rx(struct memif_dpconn *c, struct pkt **pkts, unsigned max, struct pkt_pool *pool,
                     struct port_stats *stats);
/* Data plane: copies packets into buffers the client posted on M2S ring 0, then signals the
 * client once if it asked for interrupts. Returns how many were taken. */
unsigned memif_dp_tx(struct memif_dpconn *c, struct pkt **pkts, unsigned n,
                     struct port_stats *stats);

#endif

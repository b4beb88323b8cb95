/* port.h - the interface every port kind implements (afpacket, tap, pcap, memif, ...) and
 * the port object the switch keeps for each configured port. */
#ifndef SLUICE_PORT_H
#define SLUICE_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "packet.h"
#include "registry.h"
#include "trafstats.h"

#define PORT_NAME_MAX 32
#define PORT_MAX_ARGS 16
#define PORT_MAX 8192 /* port indexes are below this */

/* Why a packet was dropped. Every received packet is either sent or counted under one. */
enum drop_reason {
    DROP_MALFORMED, /* too short or unparsable */
    DROP_VLAN,      /* VLAN not allowed on the port */
    DROP_NO_OUTPUT, /* destination is the receiving port, or no other port to flood to */
    DROP_FLOW,      /* a rule's actions dropped it */
    DROP_TTL,       /* dec_ttl reached zero */
    DROP_TX_FULL,   /* the output queue or ring had no room */
    DROP_TX_ERROR,  /* the output failed (device gone, too big, ...) */
    DROP_PORT_DOWN, /* output port has no link */
    DROP_NO_BUFFER, /* the packet pool was exhausted while copying */
    DROP_PEER,      /* a shared-memory peer broke the protocol */
    DROP_RING_FULL, /* the kernel's receive ring for the port was full (counted by the kernel) */
    DROP_MAX
};
extern const char *const drop_reason_names[DROP_MAX];

/* Written only by the data-plane thread; others read them with relaxed atomic loads. */
struct port_stats {
    uint64_t rx_packets, rx_bytes;
    uint64_t tx_packets, tx_bytes;
    uint64_t rx_drops[DROP_MAX]; /* received here, dropped for this reason */
    uint64_t tx_drops[DROP_MAX]; /* meant to leave here, dropped for this reason */
};

struct port_args {
    unsigned n;
    char key[PORT_MAX_ARGS][32];
    char val[PORT_MAX_ARGS][256];
};
const char *port_arg(const struct port_args *a, const char *key);

struct port;

struct port_kind {
    const char *name;
    /* Main thread: reads p->args, sets p->priv. Returns 0 or -1 with a one-line error. */
    int (*open)(struct port *p, char *err, size_t errlen);
    /* Data-plane thread: receives up to max packets, in buffers from pool. The frames are
     * the switch's own: a port never hands over memory its peer can still write. */
    unsigned (*rx)(struct port *p, struct pkt **pkts, unsigned max, struct pkt_pool *pool);
    /* Data-plane thread: sends n packets with at most one kick; returns how many were sent.
     * Frames the port refuses outright it counts in stats.tx_drops[DROP_TX_ERROR]; the rest
     * not sent are counted as DROP_TX_FULL. The caller keeps and frees every packet. */
    unsigned (*tx)(struct port *p, struct pkt **pkts, unsigned n);
    /* An fd that is readable when rx has work, or -1 if the port must be polled. */
    int (*poll_fd)(struct port *p);
    /* Optional: a second such fd, watched beside poll_fd (a port fed by two sockets), or -1. */
    int (*poll_fd2)(struct port *p);
    /* Main thread: is the link up? */
    bool (*link_up)(struct port *p);
    /* Data-plane thread, about once a second (optional): collect counters kept elsewhere. */
    void (*tick)(struct port *p);
    /* Main thread: extra fields for `show` (optional). */
    void (*describe)(struct port *p, struct jw *w);
    /* Main thread, once the data plane no longer sees the port. */
    void (*close)(struct port *p);
    unsigned flags;
};
/* The port accepts frames larger than its MTU that carry GSO offload state, and partial
 * checksums; others receive such frames segmented and with checksums complete. */
#define PORT_KIND_F_OFFLOAD 1u

#define PORT_KIND(ident, ...)                                                                      \
    SLUICE_REGISTER(sluice_port_kinds, struct port_kind, ident, __VA_ARGS__)
const struct port_kind *port_kind_find(const char *name);

struct port {
    char name[PORT_NAME_MAX];
    uint32_t index; /* stable while the port exists; the port number in flows and captures */
    const struct port_kind *kind;
    void *priv;
    struct port_args args;
    uint16_t tag;        /* access VLAN, 0 if none */
    bool trunk;          /* trunk port: carries only the VLANs in `trunks` */
    uint8_t trunks[512]; /* bitmap of allowed VLAN ids */
    bool failed;         /* the data plane saw a fatal error; reported as down */
    struct port_stats stats;
    struct traf_counters traffic[2]; /* [0] received, [1] sent; data-plane thread writes */
    /* Data-plane thread only: packets waiting to be sent at the end of the burst. */
    struct pkt *txq[PKT_BURST];
    unsigned ntx;
    bool tx_pending;
};

static inline bool port_trunk_allows(const struct port *p, uint16_t vid)
{
    return p->trunks[vid >> 3] & (1u << (vid & 7));
}

#endif

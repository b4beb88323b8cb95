/* packet.h - packet buffers and the preallocated pool the data plane takes them from.
 * A packet is one contiguous frame, as on the wire, with headroom to push a VLAN tag. */
#ifndef SLUICE_PACKET_H
#define SLUICE_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKT_BURST 32
#define PKT_HEADROOM 64
/* Large enough for a 64 KiB GSO segment handed over with a virtio-net header. */
#define PKT_MAX_FRAME (65536 + 64)

/* Offload state carried with a frame, the fields of a virtio-net header in host order.
 * flags/gso_type use the VIRTIO_NET_HDR_* values from <linux/virtio_net.h>. */
struct pkt_offload {
    uint8_t flags;
    uint8_t gso_type;
    uint16_t hdr_len;
    uint16_t gso_size;
    uint16_t csum_start;
    uint16_t csum_offset;
};

struct pkt_pool;

struct pkt {
    uint8_t *data;              /* first byte of the frame */
    uint32_t len;               /* bytes in the frame */
    uint32_t in_port;           /* index of the receiving port */
    uint64_t ts_ns;             /* receive time, CLOCK_REALTIME nanoseconds */
    struct pkt_offload offload; /* what the sender left to offload: partial checksum, GSO */
    uint16_t refcnt;            /* outputs still holding the packet (data-plane thread only) */
    struct pkt_pool *pool;      /* NULL only for packets built outside a pool (tests) */
    uint8_t *buf;               /* start of the buffer, data - buf is the headroom */
    uint32_t buf_size;
};

/* Creates a pool of `count` packets each able to hold `frame_capacity` bytes plus headroom.
 * The memory is mapped once; nothing is allocated afterwards. */
struct pkt_pool *pkt_pool_create(unsigned count, unsigned frame_capacity);
void pkt_pool_destroy(struct pkt_pool *pool);

/* Takes up to n packets (fewer when the pool runs low); each comes back reset:
 * data at the headroom, len 0, refcnt 1, no offload. Returns how many were taken. */
unsigned pkt_alloc_burst(struct pkt_pool *pool, struct pkt **pkts, unsigned n);
struct pkt *pkt_alloc(struct pkt_pool *pool);

/* Drops one reference; the packet returns to its pool when none remain. */
void pkt_free(struct pkt *p);
void pkt_free_burst(struct pkt **pkts, unsigned n);

unsigned pkt_pool_available(const struct pkt_pool *pool);
unsigned pkt_pool_size(const struct pkt_pool *pool);

/* Copies a packet (frame and metadata) into a fresh buffer from the same pool, with the
 * pool's full headroom so a tag can always be pushed. NULL when there is none. */
struct pkt *pkt_clone(const struct pkt *p);

static inline unsigned pkt_headroom(const struct pkt *p)
{
    return (unsigned)(p->data - p->buf);
}

static inline unsigned pkt_tailroom(const struct pkt *p)
{
    return p->buf_size - pkt_headroom(p) - p->len;
}

#endif

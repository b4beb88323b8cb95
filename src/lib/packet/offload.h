/* offload.h - frames that carry offload state (a partial checksum, a large GSO segment) made
 * ready for ports that cannot take it: checksums completed, segments cut to size. */
#ifndef SLUICE_OFFLOAD_H
#define SLUICE_OFFLOAD_H

#include <stdint.h>

#include "packet.h"

struct virtio_net_hdr;
/* Conversions to and from the virtio-net header that AF_PACKET and TAP carry (little-endian). */
void offload_from_vnet(const struct virtio_net_hdr *vh, struct pkt_offload *off);
void offload_to_vnet(const struct pkt_offload *off, struct virtio_net_hdr *vh);

/* Moves the offload offsets after `delta` bytes were inserted (or removed, negative) before
 * the L3 header, e.g. by pushing or popping a VLAN tag. */
void offload_shift(struct pkt_offload *off, int delta);

/* Fills in the checksum a VIRTIO_NET_HDR_F_NEEDS_CSUM frame left partial. The packet must
 * not be shared. Returns 0, or -1 if the offsets lie outside the frame. */
int offload_finish_csum(struct pkt *p);

/* Splits a GSO frame (TCP over IPv4 or IPv6 without extension headers) into segments of
 * gso_size payload bytes, each with complete checksums and no offload state, in buffers from
 * the packet's pool. Returns the number of segments (at most max), 0 if it cannot, including
 * when a segment would not fit in a pool buffer. */
unsigned offload_segment(const struct pkt *p, struct pkt **out, unsigned max);

#endif

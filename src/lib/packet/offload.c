/* offload.c - software fallbacks for checksum and segmentation offload, used only on the way
 * out to ports that cannot carry offload state; frames between capable ports pass untouched. */
#include "offload.h"

#include <endian.h>
#include <linux/virtio_net.h>
#include <string.h>

#include "byteorder.h"
#include "checksum.h"
#include "eth.h"

void offload_from_vnet(const struct virtio_net_hdr *vh, struct pkt_offload *off)
{
    off->flags = vh->flags;
    off->gso_type = vh->gso_type;
    off->hdr_len = le16toh(vh->hdr_len);
    off->gso_size = le16toh(vh->gso_size);
    off->csum_start = le16toh(vh->csum_start);
    off->csum_offset = le16toh(vh->csum_offset);
}

void offload_to_vnet(const struct pkt_offload *off, struct virtio_net_hdr *vh)
{
    *vh = (struct virtio_net_hdr){.flags = off->flags,
                                  .gso_type = off->gso_type,
                                  .hdr_len = htole16(off->hdr_len),
                                  .gso_size = htole16(off->gso_size),
                                  .csum_start = htole16(off->csum_start),
                                  .csum_offset = htole16(off->csum_offset)};
}

void offload_shift(struct pkt_offload *off, int delta)
{
    if (off->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
        off->csum_start = (uint16_t)(off->csum_start + delta);
    if (off->gso_type != VIRTIO_NET_HDR_GSO_NONE && off->hdr_len)
        off->hdr_len = (uint16_t)(off->hdr_len + delta);
}

int offload_finish_csum(struct pkt *p)
{
    if (!(p->offload.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
        return 0;
    uint32_t start = p->offload.csum_start, at = start + p->offload.csum_offset;
    if (start >= p->len || at + 2 > p->len)
        return -1;
    /* The field holds the pseudo-header sum; summing over it completes the checksum. */
    uint16_t c = inet_sum_fold_complement(inet_sum_add(0, p->data + start, p->len - start));
    store_be16(p->data + at, c);
    p->offload.flags &= (uint8_t)~VIRTIO_NET_HDR_F_NEEDS_CSUM;
    return 0;
}

/* Checksum of TCP header+payload with the pseudo-header, written into the TCP header. */
static void tcp_full_csum(uint8_t *l3, bool v6, uint8_t *l4, uint32_t l4len)
{
    uint32_t sum = 0;
    if (v6) {
        sum = inet_sum_add(sum, l3 + 8, 32);
    } else {
        sum = inet_sum_add(sum, l3 + 12, 8);
    }
    sum += 6 + l4len;
    store_be16(l4 + 16, 0);
    sum = inet_sum_add(sum, l4, l4len);
    uint16_t c = inet_sum_fold_complement(sum);
    store_be16(l4 + 16, c);
}

unsigned offload_segment(const struct pkt *p, struct pkt **out, unsigned max)
{
    uint8_t type = p->offload.gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
    if (type != VIRTIO_NET_HDR_GSO_TCPV4 && type != VIRTIO_NET_HDR_GSO_TCPV6)
        return 0;
    bool v6 = type == VIRTIO_NET_HDR_GSO_TCPV6;
    struct eth_info ei;
    if (!eth_parse(p->data, p->len, &ei))
        return 0;
    uint32_t l3 = ei.l3_offset, l3len;
    if (!v6) {
        if (ei.ethertype != ETHTYPE_IPV4 || l3 + 20 > p->len)
            return 0;
        l3len = (uint32_t)(p->data[l3] & 0xf) * 4;
        if (l3len < 20 || p->data[l3 + 9] != 6)
            return 0;
    } else {
        if (ei.ethertype != ETHTYPE_IPV6 || l3 + 40 > p->len || p->data[l3 + 6] != 6)
            return 0;
        l3len = 40;
    }
    uint32_t l4 = l3 + l3len;
    if (l4 + 20 > p->len)
        return 0;
    uint32_t tcplen = (uint32_t)(p->data[l4 + 12] >> 4) * 4;
    uint32_t hlen = l4 + tcplen;
    uint32_t mss = p->offload.gso_size;
    if (tcplen < 20 || hlen > p->len || mss == 0)
        return 0;
    uint32_t payload = p->len - hlen;
    unsigned nseg = payload ? (payload + mss - 1) / mss : 1;
    struct pkt_pool *pool = p->pool;
    if (!pool || nseg > max || pkt_pool_available(pool) < nseg)
        return 0;
    uint32_t seq0 = load_be32(p->data + l4 + 4);
    uint16_t id0 = v6 ? 0 : load_be16(p->data + l3 + 4);
    uint8_t flags = p->data[l4 + 13];
    for (unsigned i = 0; i < nseg; i++) {
        uint32_t off = i * mss;
        uint32_t chunk = payload - off < mss ? payload - off : mss;
        struct pkt *s = pkt_alloc(pool);
        /* The source frame may be longer than a pool frame (less headroom after a tag push, a
         * peer's large gso_size): a segment that does not fit is refused. */
        if (!s || pkt_tailroom(s) < hlen + chunk) {
            if (s)
                pkt_free(s);
            pkt_free_burst(out, i);
            return 0;
        }
        s->in_port = p->in_port;
        s->ts_ns = p->ts_ns;
        memcpy(s->data, p->data, hlen);
        memcpy(s->data + hlen, p->data + hlen + off, chunk);
        s->len = hlen + chunk;
        uint8_t *ip = s->data + l3, *tcp = s->data + l4;
        if (v6) {
            store_be16(ip + 4, (uint16_t)(l3len - 40 + tcplen + chunk));
        } else {
            store_be16(ip + 2, (uint16_t)(l3len + tcplen + chunk));
            store_be16(ip + 4, (uint16_t)(id0 + i));
            store_be16(ip + 10, 0);
            store_be16(ip + 10, inet_sum_fold_complement(inet_sum_add(0, ip, l3len)));
        }
        uint32_t seq = seq0 + off;
        store_be32(tcp + 4, seq);
        uint8_t f = flags;
        if (i + 1 < nseg)
            f &= (uint8_t)~0x09; /* FIN and PSH only on the last segment */
        if (i > 0)
            f &= (uint8_t)~0x80; /* CWR only on the first */
        tcp[13] = f;
        tcp_full_csum(ip, v6, tcp, tcplen + chunk);
        out[i] = s;
    }
    return nseg;
}

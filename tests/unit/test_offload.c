/* test_offload.c - software offload fallbacks: a partial checksum completed, a 64 KiB TCP
 * segment cut into MSS-sized frames whose every checksum, length and sequence is right, and
 * segments too large for the pool's buffers refused. */
#include <arpa/inet.h>
#include <linux/virtio_net.h>
#include <stdlib.h>

#include "byteorder.h"
#include "check.h"
#include "checksum.h"
#include "eth.h"
#include "offload.h"

/* Builds Ethernet + IPv4 + TCP with `payload` bytes; TCP checksum left partial the way a
 * sender with checksum offload leaves it (pseudo-header sum only). */
static void build_tcp4(struct pkt *p, uint32_t payload, uint8_t flags)
{
    uint8_t *d = p->data;
    memset(d, 0, 54);
    memcpy(d, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00", 14);
    uint8_t *ip = d + 14, *tcp = d + 34;
    ip[0] = 0x45;
    uint16_t tot = (uint16_t)(40 + (payload > 65000 ? 0 : payload));
    ip[2] = (uint8_t)(tot >> 8);
    ip[3] = (uint8_t)tot;
    ip[4] = 0x12;
    ip[5] = 0x34;
    ip[8] = 64;
    ip[9] = 6;
    memcpy(ip + 12, "\x0a\0\0\x01\x0a\0\0\x02", 8);
    tcp[0] = 0x30;
    tcp[1] = 0x39;
    tcp[2] = 0x00;
    tcp[3] = 0x50;
    memcpy(tcp + 4, "\x00\x00\x10\x00", 4); /* seq 4096 */
    tcp[12] = 0x50;
    tcp[13] = flags;
    tcp[14] = 0xff;
    for (uint32_t i = 0; i < payload; i++)
        d[54 + i] = (uint8_t)(i * 7 + 3);
    p->len = 54 + payload;
    uint32_t sum = inet_sum_add(0, ip + 12, 8) + 6 + 20 + payload;
    uint16_t partial = inet_sum_fold(sum);
    tcp[16] = (uint8_t)(partial >> 8);
    tcp[17] = (uint8_t)partial;
    uint16_t ipc = inet_sum_fold_complement(inet_sum_add(0, ip, 20));
    ip[10] = (uint8_t)(ipc >> 8);
    ip[11] = (uint8_t)ipc;
    p->offload.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    p->offload.csum_start = 34;
    p->offload.csum_offset = 16;
}

static bool tcp_csum_ok(const uint8_t *ip, uint32_t l4len)
{
    uint32_t sum = inet_sum_add(0, ip + 12, 8) + 6 + l4len;
    sum = inet_sum_add(sum, ip + 20, l4len);
    return inet_sum_fold(sum) == 0xffff;
}

int main(void)
{
    struct pkt_pool *pool = pkt_pool_create(128, PKT_MAX_FRAME);
    struct pkt *p = pkt_alloc(pool);
    build_tcp4(p, 100, 0x18);
    CHECK(!tcp_csum_ok(p->data + 14, 120));
    CHECK_EQ(offload_finish_csum(p), 0);
    CHECK(tcp_csum_ok(p->data + 14, 120));
    CHECK_EQ(p->offload.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM, 0);
    /* Offsets outside the frame are refused, not followed. */
    p->offload.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    p->offload.csum_start = (uint16_t)p->len;
    CHECK_EQ(offload_finish_csum(p), -1);
    p->offload.csum_start = 34;
    p->offload.csum_offset = (uint16_t)(p->len - 34 - 1);
    CHECK_EQ(offload_finish_csum(p), -1);
    pkt_free(p);

    /* A 60,000-byte GSO segment with MSS 1448, FIN+PSH set: 42 frames. */
    p = pkt_alloc(pool);
    uint32_t payload = 60000, mss = 1448;
    build_tcp4(p, payload, 0x19);
    p->offload.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
    p->offload.gso_size = (uint16_t)mss;
    p->offload.hdr_len = 54;
    struct pkt *segs[64];
    unsigned n = offload_segment(p, segs, 64);
    CHECK_EQ(n, (payload + mss - 1) / mss);
    uint32_t covered = 0;
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *ip = segs[i]->data + 14, *tcp = ip + 20;
        uint32_t chunk = segs[i]->len - 54;
        CHECK_EQ(load_be16(ip + 2), 40 + chunk);
        CHECK_EQ(inet_sum_fold(inet_sum_add(0, ip, 20)), 0xffff);
        CHECK(tcp_csum_ok(ip, 20 + chunk));
        uint32_t seq = (uint32_t)load_be16(tcp + 4) << 16 | load_be16(tcp + 6);
        CHECK_EQ(seq, 4096 + covered);
        CHECK(memcmp(segs[i]->data + 54, p->data + 54 + covered, chunk) == 0);
        bool last = i + 1 == n;
        CHECK_EQ(tcp[13], last ? 0x19 : 0x10);
        CHECK_EQ(load_be16(ip + 4), 0x1234 + i);
        CHECK_EQ(segs[i]->offload.gso_type, 0);
        covered += chunk;
        pkt_free(segs[i]);
    }
    CHECK_EQ(covered, payload);
    /* Not enough room for the segments, or not TCP: refused. */
    CHECK_EQ(offload_segment(p, segs, 10), 0);
    p->offload.gso_type = VIRTIO_NET_HDR_GSO_UDP;
    CHECK_EQ(offload_segment(p, segs, 64), 0);
    p->offload.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
    p->data[14 + 9] = 17;
    CHECK_EQ(offload_segment(p, segs, 64), 0);
    /* Truncated headers: refused at every short length. */
    p->data[14 + 9] = 6;
    uint32_t full = p->len;
    for (uint32_t len = 0; len < 54; len++) {
        p->len = len;
        CHECK_EQ(offload_segment(p, segs, 64), 0);
    }
    p->len = full;
    pkt_free(p);
    CHECK_EQ(pkt_pool_available(pool), 128);

    /* Segments larger than the pool's frames: a frame that filled its buffer after a VLAN push
     * took 4 bytes of headroom, so one segment of it is 4 bytes longer than a fresh buffer
     * holds. It is refused, nothing is written past a buffer, and no buffer is kept. */
    struct pkt_pool *small = pkt_pool_create(4, 1024);
    struct pkt *q = pkt_alloc(small);
    unsigned cap = pkt_tailroom(q);
    q->data -= 4;
    build_tcp4(q, cap + 4 - 54, 0x18);
    CHECK_EQ(q->len, cap + 4);
    q->offload.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
    q->offload.gso_size = (uint16_t)q->len;
    q->offload.hdr_len = 54;
    struct pkt *others[3];
    CHECK_EQ(pkt_alloc_burst(small, others, 3), 3);
    for (unsigned i = 0; i < 3; i++)
        memset(others[i]->buf, 0xa5, others[i]->buf_size);
    pkt_free_burst(others, 3);
    CHECK_EQ(offload_segment(q, segs, 64), 0);
    CHECK_EQ(pkt_pool_available(small), 3);
    CHECK_EQ(pkt_alloc_burst(small, others, 3), 3);
    for (unsigned i = 0; i < 3; i++)
        for (unsigned b = 0; b < others[i]->buf_size; b++)
            if (others[i]->buf[b] != 0xa5) {
                CHECK(!"a neighbouring buffer was written");
                break;
            }
    pkt_free_burst(others, 3);
    /* The same frame cut into segments that fit is still segmented. */
    q->offload.gso_size = 512;
    n = offload_segment(q, segs, 64);
    CHECK_EQ(n, 2);
    for (unsigned i = 0; i < n; i++)
        CHECK(segs[i]->len <= cap);
    pkt_free_burst(segs, n);
    /* A frame outside any pool has nowhere to take segments from: refused, not followed. */
    struct pkt loose = *q;
    loose.pool = NULL;
    CHECK_EQ(offload_segment(&loose, segs, 64), 0);
    q->data += 4;
    pkt_free(q);
    CHECK_EQ(pkt_pool_available(small), 4);
    pkt_pool_destroy(small);

    struct pkt_offload off = {
        .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .gso_type = 1, .hdr_len = 54, .csum_start = 34};
    offload_shift(&off, 4);
    CHECK_EQ(off.csum_start, 38);
    CHECK_EQ(off.hdr_len, 58);
    pkt_pool_destroy(pool);
    return check_exit();
}

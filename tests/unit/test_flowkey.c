/* test_flowkey.c - flow key extraction: every field from real header layouts, IPv4 options and
 * fragments, IPv6 extension headers (bounded), ARP, ICMP, TCP flags, and every truncation of
 * each frame read from an exact-size heap copy (so a read past the end is caught by ASan). */
#include <stdlib.h>

#include "check.h"
#include "eth.h"
#include "flowkey.h"

static size_t put_eth(uint8_t *f, uint16_t type, int vlan_tci)
{
    const uint8_t dst[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
    const uint8_t src[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    size_t off = 12;
    if (vlan_tci >= 0) {
        f[12] = 0x81;
        f[13] = 0x00;
        f[14] = (uint8_t)(vlan_tci >> 8);
        f[15] = (uint8_t)vlan_tci;
        off = 16;
    }
    f[off] = (uint8_t)(type >> 8);
    f[off + 1] = (uint8_t)type;
    return off + 2;
}

static size_t put_ipv4(uint8_t *p, uint8_t proto, unsigned opt_len, uint16_t frag, unsigned payload)
{
    unsigned ihl = 20 + opt_len;
    memset(p, 0, ihl);
    p[0] = (uint8_t)(0x40 | ihl / 4);
    p[1] = 0x2e; /* DSCP 11, ECN 2 */
    unsigned total = ihl + payload;
    p[2] = (uint8_t)(total >> 8);
    p[3] = (uint8_t)total;
    p[6] = (uint8_t)(frag >> 8);
    p[7] = (uint8_t)frag;
    p[8] = 17; /* TTL */
    p[9] = proto;
    const uint8_t a[8] = {192, 168, 1, 10, 10, 20, 30, 40};
    memcpy(p + 12, a, 8);
    for (unsigned i = 20; i < ihl; i++)
        p[i] = 1; /* NOP options */
    return ihl;
}

static size_t put_tcp(uint8_t *p, uint16_t sport, uint16_t dport, uint16_t flags)
{
    memset(p, 0, 20);
    p[0] = (uint8_t)(sport >> 8);
    p[1] = (uint8_t)sport;
    p[2] = (uint8_t)(dport >> 8);
    p[3] = (uint8_t)dport;
    p[12] = (uint8_t)(0x50 | (flags >> 8 & 0x0f)); /* data offset 5, NS in the low bit */
    p[13] = (uint8_t)flags;
    return 20;
}

static size_t put_ipv6(uint8_t *p, uint8_t next, unsigned payload)
{
    memset(p, 0, 40);
    p[0] = 0x6a; /* traffic class 0xab */
    p[1] = 0xb5; /* label 0x5cdef */
    p[2] = 0xcd;
    p[3] = 0xef;
    p[4] = (uint8_t)(payload >> 8);
    p[5] = (uint8_t)payload;
    p[6] = next;
    p[7] = 3;
    p[8] = 0x20;
    p[9] = 0x01;
    p[23] = 0x01;
    p[24] = 0xfe;
    p[25] = 0x80;
    p[39] = 0x02;
    return 40;
}

/* Extracts from an exact-size heap copy of every prefix of the frame: nothing is read beyond
 * the given length, and the full frame gives the expected key. */
static struct flow_key extract_all_lengths(const uint8_t *frame, size_t len,
                                           struct flow_layout *lay)
{
    struct flow_key k;
    size_t eth_len = frame[12] == 0x81 && frame[13] == 0x00 ? 18 : 14; /* a tag needs 4 more */
    for (size_t n = 0; n <= len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, frame, n);
        bool ok = flowkey_extract(copy, (uint32_t)n, 9, &k, lay);
        CHECK_EQ(ok, n >= eth_len);
        CHECK_EQ(k.in_port, 9);
        free(copy);
    }
    return k;
}

static void test_tcp_ipv4_options_vlan(void)
{
    uint8_t f[256];
    size_t off = put_eth(f, ETHTYPE_IPV4, 0xa00a); /* PCP 5, VID 10 */
    size_t l3 = off;
    off += put_ipv4(f + off, IPPROTO_NUM_TCP, 12, 0x4000 /* DF */, 20 + 5);
    size_t l4 = off;
    off += put_tcp(f + off, 40000, 443, 0x1d2); /* NS|ACK|PSH|SYN... */
    off += 5;
    struct flow_layout lay;
    struct flow_key k = extract_all_lengths(f, off, &lay);
    CHECK_EQ(k.dl_type, ETHTYPE_IPV4);
    CHECK_EQ(k.vlan_tci, 0xa00a | FLOW_VLAN_PRESENT);
    CHECK(memcmp(k.dl_src, f + 6, 6) == 0);
    CHECK(memcmp(k.dl_dst, f, 6) == 0);
    CHECK_EQ(k.nw_src, 0xc0a8010a);
    CHECK_EQ(k.nw_dst, 0x0a141e28);
    CHECK_EQ(k.nw_proto, 6);
    CHECK_EQ(k.nw_tos, 0x2e);
    CHECK_EQ(k.nw_ttl, 17);
    CHECK_EQ(k.nw_frag, 0);
    CHECK_EQ(k.tp_src, 40000);
    CHECK_EQ(k.tp_dst, 443);
    CHECK_EQ(k.tcp_flags, 0x1d2);
    CHECK_EQ(lay.l3, l3);
    CHECK_EQ(lay.l3_len, 32);
    CHECK_EQ(lay.l4, l4);
    CHECK_EQ(lay.ip_end, off);
    /* Ethernet padding after the datagram is not part of it. */
    memset(f + off, 0xee, 20);
    struct flow_key k2;
    flowkey_extract(f, (uint32_t)off + 20, 9, &k2, &lay);
    CHECK(flowkey_equal(&k, &k2));
    CHECK_EQ(lay.ip_end, off);
    /* Padding and unused fields are zero. */
    CHECK_EQ(k.pad0, 0);
    CHECK_EQ(k.pad1, 0);
    CHECK_EQ(k.ipv6_label, 0);
    CHECK_EQ(k.ipv6_src[0], 0);
    CHECK_EQ(flowkey_hash(&k), flowkey_hash(&k2));
    k2.tp_dst++;
    CHECK(flowkey_hash(&k) != flowkey_hash(&k2));
}

static void test_ipv4_fragments_and_malformed(void)
{
    uint8_t f[128];
    size_t l3 = put_eth(f, ETHTYPE_IPV4, -1);
    /* First fragment: MF set, offset 0: L4 fields present. */
    size_t off = l3 + put_ipv4(f + l3, IPPROTO_NUM_UDP, 0, 0x2000, 8);
    f[off] = 0x00;
    f[off + 1] = 0x35;
    f[off + 2] = 0x12;
    f[off + 3] = 0x34;
    off += 8;
    struct flow_key k = extract_all_lengths(f, off, NULL);
    CHECK_EQ(k.nw_frag, FLOW_FRAG_ANY);
    CHECK_EQ(k.tp_src, 53);
    CHECK_EQ(k.tp_dst, 0x1234);
    /* Later fragment: no L4 fields even though the bytes are there. */
    f[l3 + 6] = 0x00;
    f[l3 + 7] = 0x10;
    struct flow_layout lay;
    flowkey_extract(f, (uint32_t)off, 0, &k, &lay);
    CHECK_EQ(k.nw_frag, FLOW_FRAG_ANY | FLOW_FRAG_LATER);
    CHECK_EQ(k.nw_proto, IPPROTO_NUM_UDP);
    CHECK_EQ(k.tp_src, 0);
    CHECK_EQ(k.tp_dst, 0);
    CHECK_EQ(lay.l4, 0);
    CHECK_EQ(lay.l3, l3);

    /* Malformed headers: the L3/L4 fields stay zero but L2 is there. */
    struct {
        size_t at;
        uint8_t val;
    } breaks[] = {
        {l3, 0x44},     /* IHL 4 */
        {l3, 0x55},     /* version 5 */
        {l3 + 2, 0xff}, /* total length beyond the frame */
        {l3 + 3, 0x01}, /* total length below the header */
    };
    for (size_t i = 0; i < sizeof(breaks) / sizeof(breaks[0]); i++) {
        put_ipv4(f + l3, IPPROTO_NUM_UDP, 0, 0, 8);
        if (breaks[i].at == l3 + 3)
            f[l3 + 2] = 0;
        f[breaks[i].at] = breaks[i].val;
        flowkey_extract(f, (uint32_t)off, 0, &k, &lay);
        CHECK_EQ(k.dl_type, ETHTYPE_IPV4);
        CHECK_EQ(k.nw_src, 0);
        CHECK_EQ(k.nw_proto, 0);
        CHECK_EQ(k.tp_dst, 0);
        CHECK_EQ(lay.l3, 0);
    }
    /* A TCP header cut short by the datagram length has no L4 fields. */
    off = l3 + put_ipv4(f + l3, IPPROTO_NUM_TCP, 0, 0, 19);
    put_tcp(f + off, 1, 2, 2);
    flowkey_extract(f, (uint32_t)(off + 20), 0, &k, &lay);
    CHECK_EQ(k.nw_proto, 6);
    CHECK_EQ(k.tp_src, 0);
    CHECK_EQ(k.tcp_flags, 0);
    CHECK_EQ(lay.l4, 0);
}

static void test_ipv6_extension_headers(void)
{
    uint8_t f[512];
    size_t l3 = put_eth(f, ETHTYPE_IPV6, -1);
    /* HBH (8) -> routing (16) -> dest opts (8) -> AH (12+4=16) -> fragment (first) -> TCP */
    size_t p = l3 + 40;
    uint8_t *h = f + p;
    memset(h, 0, 8);
    h[0] = 43; /* HBH: next routing, len 0 */
    p += 8;
    h = f + p;
    memset(h, 0, 16);
    h[0] = 60;
    h[1] = 1; /* routing: 16 bytes */
    p += 16;
    h = f + p;
    memset(h, 0, 8);
    h[0] = 51; /* dest opts */
    p += 8;
    h = f + p;
    memset(h, 0, 16);
    h[0] = 44;
    h[1] = 2; /* AH: (2+2)*4 = 16 bytes */
    p += 16;
    h = f + p;
    memset(h, 0, 8);
    h[0] = IPPROTO_NUM_TCP;
    h[3] = 1; /* fragment: offset 0, M=1 */
    p += 8;
    size_t l4 = p;
    p += put_tcp(f + p, 22, 5555, 0x011);
    put_ipv6(f + l3, 0, (unsigned)(p - l3 - 40));
    struct flow_layout lay;
    struct flow_key k = extract_all_lengths(f, p, &lay);
    CHECK_EQ(k.dl_type, ETHTYPE_IPV6);
    CHECK_EQ(k.nw_proto, IPPROTO_NUM_TCP);
    CHECK_EQ(k.nw_frag, FLOW_FRAG_ANY);
    CHECK_EQ(k.tp_src, 22);
    CHECK_EQ(k.tp_dst, 5555);
    CHECK_EQ(k.tcp_flags, 0x011);
    CHECK_EQ(k.nw_tos, 0xab);
    CHECK_EQ(k.ipv6_label, 0x5cdef);
    CHECK_EQ(k.nw_ttl, 3);
    CHECK_EQ(k.ipv6_src[0], 0x20);
    CHECK_EQ(k.ipv6_src[15], 0x01);
    CHECK_EQ(k.ipv6_dst[0], 0xfe);
    CHECK_EQ(k.ipv6_dst[15], 0x02);
    CHECK_EQ(lay.l4, l4);
    CHECK_EQ(lay.l3_len, 40);

    /* The same chain with a later fragment: the protocol is known, the ports are not. */
    f[l4 - 6] = 0x01;
    f[l4 - 5] = 0x01;
    flowkey_extract(f, (uint32_t)p, 0, &k, &lay);
    CHECK_EQ(k.nw_frag, FLOW_FRAG_ANY | FLOW_FRAG_LATER);
    CHECK_EQ(k.nw_proto, IPPROTO_NUM_TCP);
    CHECK_EQ(k.tp_src, 0);
    CHECK_EQ(lay.l4, 0);

    /* More extension headers than the walk allows: transport unknown. */
    p = l3 + 40;
    for (int i = 0; i < FLOWKEY_MAX_EXT + 1; i++) {
        memset(f + p, 0, 8);
        f[p] = 60;
        p += 8;
    }
    put_tcp(f + p, 1, 2, 0);
    p += 20;
    put_ipv6(f + l3, 60, (unsigned)(p - l3 - 40));
    flowkey_extract(f, (uint32_t)p, 0, &k, &lay);
    CHECK_EQ(k.nw_proto, 60);
    CHECK_EQ(k.tp_dst, 0);
    CHECK_EQ(lay.l4, 0);
    CHECK_EQ(k.ipv6_label, 0x5cdef); /* the fixed header is still there */

    /* An extension header longer than the payload. */
    p = l3 + 40;
    memset(f + p, 0, 8);
    f[p] = 6;
    f[p + 1] = 200;
    put_ipv6(f + l3, 0, 8);
    flowkey_extract(f, (uint32_t)(p + 8), 0, &k, &lay);
    CHECK_EQ(k.nw_proto, 0);
    CHECK_EQ(lay.l4, 0);

    /* Payload length beyond the frame: not a valid IPv6 packet. */
    put_ipv6(f + l3, 6, 100);
    flowkey_extract(f, (uint32_t)(l3 + 40 + 20), 0, &k, &lay);
    CHECK_EQ(k.dl_type, ETHTYPE_IPV6);
    CHECK_EQ(k.ipv6_label, 0);
    CHECK_EQ(lay.l3, 0);

    /* ICMPv6 neighbour solicitation: type and code. */
    put_ipv6(f + l3, IPPROTO_NUM_ICMPV6, 8);
    memset(f + l3 + 40, 0, 8);
    f[l3 + 40] = 135;
    f[l3 + 41] = 0;
    k = extract_all_lengths(f, l3 + 48, NULL);
    CHECK_EQ(k.nw_proto, 58);
    CHECK_EQ(k.tp_src, 135);
    CHECK_EQ(k.tp_dst, 0);
    /* Protocol 1 inside IPv6 is not ICMP. */
    put_ipv6(f + l3, IPPROTO_NUM_ICMP, 8);
    flowkey_extract(f, (uint32_t)(l3 + 48), 0, &k, NULL);
    CHECK_EQ(k.nw_proto, 1);
    CHECK_EQ(k.tp_src, 0);
}

static void test_arp_icmp_other(void)
{
    uint8_t f[128];
    size_t off = put_eth(f, ETHTYPE_ARP, 0x0064);
    const uint8_t arp[28] = {0,  1, 0x08, 0, 6, 4, 0, 1, 2, 0x11, 0x22, 0x33, 0x44, 0x55,
                             10, 0, 0,    1, 0, 0, 0, 0, 0, 0,    10,   0,    0,    254};
    memcpy(f + off, arp, 28);
    struct flow_key k = extract_all_lengths(f, off + 28, NULL);
    CHECK_EQ(k.dl_type, ETHTYPE_ARP);
    CHECK_EQ(k.vlan_tci, 0x0064 | FLOW_VLAN_PRESENT);
    CHECK_EQ(k.nw_proto, 1);
    CHECK_EQ(k.nw_src, 0x0a000001);
    CHECK_EQ(k.nw_dst, 0x0a0000fe);
    /* Non-Ethernet/IPv4 ARP and large opcodes. */
    f[off + 5] = 16;
    flowkey_extract(f, (uint32_t)(off + 28), 0, &k, NULL);
    CHECK_EQ(k.nw_src, 0);
    f[off + 5] = 4;
    f[off + 6] = 1;
    flowkey_extract(f, (uint32_t)(off + 28), 0, &k, NULL);
    CHECK_EQ(k.nw_proto, 0);
    CHECK_EQ(k.nw_src, 0x0a000001);

    off = put_eth(f, ETHTYPE_IPV4, -1);
    off += put_ipv4(f + off, IPPROTO_NUM_ICMP, 0, 0, 8);
    memset(f + off, 0, 8);
    f[off] = 3;
    f[off + 1] = 4;
    k = extract_all_lengths(f, off + 8, NULL);
    CHECK_EQ(k.tp_src, 3);
    CHECK_EQ(k.tp_dst, 4);
    CHECK_EQ(k.nw_tos, 0x2e);

    /* SCTP ports. */
    off = put_eth(f, ETHTYPE_IPV4, -1);
    off += put_ipv4(f + off, IPPROTO_NUM_SCTP, 0, 0, 12);
    memset(f + off, 0, 12);
    f[off + 1] = 7;
    f[off + 3] = 9;
    k = extract_all_lengths(f, off + 12, NULL);
    CHECK_EQ(k.tp_src, 7);
    CHECK_EQ(k.tp_dst, 9);

    /* An 802.3 frame (length instead of type) and an unknown type. */
    put_eth(f, 0x0040, -1);
    flowkey_extract(f, 60, 0, &k, NULL);
    CHECK_EQ(k.dl_type, 0x05ff);
    put_eth(f, 0x88cc, -1);
    flowkey_extract(f, 60, 0, &k, NULL);
    CHECK_EQ(k.dl_type, 0x88cc);
    CHECK_EQ(k.nw_proto, 0);

    /* Double tag: only the outer one counts; the inner type is the payload type. */
    off = put_eth(f, ETHTYPE_VLAN, 0x2005);
    f[off] = 0x00;
    f[off + 1] = 0x07;
    f[off + 2] = 0x08;
    f[off + 3] = 0x00;
    flowkey_extract(f, 64, 0, &k, NULL);
    CHECK_EQ(k.vlan_tci, 0x2005 | FLOW_VLAN_PRESENT);
    CHECK_EQ(k.dl_type, ETHTYPE_VLAN);
    CHECK_EQ(k.nw_src, 0);

    /* Shorter than Ethernet: only in_port. */
    memset(&k, 0xaa, sizeof(k));
    CHECK(!flowkey_extract(f, 13, 5, &k, NULL));
    CHECK_EQ(k.in_port, 5);
    CHECK_EQ(k.dl_type, 0);
    CHECK_EQ(k.dl_src[0], 0);
}

int main(void)
{
    test_tcp_ipv4_options_vlan();
    test_ipv4_fragments_and_malformed();
    test_ipv6_extension_headers();
    test_arp_icmp_other();
    return check_exit();
}

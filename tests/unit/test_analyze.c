/* test_analyze.c - sluicedump --analyze's core: header decoding through tags and IPv6
 * extension headers and at every truncated length, conversations in canonical order, the
 * top-10 order and the table bound, and interval reports aligned to packet time. */
#include "check.h"

#include <stdlib.h>

/* The analyzer is part of sluicedump, not of the library tests link with. */
#include "../../src/dump/analyze.c"
#include "../../src/dump/analyze_decode.c"
#include "../../src/dump/analyze_table.c"

static uint8_t f[2048];

/* Ethernet (tags 0..2) + IPv4 header (ihl words) + 8 transport bytes with ports 1000 -> 80. */
static uint32_t v4(int tags, uint8_t proto, uint8_t ihl, uint16_t frag)
{
    memset(f, 0, sizeof(f));
    memcpy(f, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01", 12);
    uint32_t off = 12;
    for (int i = 0; i < tags; i++, off += 4)
        memcpy(f + off, i == 0 && tags == 2 ? "\x88\xa8\0\x05" : "\x81\0\0\x07", 4);
    memcpy(f + off, "\x08\x00", 2);
    off += 2;
    f[off] = (uint8_t)(0x40 | ihl);
    f[off + 6] = (uint8_t)(frag >> 8);
    f[off + 7] = (uint8_t)frag;
    f[off + 9] = proto;
    memcpy(f + off + 12, "\x0a\0\0\x01\x0a\0\0\x02", 8);
    off += ihl * 4u;
    memcpy(f + off, "\x03\xe8\x00\x50", 4);
    return off + 8;
}

/* Ethernet + IPv6 with the given extension headers (each 8 bytes), then UDP 1000 -> 53. */
static uint32_t v6(const uint8_t *ext, int next_count, uint8_t last)
{
    memset(f, 0, sizeof(f));
    memcpy(f + 12, "\x86\xdd", 2);
    uint32_t off = 14;
    f[off] = 0x60;
    f[off + 6] = next_count ? ext[0] : last;
    f[off + 8] = 0xfd;
    f[off + 23] = 1;
    f[off + 24] = 0xfd;
    f[off + 39] = 2;
    off += 40;
    for (int i = 0; i < next_count; i++) {
        f[off] = i + 1 < next_count ? ext[i + 1] : last;
        f[off + 1] = 0; /* 8 bytes (AH: (0 + 2) * 4 = 8 too) */
        off += 8;
    }
    memcpy(f + off, "\x03\xe8\x00\x35", 4);
    return off + 8;
}

static struct an_pkt decode_copy(uint32_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, f, len);
    struct an_pkt p;
    analyze_decode(copy, len, &p);
    free(copy);
    return p;
}

static void decoding(void)
{
    struct an_pkt p;
    uint32_t n = v4(0, 6, 5, 0);
    p = decode_copy(n);
    CHECK(p.l3 == TS_L3_IPV4 && p.l4 == TS_L4_TCP && p.family == 4 && p.has_ports);
    CHECK_EQ(p.sport, 1000);
    CHECK_EQ(p.dport, 80);
    CHECK(memcmp(p.src, "\x0a\0\0\x01", 4) == 0 && memcmp(p.dst, "\x0a\0\0\x02", 4) == 0);
    n = v4(2, 17, 6, 0); /* QinQ, IP options */
    p = decode_copy(n);
    CHECK(p.l4 == TS_L4_UDP && p.has_ports && p.sport == 1000);
    n = v4(1, 1, 5, 0);
    p = decode_copy(n);
    CHECK(p.l4 == TS_L4_ICMP && !p.has_ports && p.family == 4);
    n = v4(0, 47, 5, 0);
    p = decode_copy(n);
    CHECK(p.l4 == TS_L4_OTHER && p.proto == 47 && !p.has_ports);
    n = v4(0, 17, 5, 185); /* not the first fragment: no transport header */
    p = decode_copy(n);
    CHECK(p.l4 == TS_L4_UDP && !p.has_ports);
    n = v4(0, 17, 5, 0x2000); /* first fragment (more fragments set) */
    CHECK(decode_copy(n).has_ports);
    n = v4(0, 6, 4, 0); /* header length below 20 */
    p = decode_copy(n);
    CHECK(p.l3 == TS_L3_IPV4 && p.l4 == TS_L4_OTHER && p.family == 0);

    /* Every truncation of a tagged IPv4/TCP frame: no read past the end (ASan), no ports
     * claimed without them, addresses only with the whole header. */
    n = v4(2, 6, 5, 0);
    for (uint32_t len = 0; len <= n; len++) {
        p = decode_copy(len);
        uint32_t ip = 22;
        CHECK(p.l3 == (len >= ip ? TS_L3_IPV4 : TS_L3_OTHER));
        CHECK(p.family == (len >= ip + 20 ? 4 : 0));
        CHECK(p.has_ports == (len >= ip + 24));
    }

    static const uint8_t hbh_dst[] = {0, 60}, frag[] = {44}, ah_rt[] = {51, 43};
    n = v6(hbh_dst, 2, 17);
    p = decode_copy(n);
    CHECK(p.l3 == TS_L3_IPV6 && p.l4 == TS_L4_UDP && p.family == 6 && p.has_ports);
    CHECK_EQ(p.dport, 53);
    CHECK(p.src[0] == 0xfd && p.src[15] == 1 && p.dst[15] == 2);
    n = v6(ah_rt, 2, 58);
    p = decode_copy(n);
    CHECK(p.l4 == TS_L4_ICMP && p.proto == 58 && !p.has_ports);
    n = v6(frag, 1, 17);
    p = decode_copy(n);
    CHECK(p.l4 == TS_L4_UDP && p.has_ports);
    f[14 + 40 + 3] = 8; /* offset 1: not the first fragment */
    p = decode_copy(n);
    CHECK(p.l4 == TS_L4_UDP && !p.has_ports);
    n = v6(NULL, 0, 1); /* protocol 1 under IPv6 is not ICMPv6 */
    CHECK_EQ(decode_copy(n).l4, TS_L4_OTHER);
    static const uint8_t nine[] = {60, 60, 60, 60, 60, 60, 60, 60, 60};
    n = v6(nine, 9, 17); /* more extension headers than are followed */
    p = decode_copy(n);
    CHECK(p.l3 == TS_L3_IPV6 && p.l4 == TS_L4_OTHER && !p.has_ports);
    n = v6(hbh_dst, 2, 6);
    for (uint32_t len = 0; len <= n; len++) {
        p = decode_copy(len);
        CHECK(p.has_ports == (len >= 14 + 40 + 16 + 4));
        CHECK(p.l4 != TS_L4_TCP || len >= 14 + 40 + 8 + 2); /* once the byte naming it is read */
        CHECK(p.family == (len >= 54 ? 6 : 0));
    }
    memset(f, 0, 64);
    memcpy(f + 12, "\x08\x06", 2);
    CHECK(decode_copy(60).l3 == TS_L3_ARP && decode_copy(60).l4 == AN_L4);
    memcpy(f + 12, "\x88\xb5", 2);
    CHECK(decode_copy(60).l3 == TS_L3_OTHER);
    CHECK(decode_copy(13).l3 == TS_L3_OTHER);
}

static void conversations(void)
{
    struct an_table t;
    an_table_init(&t, 100);
    struct an_pkt p;
    v4(0, 6, 5, 0);
    analyze_decode(f, 64, &p);
    struct an_key k1, k2;
    CHECK(an_flow_key(&p, &k1));
    /* The reply direction is the same conversation. */
    struct an_pkt r = p;
    memcpy(r.src, p.dst, 16);
    memcpy(r.dst, p.src, 16);
    r.sport = p.dport;
    r.dport = p.sport;
    CHECK(an_flow_key(&r, &k2));
    CHECK(memcmp(&k1, &k2, sizeof(k1)) == 0);
    CHECK(an_pair_key(&r, &k2) && k2.proto == 0 && k2.port_a == 0);
    an_table_add(&t, &k1, 100);
    an_table_add(&t, &k2, 50);
    an_table_add(&t, &k1, 10);
    CHECK_EQ(t.n, 2);
    const struct an_entry *top[AN_TOP];
    CHECK_EQ(an_table_top(&t, top, AN_TOP), 2);
    CHECK(top[0]->bytes == 110 && top[0]->packets == 2 && top[1]->bytes == 50);

    /* 150 conversations into a table of 100: the rest are counted apart; the top ten are
     * the largest in order (conversation i has i+1 packets of 10 bytes). */
    an_table_clear(&t);
    uint64_t total = 0;
    for (unsigned i = 0; i < 150; i++) {
        struct an_key k = {.family = 4, .proto = 17, .port_a = (uint16_t)i, .port_b = 9};
        for (unsigned j = 0; j <= i % 120; j++) {
            an_table_add(&t, &k, 10);
            total++;
        }
    }
    CHECK_EQ(t.n, 100);
    uint64_t tracked = 0;
    for (size_t i = 0; i < t.cap; i++)
        tracked += t.slots[i].used ? t.slots[i].packets : 0;
    CHECK_EQ(tracked + t.untracked_packets, total);
    CHECK_EQ(an_table_top(&t, top, AN_TOP), AN_TOP);
    for (unsigned i = 0; i < AN_TOP; i++)
        CHECK_EQ(top[i]->packets, 100 - i);
    /* Equal bytes: more packets first, then key order. */
    an_table_clear(&t);
    struct an_key a = {.family = 4, .port_a = 1}, b = {.family = 4, .port_a = 2};
    an_table_add(&t, &b, 100);
    an_table_add(&t, &a, 100);
    CHECK_EQ(an_table_top(&t, top, 1), 1);
    CHECK_EQ(top[0]->key.port_a, 1);
    an_table_free(&t);

    /* Growth past the first allocation keeps every count. */
    an_table_init(&t, AN_TABLE_MAX);
    for (unsigned i = 0; i < 5000; i++) {
        struct an_key k = {.family = 6, .port_a = (uint16_t)i, .port_b = (uint16_t)(i >> 16)};
        an_table_add(&t, &k, 1);
        an_table_add(&t, &k, 1);
    }
    CHECK_EQ(t.n, 5000);
    CHECK_EQ(t.untracked_packets, 0);
    CHECK_EQ(an_table_top(&t, top, AN_TOP), AN_TOP);
    CHECK_EQ(top[0]->packets, 2);
    an_table_free(&t);
}

static void intervals(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    struct analyzer a;
    analyzer_init(&a, out, 1000000000ull);
    uint32_t n = v4(0, 17, 5, 0);
    const uint64_t t0 = 1700000000ull * 1000000000ull;
    analyzer_packet(&a, t0, f, 60, 60);
    analyzer_packet(&a, t0 + 500000000ull, f, n, 1000);  /* caplen < origlen: 1000 counts */
    analyzer_packet(&a, t0 + 1200000000ull, f, n, 128);  /* interval 2 */
    analyzer_packet(&a, t0 + 3700000000ull, f, n, 1519); /* interval 4; 3 was empty */
    CHECK_EQ(a.intervals, 2);
    analyzer_tick(&a, t0 + 4100000000ull); /* a live capture's clock ends interval 4 */
    CHECK_EQ(a.intervals, 3);
    analyzer_finish(&a);
    fclose(out);
    CHECK(strstr(text,
                 "=== interval 1: 2023-11-14 22:13:20.000000 - 2023-11-14 22:13:20.500000 UTC"));
    CHECK(strstr(text, "packets 2 bytes 1060 rate 4.0 pkt/s 16960.0 bit/s\n"));
    CHECK(strstr(text, "=== interval 2: 2023-11-14 22:13:21.200000"));
    CHECK(strstr(text, "=== interval 3: 2023-11-14 22:13:23.700000"));
    CHECK(!strstr(text, "=== interval 4"));
    CHECK(strstr(text, "=== total: 2023-11-14 22:13:20.000000 - 2023-11-14 22:13:23.700000 UTC "
                       "(3.700000 s) ===\npackets 4 bytes 2707"));
    const char *total = strstr(text, "=== total");
    CHECK(total &&
          strstr(total, "\nipv4                    4  100.00%            2707  100.00%\n"));
    CHECK(total && strstr(total, "\n  udp                   4  100.00%"));
    CHECK(total && strstr(total, "\n64                      1   25.00%\n"));
    CHECK(total && strstr(total, "\n512-1023                1   25.00%\n"));
    CHECK(total && strstr(total, "\n1519+                   1   25.00%\n"));
    CHECK(total && strstr(total, "top talkers by IP pair (1 conversations):\n   1 10.0.0.1"));
    CHECK(total && strstr(total, "packets          4 bytes         2707\n"));
    CHECK(total && strstr(total, "udp    10.0.0.1:1000"));
    analyzer_free(&a);
    free(text);
}

int main(void)
{
    decoding();
    conversations();
    intervals();
    return check_exit();
}

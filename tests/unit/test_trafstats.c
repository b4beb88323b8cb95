/* test_trafstats.c - traffic classification at every RMON bucket edge, through VLAN tags,
 * for each L3/L4 class and cast, and on frames truncated at every length. */
#include "check.h"
#include "trafstats.h"

#include <stdlib.h>

static uint32_t frame(uint8_t *f, const uint8_t *dst, int tags, uint16_t type, uint8_t proto)
{
    memset(f, 0, 2000);
    memcpy(f, dst, 6);
    memcpy(f + 6, "\x02\0\0\0\0\x01", 6);
    uint32_t off = 12;
    for (int i = 0; i < tags; i++) {
        f[off] = i == 0 && tags == 2 ? 0x88 : 0x81;
        f[off + 1] = i == 0 && tags == 2 ? 0xa8 : 0x00;
        f[off + 3] = 5;
        off += 4;
    }
    f[off] = (uint8_t)(type >> 8);
    f[off + 1] = (uint8_t)type;
    off += 2;
    if (type == 0x0800) {
        f[off] = 0x45;
        f[off + 9] = proto;
    } else if (type == 0x86dd) {
        f[off] = 0x60;
        f[off + 6] = proto;
    }
    return off;
}

int main(void)
{
    static const uint8_t uc[6] = {2, 0, 0, 0, 0, 2}, mc[6] = {1, 0, 0x5e, 0, 0, 1},
                         bc[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    uint8_t f[2000];
    static const uint32_t edges[][2] = {{60, 0},   {64, 0},   {65, 1},   {127, 1}, {128, 2},
                                        {255, 2},  {256, 3},  {511, 3},  {512, 4}, {1023, 4},
                                        {1024, 5}, {1518, 5}, {1519, 6}, {9000, 6}};
    for (unsigned i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
        CHECK_EQ(trafstats_size_bucket(edges[i][0]), edges[i][1]);

    struct ts_class c;
    frame(f, uc, 0, 0x0800, 6);
    c = trafstats_classify(f, 64);
    CHECK(c.l3 == TS_L3_IPV4 && c.l4 == TS_L4_TCP && c.cast == TS_UNICAST && c.size == 0);
    frame(f, mc, 1, 0x0800, 17);
    c = trafstats_classify(f, 100);
    CHECK(c.l3 == TS_L3_IPV4 && c.l4 == TS_L4_UDP && c.cast == TS_MULTICAST && c.size == 1);
    frame(f, bc, 2, 0x0806, 0);
    c = trafstats_classify(f, 60);
    CHECK(c.l3 == TS_L3_ARP && c.l4 == TS_L4_MAX && c.cast == TS_BROADCAST);
    frame(f, uc, 1, 0x86dd, 58);
    c = trafstats_classify(f, 1518);
    CHECK(c.l3 == TS_L3_IPV6 && c.l4 == TS_L4_ICMP && c.size == 5);
    frame(f, uc, 0, 0x0800, 1);
    CHECK_EQ(trafstats_classify(f, 98).l4, TS_L4_ICMP);
    frame(f, uc, 0, 0x86dd, 1); /* protocol 1 under IPv6 is not ICMPv6 */
    CHECK_EQ(trafstats_classify(f, 98).l4, TS_L4_OTHER);
    frame(f, uc, 0, 0x0800, 47);
    CHECK_EQ(trafstats_classify(f, 98).l4, TS_L4_OTHER);
    frame(f, uc, 0, 0x88cc, 0);
    c = trafstats_classify(f, 60);
    CHECK(c.l3 == TS_L3_OTHER && c.l4 == TS_L4_MAX);

    /* Truncated: a tagged IPv4 TCP frame cut at every length classifies without reading past
     * the end (checked by the sanitizer build) and never claims TCP without the header. */
    uint32_t l3 = frame(f, uc, 1, 0x0800, 6);
    for (uint32_t len = 0; len <= l3 + 20; len++) {
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, f, len);
        c = trafstats_classify(copy, len);
        if (len < l3)
            CHECK(c.l3 == TS_L3_OTHER);
        else
            CHECK(c.l3 == TS_L3_IPV4 && c.l4 == (len >= l3 + 20 ? TS_L4_TCP : TS_L4_OTHER));
        free(copy);
    }

    /* The same for IPv6 behind two tags (802.1ad then 802.1Q): no ICMPv6 claim without the
     * whole fixed header, and the size bucket always from the frame length. */
    l3 = frame(f, uc, 2, 0x86dd, 58);
    for (uint32_t len = 0; len <= l3 + 40; len++) {
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, f, len);
        c = trafstats_classify(copy, len);
        if (len < l3)
            CHECK(c.l3 == TS_L3_OTHER && c.l4 == TS_L4_MAX);
        else
            CHECK(c.l3 == TS_L3_IPV6 && c.l4 == (len >= l3 + 40 ? TS_L4_ICMP : TS_L4_OTHER));
        CHECK_EQ(c.size, trafstats_size_bucket(len));
        free(copy);
    }

    /* Every bucket edge through classification of tagged frames: the tag counts in the length. */
    for (unsigned i = 0; i < sizeof(edges) / sizeof(edges[0]) && edges[i][0] <= 2000; i++) {
        frame(f, uc, 1, 0x0800, 17);
        c = trafstats_classify(f, edges[i][0]);
        CHECK(c.l3 == TS_L3_IPV4 && c.l4 == TS_L4_UDP);
        CHECK_EQ(c.size, edges[i][1]);
    }
    CHECK_EQ(trafstats_size_bucket(0), 0);
    CHECK_EQ(trafstats_size_bucket(UINT32_MAX), 6);

    /* A third tag is not looked through: the frame is counted as another protocol. */
    frame(f, uc, 2, 0x8100, 0);
    f[24] = 0x08; /* what would follow the third tag: IPv4 */
    f[25] = 0x00;
    c = trafstats_classify(f, 100);
    CHECK(c.l3 == TS_L3_OTHER && c.l4 == TS_L4_MAX);
    /* Cast is known from the destination alone, even on a frame cut inside its header. */
    memcpy(f, bc, 6);
    CHECK_EQ(trafstats_classify(f, 14).cast, TS_BROADCAST);
    CHECK_EQ(trafstats_classify(f, 13).l3, TS_L3_OTHER);

    /* Counting a burst. */
    struct pkt_pool *pool = pkt_pool_create(4, 2048);
    struct pkt *ps[3];
    pkt_alloc_burst(pool, ps, 3);
    frame(ps[0]->data, uc, 0, 0x0800, 6);
    ps[0]->len = 60;
    frame(ps[1]->data, bc, 0, 0x0806, 0);
    ps[1]->len = 60;
    frame(ps[2]->data, uc, 0, 0x0800, 17);
    ps[2]->len = 1500;
    struct traf_counters t = {0};
    trafstats_count(&t, ps, 3);
    CHECK_EQ(t.l3_packets[TS_L3_IPV4], 2);
    CHECK_EQ(t.l3_bytes[TS_L3_IPV4], 1560);
    CHECK_EQ(t.l3_packets[TS_L3_ARP], 1);
    CHECK_EQ(t.l4_packets[TS_L4_TCP], 1);
    CHECK_EQ(t.l4_bytes[TS_L4_UDP], 1500);
    CHECK_EQ(t.cast_packets[TS_BROADCAST], 1);
    CHECK_EQ(t.size_packets[0], 2);
    CHECK_EQ(t.size_packets[5], 1);
    pkt_free_burst(ps, 3);
    pkt_pool_destroy(pool);
    return check_exit();
}

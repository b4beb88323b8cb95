/* test_eth_packet.c - the Ethernet/802.1Q parser on every short length, tag push and pop,
 * MAC address text, and the packet pool (exhaustion, references, clone). */
#include "check.h"
#include "eth.h"
#include "packet.h"

int main(void)
{
    uint8_t frame[64] = {1,   2,   3,    4,    5,    6,    0xa,  0xb,  0xc, 0xd,
                         0xe, 0xf, 0x81, 0x00, 0x20, 0x0a, 0x08, 0x00, 0x45};
    struct eth_info ei;
    for (uint32_t len = 0; len < 18; len++)
        CHECK(!eth_parse(frame, len, &ei)); /* tagged: needs 18 bytes */
    CHECK(eth_parse(frame, 18, &ei));
    CHECK(ei.tagged);
    CHECK_EQ(vlan_vid(ei.tci), 10);
    CHECK_EQ(ei.tci >> 13, 1);
    CHECK_EQ(ei.ethertype, ETHTYPE_IPV4);
    CHECK_EQ(ei.l3_offset, 18);
    CHECK(eth_is_multicast(ei.dst) && !eth_is_broadcast(ei.dst)); /* 01:.. group bit */

    uint8_t untagged[14] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06};
    for (uint32_t len = 0; len < 14; len++)
        CHECK(!eth_parse(untagged, len, &ei));
    CHECK(eth_parse(untagged, 14, &ei));
    CHECK(!ei.tagged);
    CHECK_EQ(ei.ethertype, ETHTYPE_ARP);
    CHECK(eth_is_broadcast(ei.dst) && eth_is_multicast(ei.dst));
    /* A tag TPID in a 14..17 byte frame is too short, never read beyond. */
    uint8_t short_tag[16] = {0};
    short_tag[12] = 0x81;
    CHECK(!eth_parse(short_tag, 16, &ei));

    struct pkt_pool *pool = pkt_pool_create(4, 2048);
    CHECK(pool != NULL);
    struct pkt *ps[8];
    CHECK_EQ(pkt_alloc_burst(pool, ps, 8), 4);
    CHECK_EQ(pkt_pool_available(pool), 0);
    CHECK(pkt_alloc(pool) == NULL);
    CHECK_EQ(pkt_headroom(ps[0]), PKT_HEADROOM);
    pkt_free_burst(ps + 1, 3);
    CHECK_EQ(pkt_pool_available(pool), 3);

    struct pkt *p = ps[0];
    memcpy(p->data, untagged, 14);
    p->len = 14;
    CHECK(eth_push_vlan(&p->data, &p->len, pkt_headroom(p), ETHTYPE_VLAN, 0x6064));
    CHECK_EQ(p->len, 18);
    CHECK(eth_parse(p->data, p->len, &ei) && ei.tagged && vlan_vid(ei.tci) == 100);
    CHECK_EQ(ei.ethertype, ETHTYPE_ARP);
    CHECK(memcmp(p->data + 6, untagged + 6, 6) == 0);
    struct pkt *c = pkt_clone(p);
    CHECK(c != NULL && c->len == 18 && memcmp(c->data, p->data, 18) == 0);
    CHECK(eth_pop_vlan(&p->data, &p->len));
    CHECK_EQ(p->len, 14);
    CHECK(memcmp(p->data, untagged, 14) == 0);
    CHECK(!eth_pop_vlan(&p->data, &p->len));
    /* No headroom left: push refuses instead of writing before the buffer. */
    uint8_t *d = p->buf;
    uint32_t l = 14;
    CHECK(!eth_push_vlan(&d, &l, 0, ETHTYPE_VLAN, 1));

    p->refcnt++;
    pkt_free(p);
    CHECK_EQ(pkt_pool_available(pool), 2); /* still referenced once */
    pkt_free(p);
    pkt_free(c);
    CHECK_EQ(pkt_pool_available(pool), 4);
    pkt_pool_destroy(pool);

    uint8_t mac[6];
    char buf[18];
    CHECK(eth_addr_parse("02:00:0a:ff:00:01", mac));
    CHECK_STR(eth_addr_format(mac, buf), "02:00:0a:ff:00:01");
    CHECK(!eth_addr_parse("02:00:0a:ff:00", mac));
    CHECK(!eth_addr_parse("02:00:0a:ff:00:01x", mac));
    CHECK(!eth_addr_parse("zz:00:0a:ff:00:01", mac));
    return check_exit();
}

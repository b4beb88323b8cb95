/* trafstats.c - classifies frames by network and transport protocol, cast and size, and
 * counts them. A tag (802.1Q or 802.1ad, up to two) is looked through to find the protocol. */
#include "trafstats.h"

#include "byteorder.h"
#include "eth.h"

const char *const ts_l3_names[TS_L3_MAX] = {"ipv4", "ipv6", "arp", "other"};
const char *const ts_l4_names[TS_L4_MAX] = {"tcp", "udp", "icmp", "other"};
const char *const ts_cast_names[TS_CAST_MAX] = {"unicast", "multicast", "broadcast"};
const char *const ts_size_names[TS_SIZE_BUCKETS] = {"64",       "65-127",    "128-255", "256-511",
                                                    "512-1023", "1024-1518", "1519+"};

unsigned trafstats_size_bucket(uint32_t len)
{
    if (len <= 64)
        return 0;
    if (len <= 127)
        return 1;
    if (len <= 255)
        return 2;
    if (len <= 511)
        return 3;
    if (len <= 1023)
        return 4;
    if (len <= 1518)
        return 5;
    return 6;
}

static uint8_t l4_of(uint8_t proto, bool v6)
{
    if (proto == 6)
        return TS_L4_TCP;
    if (proto == 17)
        return TS_L4_UDP;
    if ((!v6 && proto == 1) || (v6 && proto == 58))
        return TS_L4_ICMP;
    return TS_L4_OTHER;
}

struct ts_class trafstats_classify(const uint8_t *f, uint32_t len)
{
    struct ts_class c = {TS_L3_OTHER, TS_L4_MAX, TS_UNICAST, (uint8_t)trafstats_size_bucket(len)};
    if (len < ETH_HDR_LEN)
        return c;
    if (eth_is_broadcast(f))
        c.cast = TS_BROADCAST;
    else if (eth_is_multicast(f))
        c.cast = TS_MULTICAST;
    uint32_t off = 12;
    uint16_t type = load_be16(f + off);
    for (int tags = 0; tags < 2 && (type == ETHTYPE_VLAN || type == ETHTYPE_QINQ); tags++) {
        off += VLAN_HDR_LEN;
        if (off + 2 > len)
            return c;
        type = load_be16(f + off);
    }
    off += 2;
    if (type == ETHTYPE_IPV4) {
        c.l3 = TS_L3_IPV4;
        c.l4 = TS_L4_OTHER;
        if (off + 20 <= len)
            c.l4 = l4_of(f[off + 9], false);
    } else if (type == ETHTYPE_IPV6) {
        c.l3 = TS_L3_IPV6;
        c.l4 = TS_L4_OTHER;
        if (off + 40 <= len)
            c.l4 = l4_of(f[off + 6], true);
    } else if (type == ETHTYPE_ARP) {
        c.l3 = TS_L3_ARP;
    }
    return c;
}

void trafstats_count(struct traf_counters *c, struct pkt *const *pkts, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        uint32_t len = pkts[i]->len;
        struct ts_class k = trafstats_classify(pkts[i]->data, len);
        c->l3_packets[k.l3]++;
        c->l3_bytes[k.l3] += len;
        if (k.l4 != TS_L4_MAX) {
            c->l4_packets[k.l4]++;
            c->l4_bytes[k.l4] += len;
        }
        c->cast_packets[k.cast]++;
        c->size_packets[k.size]++;
    }
}

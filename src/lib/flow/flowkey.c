/* flowkey.c - extraction of the flow key from a frame: Ethernet/802.1Q by eth_parse, then IPv4,
 * IPv6 (with a bounded extension-header walk), ARP and the transport headers. */
#include "flowkey.h"

#include "byteorder.h"
#include "eth.h"

#define IP6_NH_HOPOPTS 0
#define IP6_NH_ROUTING 43
#define IP6_NH_FRAGMENT 44
#define IP6_NH_AUTH 51
#define IP6_NH_DSTOPTS 60

/* 802.3 frames carry a length, not a type, where the Ethertype would be; they all get this
 * type, as in Open vSwitch, so that a rule can still tell them apart. */
#define DL_TYPE_NONE 0x05ff

/* Transport fields of a header starting at off with `avail` bytes inside the datagram. */
static void parse_l4(const uint8_t *frame, uint32_t off, uint32_t avail, bool ipv6,
                     struct flow_key *key, struct flow_layout *lay)
{
    const uint8_t *p = frame + off;
    uint32_t need;
    switch (key->nw_proto) {
    case IPPROTO_NUM_TCP:
        need = 20;
        break;
    case IPPROTO_NUM_UDP:
        need = 8;
        break;
    case IPPROTO_NUM_SCTP:
        need = 12;
        break;
    case IPPROTO_NUM_ICMP:
        if (ipv6)
            return;
        need = 4;
        break;
    case IPPROTO_NUM_ICMPV6:
        if (!ipv6)
            return;
        need = 4;
        break;
    default:
        return;
    }
    if (avail < need)
        return;
    if (key->nw_proto == IPPROTO_NUM_ICMP || key->nw_proto == IPPROTO_NUM_ICMPV6) {
        key->tp_src = p[0];
        key->tp_dst = p[1];
    } else {
        key->tp_src = load_be16(p);
        key->tp_dst = load_be16(p + 2);
        if (key->nw_proto == IPPROTO_NUM_TCP)
            key->tcp_flags = load_be16(p + 12) & FLOW_TCP_FLAGS_MASK;
    }
    lay->l4 = (uint16_t)off;
    lay->l4_len = (uint16_t)(avail > 0xffff ? 0xffff : avail);
}

static void parse_ipv4(const uint8_t *frame, uint32_t len, uint32_t off, struct flow_key *key,
                       struct flow_layout *lay)
{
    if (len - off < 20)
        return;
    const uint8_t *b = frame + off;
    uint32_t ihl = (b[0] & 0x0fu) * 4;
    uint32_t total = load_be16(b + 2);
    if ((b[0] >> 4) != 4 || ihl < 20 || total < ihl || total > len - off)
        return;
    key->nw_tos = b[1];
    key->nw_ttl = b[8];
    key->nw_proto = b[9];
    key->nw_src = load_be32(b + 12);
    key->nw_dst = load_be32(b + 16);
    uint16_t frag = load_be16(b + 6);
    if (frag & 0x3fff) {
        key->nw_frag = FLOW_FRAG_ANY;
        if (frag & 0x1fff)
            key->nw_frag |= FLOW_FRAG_LATER;
    }
    lay->l3 = (uint16_t)off;
    lay->l3_len = (uint16_t)ihl;
    lay->ip_end = off + total;
    if (!(key->nw_frag & FLOW_FRAG_LATER))
        parse_l4(frame, off + ihl, total - ihl, false, key, lay);
}

static void parse_ipv6(const uint8_t *frame, uint32_t len, uint32_t off, struct flow_key *key,
                       struct flow_layout *lay)
{
    if (len - off < 40)
        return;
    const uint8_t *b = frame + off;
    uint32_t end = off + 40 + load_be16(b + 4);
    if ((b[0] >> 4) != 6 || end > len)
        return;
    key->nw_tos = (uint8_t)((b[0] & 0x0f) << 4 | b[1] >> 4);
    key->ipv6_label = (uint32_t)(b[1] & 0x0f) << 16 | load_be16(b + 2);
    key->nw_ttl = b[7];
    memcpy(key->ipv6_src, b + 8, 16);
    memcpy(key->ipv6_dst, b + 24, 16);
    lay->l3 = (uint16_t)off;
    lay->l3_len = 40;
    lay->ip_end = end;

    uint8_t nh = b[6];
    uint32_t p = off + 40;
    for (int n = 0;; n++) {
        uint32_t hlen;
        if (nh != IP6_NH_HOPOPTS && nh != IP6_NH_ROUTING && nh != IP6_NH_DSTOPTS &&
            nh != IP6_NH_AUTH && nh != IP6_NH_FRAGMENT)
            break;
        /* Too many or truncated extension headers: the transport is unknown. */
        if (n == FLOWKEY_MAX_EXT || end - p < 8) {
            key->nw_proto = nh;
            return;
        }
        const uint8_t *h = frame + p;
        if (nh == IP6_NH_FRAGMENT) {
            uint16_t fo = load_be16(h + 2);
            key->nw_frag |= FLOW_FRAG_ANY;
            if (fo & 0xfff8) {
                key->nw_frag |= FLOW_FRAG_LATER;
                key->nw_proto = h[0];
                return;
            }
            hlen = 8;
        } else if (nh == IP6_NH_AUTH) {
            hlen = ((uint32_t)h[1] + 2) * 4;
        } else {
            hlen = ((uint32_t)h[1] + 1) * 8;
        }
        if (hlen > end - p) {
            key->nw_proto = nh;
            return;
        }
        nh = h[0];
        p += hlen;
    }
    key->nw_proto = nh;
    parse_l4(frame, p, end - p, true, key, lay);
}

static void parse_arp(const uint8_t *frame, uint32_t len, uint32_t off, struct flow_key *key)
{
    if (len - off < 28)
        return;
    const uint8_t *b = frame + off;
    /* Only Ethernet/IPv4 ARP has the addresses a rule can name. */
    if (load_be16(b) != 1 || load_be16(b + 2) != ETHTYPE_IPV4 || b[4] != 6 || b[5] != 4)
        return;
    uint16_t op = load_be16(b + 6);
    key->nw_proto = op <= 0xff ? (uint8_t)op : 0;
    key->nw_src = load_be32(b + 14);
    key->nw_dst = load_be32(b + 24);
}

bool flowkey_extract(const uint8_t *frame, uint32_t len, uint32_t in_port, struct flow_key *key,
                     struct flow_layout *layout)
{
    struct flow_layout lay = {0};
    struct eth_info ei;
    memset(key, 0, sizeof(*key));
    key->in_port = in_port;
    bool ok = eth_parse(frame, len, &ei);
    if (ok) {
        memcpy(key->dl_dst, ei.dst, ETH_ADDR_LEN);
        memcpy(key->dl_src, ei.src, ETH_ADDR_LEN);
        key->dl_type = ei.ethertype >= 0x0600 ? ei.ethertype : DL_TYPE_NONE;
        if (ei.tagged)
            key->vlan_tci = ei.tci | FLOW_VLAN_PRESENT;
        switch (key->dl_type) {
        case ETHTYPE_IPV4:
            parse_ipv4(frame, len, ei.l3_offset, key, &lay);
            break;
        case ETHTYPE_IPV6:
            parse_ipv6(frame, len, ei.l3_offset, key, &lay);
            break;
        case ETHTYPE_ARP:
            parse_arp(frame, len, ei.l3_offset, key);
            break;
        default:
            break;
        }
    }
    if (layout)
        *layout = lay;
    return ok;
}

uint32_t flowkey_hash(const struct flow_key *key)
{
    uint64_t h = 0;
    for (int i = 0; i < FLOW_KEY_WORDS; i++)
        h = flowkey_mix(h, key->w[i]);
    return flowkey_finish(h);
}

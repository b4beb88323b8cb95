/* analyze_decode.c - reads what --analyze needs from a frame's headers: network and
 * transport protocol (through up to two VLAN tags and IPv6 extension headers), addresses
 * and ports. The frame is untrusted: every read is checked against the captured length. */
#include <string.h>

#include "analyze.h"
#include "byteorder.h"
#include "trafstats.h"

static uint8_t l4_class(uint8_t proto, bool v6)
{
    if (proto == 6)
        return TS_L4_TCP;
    if (proto == 17)
        return TS_L4_UDP;
    if (proto == (v6 ? 58 : 1))
        return TS_L4_ICMP;
    return TS_L4_OTHER;
}

static void ports(const uint8_t *f, uint32_t caplen, uint32_t off, struct an_pkt *p)
{
    if ((p->proto == 6 || p->proto == 17) && off + 4 <= caplen) {
        p->sport = load_be16(f + off);
        p->dport = load_be16(f + off + 2);
        p->has_ports = true;
    }
}

static void ipv4(const uint8_t *f, uint32_t caplen, uint32_t off, struct an_pkt *p)
{
    p->l3 = TS_L3_IPV4;
    p->l4 = TS_L4_OTHER;
    if (off + 20 > caplen || f[off] >> 4 != 4)
        return;
    uint32_t ihl = (f[off] & 0x0f) * 4u;
    if (ihl < 20)
        return;
    p->family = 4;
    memcpy(p->src, f + off + 12, 4);
    memcpy(p->dst, f + off + 16, 4);
    p->proto = f[off + 9];
    p->l4 = l4_class(p->proto, false);
    bool first_fragment = (load_be16(f + off + 6) & 0x1fff) == 0;
    if (first_fragment)
        ports(f, caplen, off + ihl, p);
}

static void ipv6(const uint8_t *f, uint32_t caplen, uint32_t off, struct an_pkt *p)
{
    p->l3 = TS_L3_IPV6;
    p->l4 = TS_L4_OTHER;
    if (off + 40 > caplen || f[off] >> 4 != 6)
        return;
    p->family = 6;
    memcpy(p->src, f + off + 8, 16);
    memcpy(p->dst, f + off + 24, 16);
    uint8_t nh = f[off + 6];
    off += 40;
    /* Extension headers before the transport header; a bounded number of them. */
    for (int hops = 0; hops < 8; hops++) {
        if (nh == 0 || nh == 43 || nh == 60) { /* hop-by-hop, routing, destination options */
            if (off + 2 > caplen)
                return;
            nh = f[off];
            off += (f[off + 1] + 1u) * 8;
        } else if (nh == 51) { /* authentication header */
            if (off + 2 > caplen)
                return;
            nh = f[off];
            off += (f[off + 1] + 2u) * 4;
        } else if (nh == 44) { /* fragment: the transport header is in the first only */
            if (off + 8 > caplen)
                return;
            nh = f[off];
            p->proto = nh;
            p->l4 = l4_class(nh, true);
            if ((load_be16(f + off + 2) & 0xfff8) != 0)
                return;
            off += 8;
        } else {
            p->proto = nh;
            p->l4 = l4_class(nh, true);
            ports(f, caplen, off, p);
            return;
        }
    }
}

void analyze_decode(const uint8_t *f, uint32_t caplen, struct an_pkt *p)
{
    memset(p, 0, sizeof(*p));
    p->l3 = TS_L3_OTHER;
    p->l4 = AN_L4;
    if (caplen < 14)
        return;
    uint32_t off = 12;
    uint16_t type = load_be16(f + off);
    for (int tags = 0; tags < 2 && (type == 0x8100 || type == 0x88a8); tags++) {
        off += 4;
        if (off + 2 > caplen)
            return;
        type = load_be16(f + off);
    }
    off += 2;
    if (type == 0x0800)
        ipv4(f, caplen, off, p);
    else if (type == 0x86dd)
        ipv6(f, caplen, off, p);
    else if (type == 0x0806)
        p->l3 = TS_L3_ARP;
}

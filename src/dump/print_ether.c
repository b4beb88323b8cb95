/* print_ether.c - the link layer: Ethernet addresses, 802.1Q/802.1ad tags, the EtherType
 * (shown with -e as tcpdump does) and the hand-over to ARP, IPv4 and IPv6. */
#include "print_int.h"

#define MAX_LENGTH_FIELD 1500

static bool is_vlan_tpid(uint16_t type)
{
    return type == 0x8100 || type == 0x88a8 || type == 0x9100 || type == 0x9200;
}

static void print_type(struct pctx *c, uint16_t type)
{
    const char *name = ethertype_name(type);
    if (!c->o->qflag)
        fprintf(c->out, "ethertype %s (0x%04x)", name ? name : "Unknown", type);
    else if (name)
        fputs(name, c->out);
    else
        fprintf(c->out, "Unknown Ethertype (0x%04x)", type);
}

void print_default(struct pctx *c, struct span s)
{
    /* tcpdump shows what it cannot decode as hex and ASCII, unless -q, -x or -X. */
    if (c->o->qflag || c->o->xflag || c->o->Xflag)
        return;
    for (uint32_t off = 0; off < s.len; off += 16) {
        char hex[48], asc[17];
        size_t h = 0, a = 0;
        uint32_t end = off + 16 < s.len ? off + 16 : s.len;
        for (uint32_t i = off; i < end; i += 2) {
            if (i + 1 < end)
                h += (size_t)snprintf(hex + h, sizeof(hex) - h, " %02x%02x", s.p[i], s.p[i + 1]);
            else
                h += (size_t)snprintf(hex + h, sizeof(hex) - h, " %02x", s.p[i]);
        }
        for (uint32_t i = off; i < end; i++)
            asc[a++] = s.p[i] > 0x20 && s.p[i] < 0x7f ? (char)s.p[i] : '.';
        asc[a] = 0;
        fprintf(c->out, "\n\t0x%04x: %-40s  %s", off, hex, asc);
    }
}

/* 802.2 LLC after an 802.3 length field: only the header is decoded. */
static uint32_t print_llc(struct pctx *c, struct span s, uint32_t length)
{
    if (!span_has(s, 0, 3)) {
        print_trunc(c, "llc");
        return 0;
    }
    fprintf(c->out, "LLC, dsap 0x%02x, ssap 0x%02x, ctrl 0x%02x, length %u", rd8(s, 0), rd8(s, 1),
            rd8(s, 2), length);
    print_default(c, span_from(s, 3));
    return 3;
}

uint32_t print_ether(struct pctx *c, struct span f, uint32_t length)
{
    uint32_t orig_length = length;
    if (f.len < 14) {
        print_trunc(c, "ether");
        return f.len;
    }
    char sbuf[18], dbuf[18];
    const uint8_t *dst = f.p, *src = f.p + 6;
    if (c->o->eflag)
        fprintf(c->out, "%s > %s, ", fmt_mac(src, sbuf), fmt_mac(dst, dbuf));
    uint16_t type = rd16(f, 12);
    struct span s = span_from(f, 14);
    length -= 14;
    uint32_t hdrlen = 14;
    bool printed_length = false;

    while (is_vlan_tpid(type)) {
        if (s.len < 4 || length < 4) {
            print_trunc(c, "vlan");
            return hdrlen + (s.len < length ? s.len : length);
        }
        if (c->o->eflag) {
            uint16_t tci = rd16(s, 0);
            print_type(c, type);
            if (!printed_length) {
                fprintf(c->out, ", length %u: ", orig_length);
                printed_length = true;
            } else {
                fputs(", ", c->out);
            }
            fprintf(c->out, "vlan %u, p %u%s, ", tci & 0xfff, tci >> 13,
                    (tci & 0x1000) ? ", DEI" : "");
        }
        type = rd16(s, 2);
        s = span_from(s, 4);
        length -= 4;
        hdrlen += 4;
    }

    if (type <= MAX_LENGTH_FIELD) {
        /* An 802.3 length field: it bounds the payload when it is the smaller. */
        if (type < length) {
            length = type;
            s = span_cut(s, length);
        }
        if (c->o->eflag) {
            fputs("802.3", c->out);
            if (!printed_length)
                fprintf(c->out, ", length %u: ", length);
        }
        return hdrlen + print_llc(c, s, length);
    }

    if (c->o->eflag) {
        print_type(c, type);
        if (!printed_length)
            fprintf(c->out, ", length %u: ", orig_length);
        else
            fputs(", ", c->out);
    }
    switch (type) {
    case 0x0800:
        print_ip(c, s, length);
        break;
    case 0x86dd:
        print_ip6(c, s, length);
        break;
    case 0x0806:
    case 0x8035:
        print_arp(c, s, length);
        break;
    default:
        if (!c->o->eflag) {
            fprintf(c->out, "%s > %s, ", fmt_mac(src, sbuf), fmt_mac(dst, dbuf));
            print_type(c, type);
            fprintf(c->out, ", length %u: ", orig_length);
        }
        print_default(c, s);
        break;
    }
    return hdrlen;
}

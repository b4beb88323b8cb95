/* print.c - one printed packet: time stamp, the protocol line, the optional hex dump; and the
 * helpers every protocol printer uses (addresses, names, checksums, truncation marks). */
#include "print.h"

#include <arpa/inet.h>
#include <string.h>
#include <time.h>

#include "capring.h"
#include "print_int.h"

#define MAX_PRINT_LEN 262144 /* tcpdump refuses headers claiming more than this */

void printer_init(struct printer *p, const struct print_opts *o, FILE *out)
{
    memset(p, 0, sizeof(*p));
    p->o = *o;
    p->out = out;
}

void print_trunc(struct pctx *c, const char *proto)
{
    if (c->stop)
        return;
    fprintf(c->out, " [|%s]", proto);
    c->stop = true;
}

void print_trunc_jmp(struct pctx *c, const char *proto)
{
    if (c->stop)
        return;
    print_trunc(c, proto);
    c->jmp = true;
}

const char *fmt_ip4(const uint8_t *a, char buf[16])
{
    snprintf(buf, 16, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
    return buf;
}

const char *fmt_ip6(const uint8_t *a, char buf[ADDR6_STRLEN])
{
    if (!inet_ntop(AF_INET6, a, buf, ADDR6_STRLEN))
        snprintf(buf, ADDR6_STRLEN, "?");
    return buf;
}

const char *fmt_mac(const uint8_t *a, char buf[18])
{
    snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3], a[4], a[5]);
    return buf;
}

const char *ipproto_name(uint8_t proto)
{
    switch (proto) {
    case 0:
        return "Options";
    case 1:
        return "ICMP";
    case 2:
        return "IGMP";
    case 4:
        return "IPIP";
    case 6:
        return "TCP";
    case 8:
        return "EGP";
    case 9:
        return "IGRP";
    case 17:
        return "UDP";
    case 33:
        return "DCCP";
    case 41:
        return "IPv6";
    case 43:
        return "Routing";
    case 44:
        return "Fragment";
    case 46:
        return "RSVP";
    case 47:
        return "GRE";
    case 50:
        return "ESP";
    case 51:
        return "AH";
    case 55:
        return "Mobile IP";
    case 58:
        return "ICMPv6";
    case 62:
        return "Mobile IP (old)";
    case 88:
        return "EIGRP";
    case 89:
        return "OSPF";
    case 103:
        return "PIM";
    case 108:
        return "Compressed IP";
    case 112:
        return "VRRP";
    case 113:
        return "PGM";
    case 132:
        return "SCTP";
    case 135:
        return "Mobility";
    case 143:
        return "Ethernet";
    default:
        return NULL;
    }
}

const char *ethertype_name(uint16_t type)
{
    switch (type) {
    case 0x0800:
        return "IPv4";
    case 0x0806:
        return "ARP";
    case 0x8035:
        return "Reverse ARP";
    case 0x8100:
        return "802.1Q";
    case 0x86dd:
        return "IPv6";
    case 0x88a8:
        return "802.1Q-QinQ";
    case 0x9100:
        return "802.1Q-9100";
    case 0x9200:
        return "802.1Q-9200";
    case 0x8847:
        return "MPLS unicast";
    case 0x8848:
        return "MPLS multicast";
    case 0x8863:
        return "PPPoE D";
    case 0x8864:
        return "PPPoE S";
    case 0x888e:
        return "EAPOL";
    case 0x88cc:
        return "LLDP";
    case 0x8809:
        return "Slow Protocols";
    case 0x88f7:
        return "PTP";
    case 0x9000:
        return "Loopback";
    case 0x88e5:
        return "802.1AE MACsec";
    case 0x8870:
        return "Jumbo";
    case 0x894f:
        return "NSH";
    default:
        return NULL;
    }
}

uint16_t cksum_should_be(uint16_t field, uint16_t computed)
{
    return inet_sum_fold((uint32_t)field + computed);
}

uint16_t l3_cksum(const struct l3 *ip, const uint8_t *seg, uint32_t length)
{
    uint32_t sum = 0;
    unsigned alen = ip->version == 4 ? 4 : 16;
    sum = inet_sum_add(sum, ip->src, alen);
    sum = inet_sum_add(sum, ip->dst, alen);
    uint8_t tail[8];
    if (ip->version == 4) {
        tail[0] = 0;
        tail[1] = ip->proto;
        store_be16(tail + 2, (uint16_t)length);
        sum = inet_sum_add(sum, tail, 4);
    } else {
        store_be32(tail, length);
        tail[4] = tail[5] = tail[6] = 0;
        tail[7] = ip->proto;
        sum = inet_sum_add(sum, tail, 8);
    }
    return inet_sum_fold_complement(inet_sum_add(sum, seg, length));
}

static void print_frac(struct pctx *c, uint64_t ns)
{
    if (c->o->nano)
        fprintf(c->out, ".%09u", (unsigned)(ns % 1000000000u));
    else
        fprintf(c->out, ".%06u", (unsigned)(ns % 1000000000u / 1000u));
}

static void print_clock(struct pctx *c, uint64_t ns, bool local, bool date)
{
    time_t sec = (time_t)(ns / 1000000000u);
    struct tm tm;
    if ((local ? localtime_r(&sec, &tm) : gmtime_r(&sec, &tm)) == NULL) {
        fputs("[Error converting time]", c->out);
        return;
    }
    char buf[40];
    strftime(buf, sizeof(buf), date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm);
    fputs(buf, c->out);
    print_frac(c, ns);
}

static void print_ts(struct pctx *c, uint64_t ns)
{
    struct printer *p = c->pr;
    switch (c->o->tflag) {
    case 1:
        return;
    case 2:
        fprintf(c->out, "%llu", (unsigned long long)(ns / 1000000000u));
        print_frac(c, ns);
        break;
    case 3:
    case 5: {
        if (!c->o->nano)
            ns -= ns % 1000; /* differences of microsecond stamps, as tcpdump sees them */
        if (!p->have_ref) {
            p->ref_ns = ns;
            p->have_ref = true;
        }
        bool negative = ns < p->ref_ns;
        uint64_t delta = negative ? p->ref_ns - ns : ns - p->ref_ns;
        fputc(negative ? '-' : ' ', c->out);
        print_clock(c, delta, false, false);
        if (c->o->tflag == 3)
            p->ref_ns = ns;
        break;
    }
    case 4:
        print_clock(c, ns, true, true);
        break;
    default:
        print_clock(c, ns, true, false);
        break;
    }
    fputc(' ', c->out);
}

/* tcpdump's -x layout: offset, then 8 groups of 2 bytes per line. */
static void hex_dump_ident(FILE *out, const char *ident, const uint8_t *p, uint32_t len)
{
    for (uint32_t off = 0; off < len; off += 16) {
        fprintf(out, "%s0x%04x: ", ident, off);
        uint32_t end = off + 16 < len ? off + 16 : len;
        for (uint32_t i = off; i < end; i += 2) {
            if (i + 1 < end)
                fprintf(out, " %02x%02x", p[i], p[i + 1]);
            else
                fprintf(out, " %02x", p[i]);
        }
    }
}

static void hex_dump(FILE *out, const uint8_t *p, uint32_t len)
{
    hex_dump_ident(out, "\n\t", p, len);
}

void print_unknown_data(struct pctx *c, struct span s, const char *ident, uint32_t len)
{
    hex_dump_ident(c->out, ident, s.p, len < s.len ? len : s.len);
}

/* tcpdump's -X layout: the hex column padded to 40 characters, then printable ASCII. */
static void hex_ascii_dump(FILE *out, const uint8_t *p, uint32_t len)
{
    for (uint32_t off = 0; off < len; off += 16) {
        char hex[48], asc[17];
        size_t h = 0, a = 0;
        uint32_t end = off + 16 < len ? off + 16 : len;
        for (uint32_t i = off; i < end; i += 2) {
            if (i + 1 < end)
                h += (size_t)snprintf(hex + h, sizeof(hex) - h, " %02x%02x", p[i], p[i + 1]);
            else
                h += (size_t)snprintf(hex + h, sizeof(hex) - h, " %02x", p[i]);
        }
        for (uint32_t i = off; i < end; i++)
            asc[a++] = p[i] > 0x20 && p[i] < 0x7f ? (char)p[i] : '.';
        asc[a] = 0;
        fprintf(out, "\n\t0x%04x: %-40s  %s", off, hex, asc);
    }
}

void print_packet(struct printer *p, const struct print_meta *m, const uint8_t *pkt,
                  uint32_t caplen, uint32_t origlen)
{
    struct pctx c = {.pr = p, .out = p->out, .o = &p->o};
    /* The same sanity checks as tcpdump, with its wording, before anything else. */
    bool bad = false;
    if (caplen == 0) {
        fputs("[Invalid header: caplen==0", c.out);
        bad = true;
    }
    if (origlen == 0) {
        fputs(bad ? ", len==0" : "[Invalid header: len==0", c.out);
        bad = true;
    } else if (origlen < caplen) {
        fprintf(c.out, "%s len(%u) < caplen(%u)", bad ? "," : "[Invalid header:", origlen, caplen);
        bad = true;
    }
    if (caplen > MAX_PRINT_LEN) {
        fprintf(c.out, "%s caplen(%u) > %u", bad ? "," : "[Invalid header:", caplen, MAX_PRINT_LEN);
        bad = true;
    }
    if (origlen > MAX_PRINT_LEN) {
        fprintf(c.out, "%s len(%u) > %u", bad ? "," : "[Invalid header:", origlen, MAX_PRINT_LEN);
        bad = true;
    }
    if (bad) {
        fputs("]\n", c.out);
        return;
    }
    print_ts(&c, m->ts_ns);
    if (p->o.ifname) {
        const char *dir = m->dir == CAPDIR_IN ? "In" : m->dir == CAPDIR_OUT ? "Out" : "?";
        fprintf(c.out, "%-5s %-3s ", m->ifname ? m->ifname : "?", dir);
    }
    struct span frame = {pkt, caplen};
    uint32_t hdrlen = print_ether(&c, frame, origlen);
    if (c.jmp)
        hdrlen = 0; /* as tcpdump: a cut-short packet is dumped from its first byte */
    int xlevel = p->o.Xflag ? p->o.Xflag : p->o.xflag;
    if (xlevel) {
        uint32_t skip = xlevel > 1 ? 0 : hdrlen;
        if (caplen > skip) {
            if (p->o.Xflag)
                hex_ascii_dump(c.out, pkt + skip, caplen - skip);
            else
                hex_dump(c.out, pkt + skip, caplen - skip);
        }
    }
    fputc('\n', c.out);
}

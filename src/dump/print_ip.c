/* print_ip.c - IPv4 (header checks, the -v details, fragments) and the choice of the
 * transport printer after an IPv4 or IPv6 header. */
#include "print_int.h"

#define IP_HDR_LEN 20
#define IP_MF 0x2000
#define IP_DF 0x4000
#define IP_RES 0x8000
#define IP_OFFMASK 0x1fff

static const char *ip_option_name(uint8_t code)
{
    switch (code) {
    case 0:
        return "EOL";
    case 1:
        return "NOP";
    case 68:
        return "TS";
    case 130:
        return "security";
    case 7:
        return "RR";
    case 137:
        return "SSRR";
    case 131:
        return "LSRR";
    case 148:
        return "RA";
    default:
        return NULL;
    }
}

/* Option names (the addresses in route and time-stamp options are not decoded). Returns
 * false if the options were cut short by the capture. */
static bool print_ip_options(struct pctx *c, struct span s)
{
    const char *sep = "";
    for (uint32_t off = 0; off < s.len;) {
        uint8_t code = rd8(s, off);
        fputs(sep, c->out);
        sep = ",";
        const char *name = ip_option_name(code);
        if (name)
            fputs(name, c->out);
        else
            fprintf(c->out, "unknown %u", code);
        uint32_t len = 1;
        if (code != 0 && code != 1) {
            uint8_t l;
            if (!get8(s, off + 1, &l))
                return false;
            len = l;
            if (len < 2) {
                fprintf(c->out, " [bad length %u]", len);
                return true;
            }
        }
        if (len > s.len - off) {
            fprintf(c->out, " [bad length %u]", len);
            return true;
        }
        if (code == 0)
            return true;
        if (code == 148) {
            if (len < 4)
                fprintf(c->out, " [bad length %u]", len);
            else if (rd16(s, off + 2) != 0)
                fprintf(c->out, " value %u", rd16(s, off + 2));
        }
        off += len;
    }
    return true;
}

static void print_frag_flags(struct pctx *c, uint16_t off)
{
    const char *sep = "";
    if (!off)
        fputs("none", c->out);
    if (off & IP_MF) {
        fputs("+", c->out);
        sep = ", ";
    }
    if (off & IP_DF) {
        fprintf(c->out, "%sDF", sep);
        sep = ", ";
    }
    if (off & IP_RES)
        fprintf(c->out, "%srsvd", sep);
}

void print_ip_demux(struct pctx *c, const struct l3 *ip, struct span s, uint32_t length)
{
    switch (ip->proto) {
    case 6:
        print_tcp(c, ip, s, length);
        break;
    case 17:
        print_udp(c, ip, s, length);
        break;
    case 1:
        if (ip->version == 4) {
            print_icmp(c, ip, s, length);
        } else {
            fputs("[ICMP requires IPv4] (invalid)", c->out);
        }
        break;
    case 58:
        if (ip->version == 6) {
            print_icmp6(c, ip, s, length);
        } else {
            fputs("[ICMPv6 requires IPv6] (invalid)", c->out);
        }
        break;
    case 4:
        print_ip(c, s, length);
        break;
    case 41:
        print_ip6(c, s, length);
        break;
    case 59:
        fputs("no next header", c->out);
        break;
    default:
        fprintf(c->out, " ip-proto-%u %u", ip->proto, length);
        break;
    }
}

void print_ip(struct pctx *c, struct span s, uint32_t length)
{
    uint8_t vhl;
    if (!get8(s, 0, &vhl)) {
        print_trunc_jmp(c, "ip");
        return;
    }
    if (vhl >> 4 != 4) {
        if (vhl >> 4 == 6)
            fputs("IP6, wrong link-layer encapsulation (invalid)", c->out);
        else
            fprintf(c->out, "IP%u (invalid)", vhl >> 4);
        return;
    }
    if (!c->o->eflag)
        fputs("IP ", c->out);
    if (!span_has(s, 0, IP_HDR_LEN)) {
        print_trunc(c, "ip");
        return;
    }
    if (length < IP_HDR_LEN) {
        fprintf(c->out, "truncated-ip %u", length);
        return;
    }
    uint32_t hlen = (vhl & 0xf) * 4u;
    if (hlen < IP_HDR_LEN) {
        fprintf(c->out, "bad-hlen %u", hlen);
        return;
    }
    uint32_t len = rd16(s, 2);
    if (length < len)
        fprintf(c->out, "truncated-ip - %u bytes missing! ", len - length);
    if (len < hlen) {
        fprintf(c->out, "bad-len %u", len);
        return;
    }
    /* What follows the datagram (Ethernet padding) is not part of it. */
    s = span_cut(s, len);
    len -= hlen;
    uint16_t off = rd16(s, 6);
    uint8_t proto = rd8(s, 9), ttl = rd8(s, 8);
    char sbuf[16], dbuf[16];
    const char *src = fmt_ip4(s.p + 12, sbuf), *dst = fmt_ip4(s.p + 16, dbuf);

    if (c->o->vflag) {
        uint8_t tos = rd8(s, 1);
        fprintf(c->out, "(tos 0x%x", tos);
        static const char *const ecn[] = {"", ",ECT(1)", ",ECT(0)", ",CE"};
        fputs(ecn[tos & 3], c->out);
        if (ttl >= 1)
            fprintf(c->out, ", ttl %u", ttl);
        fprintf(c->out, ", id %u, offset %u, flags [", rd16(s, 4), (off & IP_OFFMASK) * 8u);
        print_frag_flags(c, off & (IP_RES | IP_DF | IP_MF));
        const char *pname = ipproto_name(proto);
        fprintf(c->out, "], proto %s (%u), length %u", pname ? pname : "unknown", proto,
                rd16(s, 2));
        bool opts_cut = false;
        if (hlen > IP_HDR_LEN) {
            fputs(", options (", c->out);
            struct span opts = span_cut(span_from(s, IP_HDR_LEN), hlen - IP_HDR_LEN);
            if (opts.len < hlen - IP_HDR_LEN || !print_ip_options(c, opts)) {
                fputs(" [truncated-option]", c->out);
                opts_cut = true;
            }
            fputs(")", c->out);
        }
        if (span_has(s, 0, hlen)) {
            uint16_t sum = inet_sum_fold_complement(inet_sum_add(0, s.p, hlen));
            if (sum != 0) {
                uint16_t field = rd16(s, 10);
                fprintf(c->out, ", bad cksum %x (->%x)!", field, cksum_should_be(field, sum));
            }
        }
        fputs(")\n    ", c->out);
        if (opts_cut) {
            fprintf(c->out, "%s > %s: ", src, dst);
            print_trunc(c, "ip");
            return;
        }
    }

    if ((off & IP_OFFMASK) == 0) {
        if (proto != 6 && proto != 17)
            fprintf(c->out, "%s > %s: ", src, dst);
        if (!span_has(s, 0, hlen)) {
            fprintf(c->out, " [remaining caplen(%u) < header length(%u)]", s.len, hlen);
            print_trunc_jmp(c, "ip");
            return;
        }
        struct l3 ip = {4, proto, s.p + 12, s.p + 16, (off & IP_MF) != 0, true};
        print_ip_demux(c, &ip, span_from(s, hlen), len);
    } else {
        fprintf(c->out, "%s > %s: ip-proto-%u", src, dst, proto);
    }
}

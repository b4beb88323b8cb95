/* print_icmp.c - ICMP for IPv4 and ICMPv6: echo, unreachable, time exceeded, redirect,
 * neighbour discovery (with its options under -v) and multicast listener messages, with
 * tcpdump's wording. */
#include "print_int.h"

static const char *icmp_simple_name(uint8_t type)
{
    switch (type) {
    case 0:
        return "echo reply";
    case 4:
        return "source quench";
    case 8:
        return "echo request";
    case 10:
        return "router solicitation";
    case 13:
        return "time stamp request";
    case 14:
        return "time stamp reply";
    case 15:
        return "information request";
    case 16:
        return "information reply";
    case 17:
        return "address mask request";
    default:
        return NULL;
    }
}

/* The destination of the datagram an ICMP error quotes (its IP header starts at 8). */
#define QUOTED_DST (8 + 16)

/* Text of a destination-unreachable message; false if a field was not captured. */
static bool unreach_text(struct span s, uint8_t code, char *buf, size_t cap)
{
    char dst[16];
    static const char *const simple[] = {
        [0] = "net %s unreachable",
        [1] = "host %s unreachable",
        [5] = "%s unreachable - source route failed",
        [6] = "net %s unreachable - unknown",
        [7] = "host %s unreachable - unknown",
        [8] = "%s unreachable - source host isolated",
        [9] = "net %s unreachable - admin prohibited",
        [10] = "host %s unreachable - admin prohibited",
        [11] = "net %s unreachable - tos prohibited",
        [12] = "host %s unreachable - tos prohibited",
        [13] = "host %s unreachable - admin prohibited filter",
        [14] = "host %s unreachable - host precedence violation",
        [15] = "host %s unreachable - precedence cutoff",
    };
    switch (code) {
    case 2: {
        uint8_t p;
        if (!span_has(s, QUOTED_DST, 4) || !get8(s, 8 + 9, &p))
            return false;
        snprintf(buf, cap, "%s protocol %u unreachable", fmt_ip4(s.p + QUOTED_DST, dst), p);
        return true;
    }
    case 3: {
        uint8_t vhl, p;
        uint16_t dport;
        if (!get8(s, 8 + 9, &p) || !get8(s, 8, &vhl) ||
            !get16(s, 8 + (vhl & 0xf) * 4u + 2, &dport) || !span_has(s, QUOTED_DST, 4))
            return false;
        fmt_ip4(s.p + QUOTED_DST, dst);
        if (p == 6)
            snprintf(buf, cap, "%s tcp port %u unreachable", dst, dport);
        else if (p == 17)
            snprintf(buf, cap, "%s udp port %u unreachable", dst, dport);
        else
            snprintf(buf, cap, "%s protocol %u port %u unreachable", dst, p, dport);
        return true;
    }
    case 4: {
        uint16_t mtu;
        if (!get16(s, 6, &mtu) || !span_has(s, QUOTED_DST, 4))
            return false;
        fmt_ip4(s.p + QUOTED_DST, dst);
        if (mtu)
            snprintf(buf, cap, "%s unreachable - need to frag (mtu %u)", dst, mtu);
        else
            snprintf(buf, cap, "%s unreachable - need to frag", dst);
        return true;
    }
    default:
        if (!span_has(s, QUOTED_DST, 4))
            return false;
        fmt_ip4(s.p + QUOTED_DST, dst);
        if (code < sizeof(simple) / sizeof(simple[0]) && simple[code])
            snprintf(buf, cap, simple[code], dst);
        else
            snprintf(buf, cap, "%s unreachable - #%u", dst, code);
        return true;
    }
}

void print_icmp(struct pctx *c, const struct l3 *ip, struct span s, uint32_t length)
{
    uint8_t type, code;
    if (!get8(s, 0, &type) || !get8(s, 1, &code)) {
        print_trunc_jmp(c, "icmp");
        return;
    }
    char text[200];
    char a[16], b[16];
    bool ok = true; /* false: a read failed (tcpdump abandons the packet) */
    switch (type) {
    case 0:
    case 8:
        ok = span_has(s, 4, 4);
        if (ok)
            snprintf(text, sizeof(text), "echo %s, id %u, seq %u", type == 8 ? "request" : "reply",
                     rd16(s, 4), rd16(s, 6));
        break;
    case 3:
        ok = unreach_text(s, code, text, sizeof(text));
        break;
    case 5: {
        static const char *const kinds[] = {"redirect %s to net %s", "redirect %s to host %s",
                                            "redirect-tos %s to net %s",
                                            "redirect-tos %s to host %s"};
        ok = span_has(s, QUOTED_DST, 4) && span_has(s, 4, 4);
        if (ok) {
            fmt_ip4(s.p + QUOTED_DST, a);
            fmt_ip4(s.p + 4, b);
            if (code < 4)
                snprintf(text, sizeof(text), kinds[code], a, b);
            else
                snprintf(text, sizeof(text), "redirect-#%u %s to %s", code, a, b);
        }
        break;
    }
    case 11:
        if (!span_has(s, QUOTED_DST, 4)) {
            print_trunc(c, "icmp");
            return;
        }
        if (code == 0)
            snprintf(text, sizeof(text), "time exceeded in-transit");
        else if (code == 1)
            snprintf(text, sizeof(text), "ip reassembly time exceeded");
        else
            snprintf(text, sizeof(text), "time exceeded-#%u", code);
        break;
    case 12:
        if (code) {
            snprintf(text, sizeof(text), "parameter problem - code %u", code);
        } else {
            ok = span_has(s, 4, 1);
            if (ok)
                snprintf(text, sizeof(text), "parameter problem - octet %u", rd8(s, 4));
        }
        break;
    case 18:
        ok = span_has(s, 8, 4);
        if (ok)
            snprintf(text, sizeof(text), "address mask is 0x%08x", rd32(s, 8));
        break;
    case 13:
        ok = span_has(s, 4, 4);
        if (ok)
            snprintf(text, sizeof(text), "time stamp query id %u seq %u", rd16(s, 4), rd16(s, 6));
        break;
    default: {
        const char *name = icmp_simple_name(type);
        if (name)
            snprintf(text, sizeof(text), "%s", name);
        else
            snprintf(text, sizeof(text), "type-#%u", type);
        break;
    }
    }
    if (!ok) {
        print_trunc_jmp(c, "icmp");
        return;
    }
    fprintf(c->out, "ICMP %s, length %u", text, length);
    if (c->o->vflag && !ip->fragmented && span_has(s, 0, length)) {
        uint16_t sum = inet_sum_fold_complement(inet_sum_add(0, s.p, length));
        if (sum != 0) {
            uint16_t field = rd16(s, 2);
            fprintf(c->out, " (wrong icmp cksum %x (->%x)!)", field, cksum_should_be(field, sum));
        }
    }
    /* With -v an error message shows the datagram it quotes. */
    bool is_error = type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
    if (c->o->vflag && is_error) {
        fputs("\n\t", c->out);
        struct span quoted = span_from(s, 8);
        uint16_t qlen;
        if (!get16(quoted, 2, &qlen)) {
            print_trunc_jmp(c, "icmp");
            return;
        }
        print_ip(c, span_cut(quoted, qlen), qlen);
    }
}

static const char *icmp6_name(uint8_t type)
{
    switch (type) {
    case 1:
        return "destination unreachable";
    case 2:
        return "packet too big";
    case 3:
        return "time exceeded in-transit";
    case 4:
        return "parameter problem";
    case 128:
        return "echo request";
    case 129:
        return "echo reply";
    case 130:
        return "multicast listener query";
    case 131:
        return "multicast listener report";
    case 132:
        return "multicast listener done";
    case 133:
        return "router solicitation";
    case 134:
        return "router advertisement";
    case 135:
        return "neighbor solicitation";
    case 136:
        return "neighbor advertisement";
    case 137:
        return "redirect";
    case 138:
        return "router renumbering";
    case 139:
        return "node information query";
    case 140:
        return "node information reply";
    case 141:
        return "inverse neighbor solicitation";
    case 142:
        return "inverse neighbor advertisement";
    case 143:
        return "multicast listener report v2";
    case 144:
        return "ha discovery request";
    case 145:
        return "ha discovery reply";
    case 146:
        return "mobile router solicitation";
    case 147:
        return "mobile router advertisement";
    case 155:
        return "RPL";
    default:
        return NULL;
    }
}

static const char *unreach6_name(uint8_t code)
{
    switch (code) {
    case 0:
        return "unreachable route";
    case 1:
        return " unreachable prohibited";
    case 2:
        return "beyond scope";
    case 3:
        return "unreachable address";
    case 4:
        return "unreachable port";
    default:
        return NULL;
    }
}

static const char *nd_option_name(uint8_t type)
{
    switch (type) {
    case 1:
        return "source link-address";
    case 2:
        return "destination link-address";
    case 3:
        return "prefix info";
    case 4:
        return "redirected header";
    case 5:
        return "mtu";
    case 25:
        return "rdnss";
    case 31:
        return "dnssl";
    case 7:
        return "advertisement interval";
    case 8:
        return "homeagent information";
    case 24:
        return "route info";
    default:
        return "unknown";
    }
}

static void print_lifetime(struct pctx *c, uint32_t v)
{
    if (v == UINT32_MAX)
        fputs("infinity", c->out);
    else
        fprintf(c->out, "%us", v);
}

static const char *rtpref(uint8_t flags)
{
    static const char *const names[] = {"medium", "high", "rsv", "low"};
    return names[(flags & 0x18) >> 3];
}

/* Neighbour discovery options (-v). Returns 0, or -1 if the options were cut short. */
static int print_nd_options(struct pctx *c, struct span s, int resid)
{
    uint32_t off = 0;
    while (off < s.len) {
        if (!span_has(s, off, 2))
            return -1;
        if (resid <= 0)
            return 0;
        uint8_t type = rd8(s, off), olen = rd8(s, off + 1);
        uint32_t bytes = olen * 8u;
        if (olen == 0 || !span_has(s, off, bytes))
            return -1;
        fprintf(c->out, "\n\t  %s option (%u), length %u (%u): ", nd_option_name(type), type, bytes,
                olen);
        struct span o = span_cut(span_from(s, off), bytes);
        switch (type) {
        case 1:
        case 2:
            for (uint32_t i = 2; i < bytes; i++)
                fprintf(c->out, i > 2 ? ":%02x" : "%02x", rd8(o, i));
            break;
        case 3: {
            char a[ADDR6_STRLEN];
            if (!span_has(o, 16, 16)) {
                print_trunc_jmp(c, "icmp6");
                return 0;
            }
            uint8_t fl = rd8(o, 3);
            fprintf(c->out, "%s/%u%s, Flags [", fmt_ip6(o.p + 16, a), rd8(o, 2),
                    olen != 4 ? "badlen" : "");
            const char *sep = "";
            if (!(fl & 0xe0))
                fputs("none", c->out);
            if (fl & 0x80) {
                fputs("onlink", c->out);
                sep = ", ";
            }
            if (fl & 0x40) {
                fprintf(c->out, "%sauto", sep);
                sep = ", ";
            }
            if (fl & 0x20)
                fprintf(c->out, "%srouter", sep);
            fputs("], valid time ", c->out);
            print_lifetime(c, rd32(o, 4));
            fputs(", pref. time ", c->out);
            print_lifetime(c, rd32(o, 8));
            break;
        }
        case 4:
            print_unknown_data(c, span_from(s, 0), "\n\t    ", bytes);
            break;
        case 5:
            fprintf(c->out, " %u%s", rd32(o, 4), olen != 1 ? "bad option length" : "");
            break;
        case 25: {
            char a[ADDR6_STRLEN];
            fprintf(c->out, " lifetime %us,", rd32(o, 4));
            for (uint32_t i = 0; i < (olen - 1u) / 2; i++)
                fprintf(c->out, " addr: %s", fmt_ip6(o.p + 8 + 16 * i, a));
            break;
        }
        case 7:
            fprintf(c->out, " %ums", rd32(o, 4));
            break;
        case 8:
            fprintf(c->out, " preference %u, lifetime %u", rd16(o, 4), rd16(o, 6));
            break;
        default:
            if (c->o->vflag <= 1) {
                print_unknown_data(c, span_from(o, 2), "\n\t  ", bytes - 2);
                return 0;
            }
            break;
        }
        if (c->o->vflag > 1)
            print_unknown_data(c, span_from(o, 2), "\n\t    ", bytes - 2);
        off += bytes;
        resid -= (int)bytes;
    }
    return 0;
}

/* Reads an address of the message or marks the packet abandoned, as tcpdump's reads do. */
static bool addr6_at(struct pctx *c, struct span s, uint32_t off, char buf[ADDR6_STRLEN])
{
    if (!span_has(s, off, 16)) {
        print_trunc_jmp(c, "icmp6");
        return false;
    }
    fmt_ip6(s.p + off, buf);
    return true;
}

/* The fixed part of a message is read field by field; a missing one abandons the packet. */
static bool need(struct pctx *c, struct span s, uint32_t off, uint32_t n)
{
    if (span_has(s, off, n))
        return true;
    print_trunc_jmp(c, "icmp6");
    return false;
}

/* The body of an ICMPv6 message after its name. Returns false when the caller must not
 * print the trailing length (the packet stopped or the body ended the line itself). */
static bool icmp6_body(struct pctx *c, const struct l3 *ip, struct span s, uint8_t type,
                       uint8_t code, uint32_t length)
{
    char a[ADDR6_STRLEN], b[ADDR6_STRLEN];
    (void)ip;
    switch (type) {
    case 1: {
        const char *cn = unreach6_name(code);
        if (cn)
            fprintf(c->out, ", %s", cn);
        else
            fprintf(c->out, ", unknown unreach code (%u)", code);
        /* The quoted IPv6 header starts at offset 8. */
        if (code == 0 || code == 1 || code == 3) {
            if (!addr6_at(c, s, 8 + 24, a))
                return false;
            fprintf(c->out, " %s", a);
        } else if (code == 2) {
            if (!addr6_at(c, s, 8 + 24, a) || !addr6_at(c, s, 8 + 8, b))
                return false;
            fprintf(c->out, " %s, source address %s", a, b);
        } else if (code == 4) {
            uint8_t nh;
            uint16_t dport;
            if (!get8(s, 8 + 6, &nh) || !get16(s, 48 + 2, &dport)) {
                print_trunc(c, "icmp6");
                return false;
            }
            if (!addr6_at(c, s, 8 + 24, a))
                return false;
            if (nh == 6)
                fprintf(c->out, ", %s tcp port %u", a, dport);
            else if (nh == 17)
                fprintf(c->out, ", %s udp port %u", a, dport);
            else
                fprintf(c->out, ", %s protocol %u port %u unreachable", a, nh, dport);
        } else if (c->o->vflag <= 1) {
            print_unknown_data(c, s, "\n\t", length);
            return false;
        }
        return true;
    }
    case 2:
        if (!need(c, s, 4, 4))
            return false;
        fprintf(c->out, ", mtu %u", rd32(s, 4));
        return true;
    case 3:
        if (code == 0) {
            if (!addr6_at(c, s, 8 + 24, a))
                return false;
            fprintf(c->out, " for %s", a);
        } else if (code == 1) {
            fputs(" (reassembly)", c->out);
        } else {
            fprintf(c->out, ", unknown code (%u)", code);
        }
        return true;
    case 4: {
        static const char *const kinds[] = {"erroneous", "next header", "option",
                                            "incomplete header chain"};
        if (!span_has(s, 8 + 24, 16)) {
            print_trunc(c, "icmp6");
            return false;
        }
        if (code < 4)
            fprintf(c->out, ", %s - octet %u", kinds[code], rd32(s, 4));
        else
            fprintf(c->out, ", code-#%u", code);
        return true;
    }
    case 128:
    case 129:
        if (!need(c, s, 4, 4))
            return false;
        fprintf(c->out, ", id %u, seq %u", rd16(s, 4), rd16(s, 6));
        return true;
    case 130:
    case 131:
    case 132:
        if (type == 130 && length >= 28) {
            fputs(" v2", c->out);
            uint16_t mrc;
            if (!get16(s, 4, &mrc)) {
                print_trunc_jmp(c, "icmp6");
                return false;
            }
            uint32_t mrt =
                mrc < 32768 ? mrc : ((mrc & 0x0fffu) | 0x1000u) << (((mrc & 0x7000) >> 12) + 3);
            if (c->o->vflag)
                fprintf(c->out, " [max resp delay=%u]", mrt);
            if (!addr6_at(c, s, 8, a))
                return false;
            fprintf(c->out, " [gaddr %s", a);
            if (!need(c, s, 24, 4))
                return false;
            if (c->o->vflag) {
                uint8_t f = rd8(s, 24), q = rd8(s, 25);
                if (f & 0x08)
                    fputs(" sflag", c->out);
                if (f & 0x07)
                    fprintf(c->out, " robustness=%u", f & 0x07);
                uint32_t qqi = q < 128 ? q : ((q & 0x0fu) | 0x10u) << (((q & 0x70) >> 4) + 3);
                fprintf(c->out, " qqi=%u", qqi);
            }
            uint16_t nsrcs = rd16(s, 26);
            if (nsrcs > 0) {
                if (length < 28 + nsrcs * 16u) {
                    fputs(" [invalid number of sources]", c->out);
                } else if (c->o->vflag > 1) {
                    fputs(" {", c->out);
                    for (unsigned i = 0; i < nsrcs; i++) {
                        if (!addr6_at(c, s, 28 + 16 * i, a))
                            return false;
                        fprintf(c->out, " %s", a);
                    }
                    fputs(" }", c->out);
                } else {
                    fprintf(c->out, ", %u source(s)", nsrcs);
                }
            }
            fputs("]", c->out);
        } else if (type == 130 && length != 24) {
            fprintf(c->out, " unknown-version (len %u) ", length);
        } else if (span_has(s, 0, 24)) {
            fprintf(c->out, "max resp delay: %u addr: %s", rd16(s, 4), fmt_ip6(s.p + 8, a));
        }
        return true;
    case 143: {
        if (length < 8) {
            fprintf(c->out, " [invalid len %u]", length);
            return true;
        }
        if (!need(c, s, 6, 2))
            return false;
        uint32_t ngroups = rd16(s, 6);
        fprintf(c->out, ", %u group record(s)", ngroups);
        if (c->o->vflag > 0) {
            static const char *const kinds[] = {NULL,    "is_in", "is_ex", "to_in",
                                                "to_ex", "allow", "block"};
            uint32_t group = 8;
            for (uint32_t i = 0; i < ngroups; i++) {
                if (length < group + 20) {
                    fputs(" [invalid number of groups]", c->out);
                    return true;
                }
                if (!addr6_at(c, s, group + 4, a) || !need(c, s, group, 4))
                    return false;
                fprintf(c->out, " [gaddr %s", a);
                uint8_t rt = rd8(s, group);
                if (rt >= 1 && rt <= 6)
                    fprintf(c->out, " %s", kinds[rt]);
                else
                    fprintf(c->out, "  [v2-report-#%u]", rt);
                uint32_t nsrcs = rd16(s, group + 2);
                if (length < group + 20 + nsrcs * 16) {
                    fprintf(c->out, " [invalid number of sources %u]", nsrcs);
                    return true;
                }
                if (c->o->vflag == 1) {
                    fprintf(c->out, ", %u source(s)", nsrcs);
                } else {
                    fputs(" {", c->out);
                    for (uint32_t j = 0; j < nsrcs; j++) {
                        if (!addr6_at(c, s, group + 20 + 16 * j, a))
                            return false;
                        fprintf(c->out, " %s", a);
                    }
                    fputs(" }", c->out);
                }
                group += 20 + nsrcs * 16;
                fputs("]", c->out);
            }
        }
        return true;
    }
    case 133:
        if (c->o->vflag && print_nd_options(c, span_from(s, 8), (int)length - 8) < 0) {
            print_trunc(c, "icmp6");
            return false;
        }
        return !c->stop;
    case 134:
        if (c->o->vflag) {
            if (!need(c, s, 4, 12))
                return false;
            uint8_t fl = rd8(s, 5);
            fprintf(c->out, "\n\thop limit %u, Flags [", rd8(s, 4));
            const char *sep = "";
            if (!(fl & 0xe2))
                fputs("none", c->out);
            static const struct {
                uint8_t bit;
                const char *name;
            } ra_flags[] = {{0x80, "managed"},
                            {0x40, "other stateful"},
                            {0x20, "home agent"},
                            {0x02, "ipv6 only"}};
            for (unsigned i = 0; i < 4; i++) {
                if (fl & ra_flags[i].bit) {
                    fprintf(c->out, "%s%s", sep, ra_flags[i].name);
                    sep = ", ";
                }
            }
            fprintf(c->out,
                    "], pref %s, router lifetime %us, reachable time %ums, retrans timer %ums",
                    rtpref(fl), rd16(s, 6), rd32(s, 8), rd32(s, 12));
            if (print_nd_options(c, span_from(s, 16), (int)length - 16) < 0) {
                print_trunc(c, "icmp6");
                return false;
            }
        }
        return !c->stop;
    case 135:
    case 136:
        if (!addr6_at(c, s, 8, a))
            return false;
        fprintf(c->out, type == 135 ? ", who has %s" : ", tgt is %s", a);
        if (c->o->vflag) {
            if (type == 136) {
                uint32_t fl = rd32(s, 4);
                fputs(", Flags [", c->out);
                const char *sep = "";
                if (!(fl & 0xe0000000u))
                    fputs("none", c->out);
                if (fl & 0x80000000u) {
                    fputs("router", c->out);
                    sep = ", ";
                }
                if (fl & 0x40000000u) {
                    fprintf(c->out, "%ssolicited", sep);
                    sep = ", ";
                }
                if (fl & 0x20000000u)
                    fprintf(c->out, "%soverride", sep);
                fputs("]", c->out);
            }
            if (print_nd_options(c, span_from(s, 24), (int)length - 24) < 0) {
                print_trunc(c, "icmp6");
                return false;
            }
        }
        return !c->stop;
    case 137:
        if (!addr6_at(c, s, 24, a) || !addr6_at(c, s, 8, b))
            return false;
        fprintf(c->out, ", %s to %s", b, a);
        if (c->o->vflag && print_nd_options(c, span_from(s, 40), (int)length - 40) < 0) {
            print_trunc(c, "icmp6");
            return false;
        }
        return !c->stop;
    case 144:
    case 146:
        if (!need(c, s, 4, 2))
            return false;
        fprintf(c->out, ", id 0x%04x", rd16(s, 4));
        return true;
    case 138:
    case 139:
    case 140:
    case 141:
    case 142:
    case 145:
    case 147:
    case 155:
        /* Decoded by tcpdump in detail; shown here by name only. */
        return true;
    default:
        fprintf(c->out, ", length %u", length);
        if (c->o->vflag <= 1)
            print_unknown_data(c, s, "\n\t", length);
        return false;
    }
}

void print_icmp6(struct pctx *c, const struct l3 *ip, struct span s, uint32_t length)
{
    if (length == 0) {
        fputs("ICMP6, length 0 (invalid)", c->out);
        return;
    }
    if (c->o->vflag && !ip->fragmented && span_has(s, 0, length)) {
        uint16_t sum = l3_cksum(ip, s.p, length);
        uint16_t field = length >= 4 ? rd16(s, 2) : 0;
        if (sum != 0)
            fprintf(c->out, "[bad icmp6 cksum 0x%04x -> 0x%04x!] ", field,
                    cksum_should_be(field, sum));
        else
            fputs("[icmp6 sum ok] ", c->out);
    }
    uint8_t type, code;
    if (!get8(s, 0, &type)) {
        print_trunc_jmp(c, "icmp6");
        return;
    }
    const char *name = icmp6_name(type);
    if (name)
        fprintf(c->out, "ICMP6, %s", name);
    else
        fprintf(c->out, "ICMP6, unknown icmp6 type (%u)", type);
    if (c->o->vflag && (type == 133 || type == 134 || type == 135 || type == 136 || type == 137 ||
                        type == 145 || type == 147))
        fprintf(c->out, ", length %u", length);
    if (!get8(s, 1, &code)) {
        print_trunc_jmp(c, "icmp6");
        return;
    }
    if (!icmp6_body(c, ip, s, type, code, length))
        return;
    if (!c->o->vflag)
        fprintf(c->out, ", length %u", length);
}

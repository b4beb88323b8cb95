/* print_ip6.c - IPv6: the fixed header (with the -v details), the extension headers a
 * packet may carry before its transport (hop-by-hop, destination options, routing,
 * fragment), and the jumbo payload option. */
#include "print_int.h"

#define IP6_HDR_LEN 40
#define NH_HOPOPTS 0
#define NH_ROUTING 43
#define NH_FRAGMENT 44
#define NH_NONE 59
#define NH_DSTOPTS 60
#define NH_MOBILITY_OLD 62
#define NH_MOBILITY 135

/* Options of a hop-by-hop or destination header; sets *jumbo to a valid jumbo length.
 * Returns false when an option runs past its header. */
static bool print_ip6_options(struct pctx *c, struct span s, bool hop_by_hop, uint32_t payload_len,
                              uint32_t *jumbo)
{
    bool verbose = c->o->vflag > 0;
    bool seen_jumbo = false;
    if (s.len == 0)
        return true;
    for (uint32_t i = 0; i < s.len;) {
        uint8_t type = rd8(s, i);
        uint32_t optlen = 1;
        if (type != 0) {
            if (i + 1 >= s.len)
                return false;
            optlen = rd8(s, i + 1) + 2u;
        }
        if (optlen > s.len - i)
            return false;
        uint32_t left = s.len - i;
        switch (type) {
        case 0:
            if (verbose)
                fputs("(pad1)", c->out);
            break;
        case 1:
            if (left < 2) {
                fputs("(padn: trunc)", c->out);
                return false;
            }
            if (verbose)
                fputs("(padn)", c->out);
            break;
        case 5:
            if (left < 4) {
                fputs("(rtalert: trunc)", c->out);
                return false;
            }
            if (rd8(s, i + 1) != 2) {
                fprintf(c->out, "(rtalert: invalid len %u)", rd8(s, i + 1));
                return false;
            }
            if (verbose)
                fprintf(c->out, "(rtalert: 0x%04x) ", rd16(s, i + 2));
            break;
        case 0xc2: {
            if (left < 6) {
                fputs("(jumbo: trunc)", c->out);
                return false;
            }
            if (rd8(s, i + 1) != 4) {
                fprintf(c->out, "(jumbo: invalid len %u)", rd8(s, i + 1));
                return false;
            }
            uint32_t jlen = rd32(s, i + 2);
            const char *why = NULL;
            if (seen_jumbo)
                why = " - already seen";
            else if (!hop_by_hop)
                why = " - not a hop-by-hop option";
            else if (payload_len != 0)
                why = " - payload len != 0";
            else if (jlen < 65536)
                why = " - < 65536";
            seen_jumbo = true;
            if (!why)
                *jumbo = jlen;
            if (verbose)
                fprintf(c->out, "(jumbo: %u%s) ", jlen, why ? why : "");
            break;
        }
        default:
            if (left < 2) {
                fprintf(c->out, "(type %u: trunc)", type);
                return false;
            }
            if (verbose)
                fprintf(c->out, "(opt_type 0x%02x: len=%u)", type, rd8(s, i + 1));
            break;
        }
        i += optlen;
    }
    if (verbose)
        fputs(" ", c->out);
    return true;
}

void print_ip6(struct pctx *c, struct span s, uint32_t length)
{
    if (!span_has(s, 0, IP6_HDR_LEN)) {
        print_trunc(c, "ip6");
        return;
    }
    if (length < IP6_HDR_LEN) {
        fprintf(c->out, "truncated-ip6 %u", length);
        return;
    }
    if (!c->o->eflag)
        fputs("IP6 ", c->out);
    if (rd8(s, 0) >> 4 != 6) {
        fprintf(c->out, "version error: %u != 6", rd8(s, 0) >> 4);
        return;
    }
    uint32_t payload_len = rd16(s, 4), len;
    if (payload_len != 0) {
        len = payload_len + IP6_HDR_LEN;
        if (length < len)
            fprintf(c->out, "truncated-ip6 - %u bytes missing!", len - length);
    } else {
        len = length + IP6_HDR_LEN;
    }
    uint8_t nh = rd8(s, 6);
    if (c->o->vflag) {
        uint32_t flow = rd32(s, 0);
        fputs("(", c->out);
        if (flow & 0x0ff00000)
            fprintf(c->out, "class 0x%02x, ", (flow & 0x0ff00000) >> 20);
        if (flow & 0x000fffff)
            fprintf(c->out, "flowlabel 0x%05x, ", flow & 0x000fffff);
        const char *pname = ipproto_name(nh);
        fprintf(c->out, "hlim %u, next-header %s (%u) payload length: %u) ", rd8(s, 7),
                pname ? pname : "unknown", nh, payload_len);
    }
    s = span_cut(s, len);
    const uint8_t *src = s.p + 8, *dst = s.p + 24;
    char sbuf[ADDR6_STRLEN], dbuf[ADDR6_STRLEN];

    uint32_t off = 0, advance = IP6_HDR_LEN, total = 0, jumbo = 0;
    uint8_t prev = 255;
    bool found_ext = false, found_hbh = false, fragmented = false;
    while (off < s.len && advance > 0) {
        if (len < advance) {
            print_trunc(c, "ip6");
            return;
        }
        off += advance;
        len -= advance;
        total += advance;
        if (off == IP6_HDR_LEN && nh != 6 && nh != 17 && nh != 33 && nh != 132)
            fprintf(c->out, "%s > %s: ", fmt_ip6(src, sbuf), fmt_ip6(dst, dbuf));
        struct span h = span_from(s, off);
        switch (nh) {
        case NH_HOPOPTS:
        case NH_DSTOPTS: {
            bool hbh = nh == NH_HOPOPTS;
            if (hbh && found_hbh) {
                fputs("[The Hop-by-Hop Options header was already found] (invalid)", c->out);
                return;
            }
            if (hbh && prev != 255) {
                fputs("[The Hop-by-Hop Options header don't follow the IPv6 header] (invalid)",
                      c->out);
                return;
            }
            uint8_t hl;
            if (!get8(h, 1, &hl)) {
                print_trunc_jmp(c, hbh ? "hbhopt" : "dstopt");
                return;
            }
            if (!span_has(h, 0, (hl + 1u) * 8)) {
                print_trunc(c, hbh ? "hbhopt" : "dstopt");
                return;
            }
            advance = (hl + 1u) * 8;
            fputs(hbh ? "HBH " : "DSTOPT ", c->out);
            if (hbh || c->o->vflag) {
                if (!print_ip6_options(c, span_cut(span_from(h, 2), advance - 2), hbh, payload_len,
                                       &jumbo)) {
                    print_trunc(c, hbh ? "hbhopt" : "dstopt");
                    return;
                }
            }
            if (hbh && payload_len == 0 && jumbo == 0) {
                fputs("[No valid Jumbo Payload Hop-by-Hop option found] (invalid)", c->out);
                return;
            }
            found_ext = true;
            found_hbh |= hbh;
            nh = rd8(h, 0);
            break;
        }
        case NH_FRAGMENT: {
            if (!span_has(h, 0, 8)) {
                print_trunc_jmp(c, "frag6");
                return;
            }
            uint16_t fo = rd16(h, 2) & 0xfff8;
            uint32_t flen = IP6_HDR_LEN + payload_len - off - 8;
            if (c->o->vflag)
                fprintf(c->out, "frag (0x%08x:%u|%u)", rd32(h, 4), fo, flen);
            else
                fprintf(c->out, "frag (%u|%u)", fo, flen);
            if (fo != 0 || !span_has(h, 0, 9))
                return; /* a later fragment, or nothing after the header was captured */
            fputs(" ", c->out);
            advance = 8;
            found_ext = true;
            fragmented = true;
            nh = rd8(h, 0);
            break;
        }
        case NH_ROUTING: {
            if (!span_has(h, 0, 4)) {
                print_trunc(c, "srcrt");
                return;
            }
            advance = (rd8(h, 1) + 1u) * 8;
            fprintf(c->out, "srcrt (len=%u, type=%u, segleft=%u) ", rd8(h, 1), rd8(h, 2),
                    rd8(h, 3));
            found_ext = true;
            nh = rd8(h, 0);
            break;
        }
        case NH_MOBILITY:
        case NH_MOBILITY_OLD:
            fputs("mobility", c->out);
            return;
        default: {
            if (jumbo) {
                len = jumbo + IP6_HDR_LEN;
                if (len < total) {
                    print_trunc(c, "ip6");
                    return;
                }
                if (length < len)
                    fprintf(c->out, "truncated-ip6 - %u bytes missing!", len - length);
                s = span_cut(s, len);
                h = span_from(s, off);
                len -= total;
            } else if (payload_len == 0) {
                if (found_ext) {
                    print_trunc(c, "ip6");
                    return;
                }
                len = 0;
                h.len = 0;
            }
            struct l3 ip = {6, nh, src, dst, fragmented, off == IP6_HDR_LEN};
            print_ip_demux(c, &ip, h, len);
            return;
        }
        }
        prev = nh;
    }
}

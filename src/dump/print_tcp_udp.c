/* print_tcp_udp.c - TCP (flags, relative sequence numbers per conversation, options,
 * checksum with -v) and UDP (length, checksum with -v), worded as tcpdump -n prints them. */
#include "print_int.h"

#include <string.h>

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10
#define TH_URG 0x20
#define TCP_HDR_LEN 20
#define MAX_RST_DATA 30

struct endpoints {
    char src[ADDR6_STRLEN], dst[ADDR6_STRLEN];
};

static void format_endpoints(const struct l3 *ip, struct endpoints *e)
{
    if (ip->version == 4) {
        fmt_ip4(ip->src, e->src);
        fmt_ip4(ip->dst, e->dst);
    } else {
        fmt_ip6(ip->src, e->src);
        fmt_ip6(ip->dst, e->dst);
    }
}

/* "src.sport > dst.dport: " when the IP header names this protocol directly; when extension
 * headers came between, IPv6 already printed the addresses and only ports follow. */
static void print_endpoints(struct pctx *c, const struct l3 *ip, int sport, int dport)
{
    struct endpoints e;
    format_endpoints(ip, &e);
    if (ip->direct) {
        if (sport < 0)
            fprintf(c->out, "%s > %s: ", e.src, e.dst);
        else
            fprintf(c->out, "%s.%d > %s.%d: ", e.src, sport, e.dst, dport);
    } else if (sport >= 0) {
        fprintf(c->out, "%d > %d: ", sport, dport);
    }
}

static uint32_t hash_key(const struct tcp_seq_entry *k)
{
    uint32_t h = 2166136261u;
    const uint8_t *parts[2] = {k->src, k->dst};
    for (int p = 0; p < 2; p++)
        for (int i = 0; i < 16; i++)
            h = (h ^ parts[p][i]) * 16777619u;
    h = (h ^ k->ports) * 16777619u;
    return (h ^ k->family) * 16777619u;
}

/* The conversation's entry: *found tells whether it existed. Entries are never freed; a
 * full neighbourhood reuses the first slot, so a very old conversation may be renumbered. */
static struct tcp_seq_entry *tcp_entry(struct printer *p, const struct tcp_seq_entry *key,
                                       bool *found)
{
    uint32_t h = hash_key(key);
    struct tcp_seq_entry *free_slot = NULL;
    for (unsigned i = 0; i < 8; i++) {
        struct tcp_seq_entry *e = &p->tcp[(h + i) % PRINT_TCP_TABLE];
        if (!e->used) {
            if (!free_slot)
                free_slot = e;
            continue;
        }
        if (e->family == key->family && e->ports == key->ports &&
            memcmp(e->src, key->src, 16) == 0 && memcmp(e->dst, key->dst, 16) == 0) {
            *found = true;
            return e;
        }
    }
    *found = false;
    return free_slot ? free_slot : &p->tcp[h % PRINT_TCP_TABLE];
}

/* Makes seq/ack relative to the conversation's first acknowledged segment, as tcpdump does
 * without -S. Sets the bases used for SACK blocks. */
static void relative_seq(struct pctx *c, const struct l3 *ip, uint16_t sport, uint16_t dport,
                         uint8_t flags, uint32_t *seq, uint32_t *ack, uint32_t *thseq,
                         uint32_t *thack, bool *rev)
{
    unsigned alen = ip->version == 4 ? 4 : 16;
    *rev = sport > dport || (sport == dport && memcmp(ip->src, ip->dst, alen) > 0);
    struct tcp_seq_entry key = {.used = true, .family = ip->version};
    if (*rev) {
        memcpy(key.src, ip->dst, alen);
        memcpy(key.dst, ip->src, alen);
        key.ports = (uint32_t)dport << 16 | sport;
    } else {
        memcpy(key.src, ip->src, alen);
        memcpy(key.dst, ip->dst, alen);
        key.ports = (uint32_t)sport << 16 | dport;
    }
    bool found;
    struct tcp_seq_entry *e = tcp_entry(c->pr, &key, &found);
    if (!found || (flags & TH_SYN)) {
        *e = key;
        if (*rev) {
            e->ack = *seq;
            e->seq = *ack - 1;
        } else {
            e->seq = *seq;
            e->ack = *ack - 1;
        }
    } else if (*rev) {
        *seq -= e->ack;
        *ack -= e->seq;
    } else {
        *seq -= e->seq;
        *ack -= e->ack;
    }
    *thseq = e->seq;
    *thack = e->ack;
}

static const char *tcp_option_name(uint8_t opt)
{
    switch (opt) {
    case 0:
        return "eol";
    case 1:
        return "nop";
    case 2:
        return "mss";
    case 3:
        return "wscale";
    case 4:
        return "sackOK";
    case 5:
        return "sack";
    case 6:
        return "echo";
    case 7:
        return "echoreply";
    case 8:
        return "TS";
    case 11:
        return "cc";
    case 12:
        return "ccnew";
    case 13:
        return "";
    case 19:
        return "md5";
    case 20:
        return "scps";
    case 28:
        return "uto";
    case 29:
        return "tcp-ao";
    case 30:
        return "mptcp";
    case 34:
        return "tfo";
    case 254:
        return "exp";
    default:
        return NULL;
    }
}

/* OPT_TRUNC: a length check failed (tcpdump prints the mark itself); OPT_TRUNC_JMP: a read
 * of an option's kind or length failed (tcpdump abandons the packet). */
enum opt_result { OPT_OK, OPT_BAD, OPT_TRUNC, OPT_TRUNC_JMP };

/* The option list "[mss 1460,sackOK,...]". */
static enum opt_result print_tcp_options(struct pctx *c, struct span opts, uint32_t hlen, bool rev,
                                         uint32_t thseq, uint32_t thack, bool *any)
{
    uint32_t pos = 0;
    *any = false;
    while (hlen > 0) {
        if (*any)
            fputc(',', c->out);
        uint8_t opt, len;
        if (!get8(opts, pos, &opt))
            return OPT_TRUNC_JMP;
        pos++;
        if (opt == 0 || opt == 1) {
            len = 1;
        } else {
            if (!get8(opts, pos, &len))
                return OPT_TRUNC_JMP;
            pos++;
            if (len < 2 || len > hlen)
                return OPT_BAD;
            hlen--;
        }
        hlen--;
        const char *name = tcp_option_name(opt);
        if (name)
            fputs(name, c->out);
        else
            fprintf(c->out, "unknown-%u", opt);
        uint32_t datalen = 0;
#define NEED(n)                                                                                    \
    do {                                                                                           \
        if ((n) > hlen)                                                                            \
            return OPT_BAD;                                                                        \
        if (!span_has(opts, pos, (n)))                                                             \
            return OPT_TRUNC;                                                                      \
    } while (0)
        switch (opt) {
        case 2:
            datalen = 2;
            NEED(datalen);
            fprintf(c->out, " %u", rd16(opts, pos));
            break;
        case 3:
            datalen = 1;
            NEED(datalen);
            fprintf(c->out, " %u", rd8(opts, pos));
            break;
        case 5:
            datalen = len - 2u;
            if (datalen % 8 != 0) {
                fputs(" invalid sack", c->out);
            } else {
                fprintf(c->out, " %u ", datalen / 8);
                for (uint32_t i = 0; i < datalen; i += 8) {
                    NEED(i + 8);
                    uint32_t s = rd32(opts, pos + i), e = rd32(opts, pos + i + 4);
                    uint32_t base = rev ? thseq : thack;
                    fprintf(c->out, "{%u:%u}", s - base, e - base);
                }
            }
            break;
        case 6:
        case 7:
        case 11:
        case 12:
        case 13:
            datalen = 4;
            NEED(datalen);
            fprintf(c->out, " %u", rd32(opts, pos));
            break;
        case 8:
            datalen = 8;
            NEED(datalen);
            fprintf(c->out, " val %u ecr %u", rd32(opts, pos), rd32(opts, pos + 4));
            break;
        case 19:
            datalen = 16;
            NEED(datalen);
            fputc(' ', c->out);
            for (uint32_t i = 0; i < 16; i++)
                fprintf(c->out, "%02x", rd8(opts, pos + i));
            break;
        case 20:
            datalen = 2;
            NEED(datalen);
            fprintf(c->out, " cap %02x id %u", rd8(opts, pos), rd8(opts, pos + 1));
            break;
        case 28: {
            datalen = 2;
            NEED(datalen);
            uint32_t uto = rd16(opts, pos);
            fprintf(c->out, " 0x%x", uto);
            uto = (uto & 1) ? (uto >> 1) * 60 : uto >> 1;
            fprintf(c->out, " %u", uto);
            break;
        }
        case 0:
        case 1:
        case 4:
            break;
        default:
            datalen = len - 2u;
            if (datalen)
                fputs(" 0x", c->out);
            for (uint32_t i = 0; i < datalen; i++) {
                NEED(i + 1);
                fprintf(c->out, "%02x", rd8(opts, pos + i));
            }
            break;
        }
#undef NEED
        pos += datalen;
        hlen -= datalen;
        datalen++;
        if (opt != 0 && opt != 1)
            datalen++;
        if (datalen != len)
            fprintf(c->out, "[len %u]", len);
        *any = true;
        if (opt == 0)
            break;
    }
    return OPT_OK;
}

static void print_rst_data(struct pctx *c, struct span s, uint32_t length)
{
    fputs(span_has(s, 0, length) ? " [RST" : " [!RST", c->out);
    if (length > MAX_RST_DATA) {
        length = MAX_RST_DATA;
        fputc('+', c->out);
    }
    fputc(' ', c->out);
    for (uint32_t i = 0; i < length && i < s.len; i++) {
        uint8_t ch = s.p[i];
        if (ch & 0x80) {
            ch &= 0x7f;
            fputs("M-", c->out);
        }
        if (ch < 0x20 || ch == 0x7f) {
            ch ^= 0x40;
            fputc('^', c->out);
        }
        fputc(ch, c->out);
    }
    fputc(']', c->out);
}

static void print_flags(struct pctx *c, uint8_t flags)
{
    static const struct {
        uint8_t bit;
        char sym;
    } order[] = {{0x01, 'F'}, {0x02, 'S'}, {0x04, 'R'}, {0x08, 'P'},
                 {0x10, '.'}, {0x20, 'U'}, {0x40, 'E'}, {0x80, 'W'}};
    fputs("Flags [", c->out);
    if (!flags)
        fputs("none", c->out);
    for (unsigned i = 0; i < sizeof(order) / sizeof(order[0]); i++)
        if (flags & order[i].bit)
            fputc(order[i].sym, c->out);
    fputc(']', c->out);
}

void print_tcp(struct pctx *c, const struct l3 *ip, struct span s, uint32_t length)
{
    if (!span_has(s, 0, 4)) {
        struct endpoints e;
        format_endpoints(ip, &e);
        fprintf(c->out, "%s > %s:", e.src, e.dst);
        print_trunc(c, "tcp");
        return;
    }
    uint16_t sport = rd16(s, 0), dport = rd16(s, 2);
    print_endpoints(c, ip, sport, dport);
    if (!span_has(s, 0, TCP_HDR_LEN)) {
        print_trunc(c, "tcp");
        return;
    }
    uint32_t hlen = (rd8(s, 12) >> 4) * 4u;
    if (hlen < TCP_HDR_LEN) {
        fprintf(c->out, " tcp %u [bad hdr length %u - too short, < %u]", length - hlen, hlen,
                TCP_HDR_LEN);
        return;
    }
    uint32_t seq = rd32(s, 4), ack = rd32(s, 8);
    uint16_t win = rd16(s, 14), urp = rd16(s, 18);
    if (c->o->qflag) {
        fprintf(c->out, "tcp %u", length - hlen);
        if (hlen > length)
            fprintf(c->out, " [bad hdr length %u - too long, > %u]", hlen, length);
        return;
    }
    uint8_t flags = rd8(s, 13);
    print_flags(c, flags);
    uint32_t thseq = 0, thack = 0;
    bool rev = false;
    if (!c->o->Sflag && (flags & TH_ACK))
        relative_seq(c, ip, sport, dport, flags, &seq, &ack, &thseq, &thack, &rev);
    if (hlen > length) {
        fprintf(c->out, " [bad hdr length %u - too long, > %u]", hlen, length);
        return;
    }
    if (c->o->vflag && !ip->fragmented && span_has(s, 0, length)) {
        uint16_t sum = l3_cksum(ip, s.p, length), field = rd16(s, 16);
        fprintf(c->out, ", cksum 0x%04x", field);
        if (sum != 0)
            fprintf(c->out, " (incorrect -> 0x%04x)", cksum_should_be(field, sum));
        else
            fputs(" (correct)", c->out);
    }
    uint32_t payload = length - hlen;
    if (c->o->vflag > 1 || payload > 0 || (flags & (TH_SYN | TH_FIN | TH_RST))) {
        fprintf(c->out, ", seq %u", seq);
        if (payload > 0)
            fprintf(c->out, ":%u", seq + payload);
    }
    if (flags & TH_ACK)
        fprintf(c->out, ", ack %u", ack);
    fprintf(c->out, ", win %u", win);
    if (flags & TH_URG)
        fprintf(c->out, ", urg %u", urp);
    if (hlen > TCP_HDR_LEN) {
        fputs(", options [", c->out);
        bool any;
        enum opt_result r = print_tcp_options(c, span_from(s, TCP_HDR_LEN), hlen - TCP_HDR_LEN, rev,
                                              thseq, thack, &any);
        if (r == OPT_BAD) {
            fputs("[bad opt]", c->out);
            if (any)
                fputc(']', c->out);
            return;
        }
        if (r == OPT_TRUNC_JMP) {
            print_trunc_jmp(c, "tcp");
            return;
        }
        if (r == OPT_TRUNC) {
            print_trunc(c, "tcp");
            if (any)
                fputc('>', c->out);
            return;
        }
        fputc(']', c->out);
    }
    fprintf(c->out, ", length %u", payload);
    if (payload == 0)
        return;
    if (!span_has(s, 0, hlen)) {
        fprintf(c->out, " [remaining caplen(%u) < header length(%u)]", s.len, hlen);
        print_trunc_jmp(c, "tcp");
        return;
    }
    if ((flags & TH_RST) && c->o->vflag)
        print_rst_data(c, span_from(s, hlen), payload);
}

void print_udp(struct pctx *c, const struct l3 *ip, struct span s, uint32_t length)
{
    if (!span_has(s, 0, 4)) {
        print_endpoints(c, ip, -1, -1);
        print_trunc(c, "udp");
        return;
    }
    uint16_t sport = rd16(s, 0), dport = rd16(s, 2);
    if (length < 8) {
        print_endpoints(c, ip, sport, dport);
        fprintf(c->out, "truncated-udp %u", length);
        return;
    }
    if (!span_has(s, 4, 2)) {
        print_endpoints(c, ip, sport, dport);
        print_trunc(c, "udp");
        return;
    }
    uint32_t ulen = rd16(s, 4);
    if (ulen == 0 && length > 65535)
        ulen = length; /* IPv6 jumbogram */
    if (ulen < 8) {
        print_endpoints(c, ip, sport, dport);
        fprintf(c->out, "truncated-udplength %u", ulen);
        return;
    }
    ulen -= 8;
    length -= 8;
    if (ulen < length)
        length = ulen;
    if (s.len < 8) {
        print_endpoints(c, ip, sport, dport);
        print_trunc(c, "udp");
        return;
    }
    print_endpoints(c, ip, sport, dport);
    if (c->o->vflag && !ip->fragmented && (ip->version == 6 || c->o->vflag > 1)) {
        uint16_t field = rd16(s, 6);
        if (ip->version == 4 && field == 0) {
            fputs("[no cksum] ", c->out);
        } else if (span_has(s, 0, 8 + length)) {
            uint16_t sum = l3_cksum(ip, s.p, length + 8);
            if (sum != 0)
                fprintf(c->out, "[bad udp cksum 0x%04x -> 0x%04x!] ", field,
                        cksum_should_be(field, sum));
            else
                fputs("[udp sum ok] ", c->out);
        }
    }
    if (ulen > length && !ip->fragmented)
        fprintf(c->out, "UDP, bad length %u > %u", ulen, length);
    else
        fprintf(c->out, "UDP, length %u", ulen);
}

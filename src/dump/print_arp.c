/* print_arp.c - ARP and RARP over Ethernet: who-has/tell, is-at, and the reverse and
 * inverse variants, worded as tcpdump words them. */
#include "print_int.h"

#define ARP_HDR_LEN 8

static const char *op_name(uint16_t op)
{
    switch (op) {
    case 1:
        return "Request";
    case 2:
        return "Reply";
    case 3:
        return "Reverse Request";
    case 4:
        return "Reverse Reply";
    case 8:
        return "Inverse Request";
    case 9:
        return "Inverse Reply";
    case 10:
        return "NACK Reply";
    default:
        return NULL;
    }
}

static const char *hrd_name(uint16_t hrd)
{
    switch (hrd) {
    case 1:
        return "Ethernet";
    case 6:
        return "TokenRing";
    case 7:
        return "ArcNet";
    case 15:
        return "FrameRelay";
    case 23:
        return "Strip";
    case 24:
        return "IEEE 1394";
    case 19:
        return "ATM";
    case 32:
        return "InfiniBand";
    default:
        return NULL;
    }
}

/* A hardware address of any length: colon-separated hex, as tcpdump prints link addresses. */
static void print_hw(struct pctx *c, const uint8_t *a, unsigned len)
{
    if (len == 6) {
        char buf[18];
        fputs(fmt_mac(a, buf), c->out);
        return;
    }
    if (len == 0) {
        fputs("<empty>", c->out);
        return;
    }
    for (unsigned i = 0; i < len; i++)
        fprintf(c->out, i ? ":%02x" : "%02x", a[i]);
}

static void print_proto_addr(struct pctx *c, uint16_t pro, const uint8_t *a, unsigned plen)
{
    char buf[16];
    if (pro != 0x0800 && pro != 0x1000)
        fputs("<wrong proto type>", c->out);
    else if (plen != 4)
        fputs("<wrong len>", c->out);
    else
        fputs(fmt_ip4(a, buf), c->out);
}

void print_arp(struct pctx *c, struct span s, uint32_t length)
{
    if (!span_has(s, 0, ARP_HDR_LEN)) {
        print_trunc_jmp(c, "arp");
        return;
    }
    uint16_t hrd = rd16(s, 0), pro = rd16(s, 2), op = rd16(s, 6);
    unsigned hln = rd8(s, 4), pln = rd8(s, 5);
    /* Sender hardware and protocol addresses, then the target's. */
    uint32_t sha = ARP_HDR_LEN, spa = sha + hln, tha = spa + pln, tpa = tha + hln;
    if (!span_has(s, tpa, pln)) {
        print_trunc_jmp(c, "arp");
        return;
    }
    if (!c->o->eflag)
        fputs("ARP, ", c->out);
    if ((pro != 0x0800 && pro != 0x1000) || pln != 4 || hln == 0 || c->o->vflag) {
        const char *hn = hrd_name(hrd), *pn = ethertype_name(pro);
        if (hn)
            fprintf(c->out, "%s (len %u), ", hn, hln);
        else
            fprintf(c->out, "Unknown Hardware (%u) (len %u), ", hrd, hln);
        if (pn)
            fprintf(c->out, "%s (len %u)", pn, pln);
        else
            fprintf(c->out, "Unknown Protocol (0x%04x) (len %u)", pro, pln);
        if (!c->o->vflag) {
            fprintf(c->out, ", length %u", length);
            return;
        }
    }
    const char *name = op_name(op);
    if (c->o->vflag)
        fputs(", ", c->out);
    if (name)
        fprintf(c->out, "%s ", name);
    else
        fprintf(c->out, "Unknown (%u) ", op);
    const uint8_t *p = s.p;
    switch (op) {
    case 1: {
        fputs("who-has ", c->out);
        print_proto_addr(c, pro, p + tpa, pln);
        bool nonzero = false;
        for (unsigned i = 0; i < hln; i++)
            nonzero |= p[tha + i] != 0;
        if (nonzero) {
            fputs(" (", c->out);
            print_hw(c, p + tha, hln);
            fputs(")", c->out);
        }
        fputs(" tell ", c->out);
        print_proto_addr(c, pro, p + spa, pln);
        break;
    }
    case 2:
        print_proto_addr(c, pro, p + spa, pln);
        fputs(" is-at ", c->out);
        print_hw(c, p + sha, hln);
        break;
    case 3:
    case 8:
        fputs("who-is ", c->out);
        print_hw(c, p + tha, hln);
        fputs(" tell ", c->out);
        print_hw(c, p + sha, hln);
        break;
    case 4:
        print_hw(c, p + tha, hln);
        fputs(" at ", c->out);
        print_proto_addr(c, pro, p + tpa, pln);
        break;
    case 9:
        print_hw(c, p + sha, hln);
        fputs(" at ", c->out);
        print_proto_addr(c, pro, p + spa, pln);
        break;
    default:
        print_default(c, s);
        return;
    }
    fprintf(c->out, ", length %u", length);
}

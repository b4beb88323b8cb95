/* test_print.c - the packet printer against tcpdump itself: crafted frames (ICMP, a TCP
 * conversation, UDP, ARP, IPv6, VLAN tags, fragments, options, cut-short captures) go into a
 * pcap file, `tcpdump -n -r` prints them with several flag sets, and our printer must print
 * the same text. Every packet is also printed at every shorter capture length to prove the
 * printer never reads past what was captured. */
#include "check.h"
#include "print.h"

#include <pcap/pcap.h>
#include <stdlib.h>
#include <unistd.h>

/* These printers live in sluicedump; the test builds them in directly. */
#include "../../src/dump/print.c"
#include "../../src/dump/print_arp.c"
#include "../../src/dump/print_ether.c"
#include "../../src/dump/print_icmp.c"
#include "../../src/dump/print_ip.c"
#include "../../src/dump/print_ip6.c"
#include "../../src/dump/print_tcp_udp.c"

#define MAXPKT 128

struct frame {
    uint8_t b[1600];
    uint32_t len;    /* bytes built */
    uint32_t caplen; /* bytes kept in the file (0: all) */
    uint64_t ts;
};

static struct frame frames[MAXPKT];
static unsigned nframes;

static const uint8_t mac_a[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0a};
static const uint8_t mac_b[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0b};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t ip_a[4] = {10, 0, 0, 1}, ip_b[4] = {10, 0, 0, 2};
static const uint8_t ip6_a[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t ip6_b[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
static const uint8_t ll_a[16] = {0xfe, 0x80, [8] = 0, [11] = 0xff, [12] = 0xfe, [15] = 0x0a};
static const uint8_t ll_b[16] = {0xfe, 0x80, [11] = 0xff, [12] = 0xfe, [15] = 0x0b};

static struct frame *new_frame(void)
{
    struct frame *f = &frames[nframes++];
    memset(f, 0, sizeof(*f));
    f->ts = 1700000000ull * 1000000000u + nframes * 1234567ull + 890;
    return f;
}

/* Ethernet header with optional tags; returns the offset of the payload. */
static uint32_t eth(struct frame *f, const uint8_t *dst, const uint8_t *src, uint16_t type,
                    const uint16_t *tags, unsigned ntags)
{
    memcpy(f->b, dst, 6);
    memcpy(f->b + 6, src, 6);
    uint32_t off = 12;
    for (unsigned i = 0; i < ntags; i++) {
        store_be16(f->b + off, i + 1 < ntags ? 0x88a8 : 0x8100);
        if (ntags == 1)
            store_be16(f->b + off, 0x8100);
        store_be16(f->b + off + 2, tags[i]);
        off += 4;
    }
    store_be16(f->b + off, type);
    return off + 2;
}

static uint16_t csum(const uint8_t *p, uint32_t len, uint32_t sum)
{
    return inet_sum_fold_complement(inet_sum_add(sum, p, len));
}

static uint32_t ip4(struct frame *f, uint32_t off, uint8_t proto, uint32_t payload, uint16_t id,
                    uint16_t frag, const uint8_t *src, const uint8_t *dst, const uint8_t *opts,
                    uint32_t optlen)
{
    uint8_t *h = f->b + off;
    uint32_t hlen = 20 + optlen;
    h[0] = (uint8_t)(0x40 | hlen / 4);
    h[1] = 0;
    store_be16(h + 2, (uint16_t)(hlen + payload));
    store_be16(h + 4, id);
    store_be16(h + 6, frag);
    h[8] = 64;
    h[9] = proto;
    memcpy(h + 12, src, 4);
    memcpy(h + 16, dst, 4);
    if (optlen)
        memcpy(h + 20, opts, optlen);
    store_be16(h + 10, csum(h, hlen, 0));
    return off + hlen;
}

static uint32_t ip6(struct frame *f, uint32_t off, uint8_t nh, uint32_t payload, const uint8_t *src,
                    const uint8_t *dst, uint32_t flow)
{
    uint8_t *h = f->b + off;
    store_be32(h, 0x60000000u | flow);
    store_be16(h + 4, (uint16_t)payload);
    h[6] = nh;
    h[7] = 64;
    memcpy(h + 8, src, 16);
    memcpy(h + 24, dst, 16);
    return off + 40;
}

/* Transport checksum over the pseudo-header of the IP header at ipoff. */
static void l4_csum(struct frame *f, uint32_t ipoff, uint32_t l4off, uint32_t len, uint32_t field,
                    uint8_t proto)
{
    uint8_t *ip = f->b + ipoff, *seg = f->b + l4off;
    uint8_t ph[40];
    uint32_t sum;
    if ((ip[0] >> 4) == 4) {
        memcpy(ph, ip + 12, 8);
        ph[8] = 0;
        ph[9] = proto;
        store_be16(ph + 10, (uint16_t)len);
        sum = inet_sum_add(0, ph, 12);
    } else {
        memcpy(ph, ip + 8, 32);
        store_be32(ph + 32, len);
        ph[36] = ph[37] = ph[38] = 0;
        ph[39] = proto;
        sum = inet_sum_add(0, ph, 40);
    }
    store_be16(seg + field, 0);
    store_be16(seg + field, csum(seg, len, sum));
}

static void finish(struct frame *f, uint32_t len)
{
    f->len = len < 60 ? 60 : len; /* Ethernet minimum, padded with zeros */
}

static void icmp_echo(bool v6, bool reply, uint16_t id, uint16_t seq, const uint16_t *tags,
                      unsigned ntags)
{
    struct frame *f = new_frame();
    uint32_t off =
        eth(f, reply ? mac_a : mac_b, reply ? mac_b : mac_a, v6 ? 0x86dd : 0x0800, tags, ntags);
    uint32_t ipoff = off, plen = 64;
    if (v6)
        off = ip6(f, off, 58, plen, reply ? ip6_b : ip6_a, reply ? ip6_a : ip6_b, 0);
    else
        off = ip4(f, off, 1, plen, 0x1234 + seq, 0x4000, reply ? ip_b : ip_a, reply ? ip_a : ip_b,
                  NULL, 0);
    uint8_t *m = f->b + off;
    m[0] = v6 ? (reply ? 129 : 128) : (reply ? 0 : 8);
    store_be16(m + 4, id);
    store_be16(m + 6, seq);
    for (int i = 8; i < 64; i++)
        m[i] = (uint8_t)i;
    if (v6)
        l4_csum(f, ipoff, off, plen, 2, 58);
    else
        store_be16(m + 2, csum(m, plen, 0));
    finish(f, off + plen);
}

struct tcpseg {
    bool v6;
    bool reverse; /* from b to a */
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t win;
    const uint8_t *opts;
    uint32_t optlen;
    uint32_t datalen;
    bool bad_csum;
};

static void tcp(const struct tcpseg *t)
{
    struct frame *f = new_frame();
    const uint8_t *sm = t->reverse ? mac_b : mac_a, *dm = t->reverse ? mac_a : mac_b;
    uint32_t off = eth(f, dm, sm, t->v6 ? 0x86dd : 0x0800, NULL, 0);
    uint32_t ipoff = off, hlen = 20 + t->optlen, len = hlen + t->datalen;
    if (t->v6)
        off = ip6(f, off, 6, len, t->reverse ? ip6_b : ip6_a, t->reverse ? ip6_a : ip6_b, 0x12345);
    else
        off = ip4(f, off, 6, len, 777, 0x4000, t->reverse ? ip_b : ip_a, t->reverse ? ip_a : ip_b,
                  NULL, 0);
    uint8_t *h = f->b + off;
    store_be16(h, t->sport);
    store_be16(h + 2, t->dport);
    store_be32(h + 4, t->seq);
    store_be32(h + 8, t->ack);
    h[12] = (uint8_t)(hlen / 4 << 4);
    h[13] = t->flags;
    store_be16(h + 14, t->win);
    if (t->optlen)
        memcpy(h + 20, t->opts, t->optlen);
    for (uint32_t i = 0; i < t->datalen; i++)
        h[hlen + i] = (uint8_t)('a' + i % 26);
    l4_csum(f, ipoff, off, len, 16, 6);
    if (t->bad_csum)
        h[16] ^= 0x55;
    finish(f, off + len);
}

static void udp(bool v6, uint16_t sport, uint16_t dport, uint32_t datalen, int csum_mode)
{
    struct frame *f = new_frame();
    uint32_t off = eth(f, mac_b, mac_a, v6 ? 0x86dd : 0x0800, NULL, 0);
    uint32_t ipoff = off, len = 8 + datalen;
    if (v6)
        off = ip6(f, off, 17, len, ip6_a, ip6_b, 0);
    else
        off = ip4(f, off, 17, len, 4242, 0, ip_a, ip_b, NULL, 0);
    uint8_t *h = f->b + off;
    store_be16(h, sport);
    store_be16(h + 2, dport);
    store_be16(h + 4, (uint16_t)len);
    for (uint32_t i = 0; i < datalen; i++)
        h[8 + i] = (uint8_t)i;
    if (csum_mode != 0)
        l4_csum(f, ipoff, off, len, 6, 17);
    if (csum_mode == 2)
        h[6] ^= 0x11;
    finish(f, off + len);
}

static void arp(bool reply)
{
    struct frame *f = new_frame();
    uint32_t off = eth(f, reply ? mac_a : bcast, reply ? mac_b : mac_a, 0x0806, NULL, 0);
    uint8_t *a = f->b + off;
    store_be16(a, 1);
    store_be16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    store_be16(a + 6, reply ? 2 : 1);
    memcpy(a + 8, reply ? mac_b : mac_a, 6);
    memcpy(a + 14, reply ? ip_b : ip_a, 4);
    if (reply)
        memcpy(a + 18, mac_a, 6);
    memcpy(a + 24, reply ? ip_a : ip_b, 4);
    finish(f, off + 28);
}

static void neighbor(bool advert)
{
    struct frame *f = new_frame();
    uint32_t off = eth(f, mac_b, mac_a, 0x86dd, NULL, 0);
    uint32_t ipoff = off;
    off = ip6(f, off, 58, 32, ll_a, ll_b, 0);
    uint8_t *m = f->b + off;
    m[0] = advert ? 136 : 135;
    if (advert)
        m[4] = 0x60;
    memcpy(m + 8, advert ? ll_a : ll_b, 16);
    m[24] = advert ? 2 : 1;
    m[25] = 1;
    memcpy(m + 26, mac_a, 6);
    l4_csum(f, ipoff, off, 32, 2, 58);
    finish(f, off + 32);
}

static void port_unreachable(void)
{
    struct frame *f = new_frame();
    uint32_t off = eth(f, mac_a, mac_b, 0x0800, NULL, 0);
    off = ip4(f, off, 1, 8 + 28, 99, 0, ip_b, ip_a, NULL, 0);
    uint8_t *m = f->b + off;
    m[0] = 3;
    m[1] = 3;
    /* The quoted datagram: IPv4 + 8 bytes of UDP from a to b port 33434. */
    uint8_t *q = m + 8;
    q[0] = 0x45;
    store_be16(q + 2, 28 + 12);
    q[8] = 1;
    q[9] = 17;
    memcpy(q + 12, ip_a, 4);
    memcpy(q + 16, ip_b, 4);
    store_be16(q + 10, csum(q, 20, 0));
    store_be16(q + 20, 50000);
    store_be16(q + 22, 33434);
    store_be16(q + 24, 20);
    store_be16(m + 2, csum(m, 36, 0));
    finish(f, off + 36);
}

static void time_exceeded(void)
{
    struct frame *f = new_frame();
    uint32_t off = eth(f, mac_a, mac_b, 0x0800, NULL, 0);
    off = ip4(f, off, 1, 8 + 28, 98, 0, ip_b, ip_a, NULL, 0);
    uint8_t *m = f->b + off;
    m[0] = 11;
    uint8_t *q = m + 8;
    q[0] = 0x45;
    store_be16(q + 2, 60);
    q[8] = 1;
    q[9] = 1;
    memcpy(q + 12, ip_a, 4);
    memcpy(q + 16, ip_b, 4);
    store_be16(q + 10, csum(q, 20, 0));
    q[20] = 8;
    store_be16(m + 2, csum(m, 36, 0));
    finish(f, off + 36);
}

static void fragments(void)
{
    /* First fragment of a UDP datagram (MF set), then a later one. */
    struct frame *f = new_frame();
    uint32_t off = eth(f, mac_b, mac_a, 0x0800, NULL, 0);
    off = ip4(f, off, 17, 48, 555, 0x2000, ip_a, ip_b, NULL, 0);
    store_be16(f->b + off, 33333);
    store_be16(f->b + off + 2, 44444);
    store_be16(f->b + off + 4, 1008);
    finish(f, off + 48);
    f = new_frame();
    off = eth(f, mac_b, mac_a, 0x0800, NULL, 0);
    off = ip4(f, off, 17, 40, 555, 0x0006, ip_a, ip_b, NULL, 0);
    finish(f, off + 40);
}

static void ip_with_options(void)
{
    static const uint8_t ra[4] = {148, 4, 0, 0};
    struct frame *f = new_frame();
    uint32_t off = eth(f, mac_b, mac_a, 0x0800, NULL, 0);
    off = ip4(f, off, 1, 8, 7, 0, ip_a, ip_b, ra, 4);
    uint8_t *m = f->b + off;
    m[0] = 8;
    store_be16(m + 4, 1);
    store_be16(m + 2, csum(m, 8, 0));
    finish(f, off + 8);
    /* A header with a wrong checksum. */
    f = new_frame();
    off = eth(f, mac_b, mac_a, 0x0800, NULL, 0);
    off = ip4(f, off, 1, 8, 8, 0, ip_a, ip_b, NULL, 0);
    f->b[off - 10] ^= 0x40;
    m = f->b + off;
    m[0] = 8;
    store_be16(m + 2, csum(m, 8, 0));
    finish(f, off + 8);
}

static void mld_report(void)
{
    struct frame *f = new_frame();
    uint32_t off = eth(f, (const uint8_t[]){0x33, 0x33, 0, 0, 0, 0x16}, mac_a, 0x86dd, NULL, 0);
    static const uint8_t all_mld[16] = {0xff, 0x02, [15] = 0x16};
    uint32_t ipoff = off;
    off = ip6(f, off, 0, 8 + 28, ll_a, all_mld, 0);
    uint8_t *h = f->b + off;
    h[0] = 58;
    h[2] = 5; /* router alert */
    h[3] = 2;
    h[6] = 1; /* padn */
    uint8_t *m = h + 8;
    m[0] = 143;
    store_be16(m + 6, 1);
    m[8] = 4;
    memcpy(m + 12, (const uint8_t[]){0xff, 0x02, [15] = 0xfb}, 16);
    /* The checksum covers the ICMPv6 message only. */
    uint8_t ph[40];
    memcpy(ph, f->b + ipoff + 8, 32);
    store_be32(ph + 32, 28);
    memset(ph + 36, 0, 3);
    ph[39] = 58;
    store_be16(m + 2, csum(m, 28, inet_sum_add(0, ph, 40)));
    finish(f, off + 36);
}

static void unknown_ethertype(void)
{
    struct frame *f = new_frame();
    uint32_t off = eth(f, bcast, mac_a, 0x88b5, NULL, 0);
    memcpy(f->b + off, "sluice test frame payload!", 26);
    finish(f, off + 26);
}

static void build_frames(void)
{
    static const uint8_t syn_opts[20] = {2,    4,    0x05, 0xb4, 4, 2, 8, 10, 0, 0,
                                         0x12, 0x34, 0,    0,    0, 0, 1, 3,  3, 7};
    static const uint8_t ts_opts[12] = {1, 1, 8, 10, 0, 0, 0x12, 0x40, 0, 0, 0x56, 0x78};
    static const uint8_t sack_opts[12] = {1, 1, 5, 10, 0xa0, 0, 0x01, 0x2d, 0xa0, 0, 0x01, 0x91};
    static const uint16_t vlan100[1] = {100 | 3 << 13};
    static const uint16_t qinq[2] = {200, 10 | 0x1000};

    icmp_echo(false, false, 4660, 1, NULL, 0);
    icmp_echo(false, true, 4660, 1, NULL, 0);
    /* A TCP conversation: handshake, data both ways, SACK, FIN, RST. */
    uint32_t cs = 1000000000u, ss = 3000000000u;
    tcp(&(struct tcpseg){.sport = 45678,
                         .dport = 7777,
                         .seq = cs,
                         .flags = 0x02,
                         .win = 64240,
                         .opts = syn_opts,
                         .optlen = 20});
    tcp(&(struct tcpseg){.reverse = true,
                         .sport = 7777,
                         .dport = 45678,
                         .seq = ss,
                         .ack = cs + 1,
                         .flags = 0x12,
                         .win = 65160,
                         .opts = syn_opts,
                         .optlen = 20});
    tcp(&(struct tcpseg){.sport = 45678,
                         .dport = 7777,
                         .seq = cs + 1,
                         .ack = ss + 1,
                         .flags = 0x10,
                         .win = 502,
                         .opts = ts_opts,
                         .optlen = 12});
    tcp(&(struct tcpseg){.sport = 45678,
                         .dport = 7777,
                         .seq = cs + 1,
                         .ack = ss + 1,
                         .flags = 0x18,
                         .win = 502,
                         .datalen = 100});
    tcp(&(struct tcpseg){.reverse = true,
                         .sport = 7777,
                         .dport = 45678,
                         .seq = ss + 1,
                         .ack = cs + 101,
                         .flags = 0x10,
                         .win = 509,
                         .opts = sack_opts,
                         .optlen = 12});
    tcp(&(struct tcpseg){.reverse = true,
                         .sport = 7777,
                         .dport = 45678,
                         .seq = ss + 1,
                         .ack = cs + 101,
                         .flags = 0x18,
                         .win = 509,
                         .datalen = 1400});
    tcp(&(struct tcpseg){.sport = 45678,
                         .dport = 7777,
                         .seq = cs + 101,
                         .ack = ss + 1401,
                         .flags = 0x11,
                         .win = 501,
                         .bad_csum = true});
    tcp(&(struct tcpseg){.reverse = true,
                         .sport = 7777,
                         .dport = 45678,
                         .seq = ss + 1401,
                         .ack = cs + 102,
                         .flags = 0x11,
                         .win = 509});
    tcp(&(struct tcpseg){.sport = 45678,
                         .dport = 7777,
                         .seq = cs + 102,
                         .ack = ss + 1402,
                         .flags = 0x10,
                         .win = 501});
    tcp(&(struct tcpseg){.sport = 45679, .dport = 7777, .seq = 5, .flags = 0x04, .win = 0});
    tcp(&(struct tcpseg){
        .sport = 45680, .dport = 7777, .seq = 77, .ack = 88, .flags = 0xe9, .win = 1});
    udp(false, 33333, 44444, 100, 1);
    udp(false, 33333, 44444, 20, 0);
    udp(false, 33333, 44444, 20, 2);
    arp(false);
    arp(true);
    icmp_echo(true, false, 7, 3, NULL, 0);
    icmp_echo(true, true, 7, 3, NULL, 0);
    udp(true, 33333, 44444, 12, 1);
    udp(true, 33333, 44444, 12, 2);
    tcp(&(struct tcpseg){.v6 = true,
                         .sport = 50000,
                         .dport = 7777,
                         .seq = 42,
                         .flags = 0x02,
                         .win = 1000,
                         .opts = syn_opts,
                         .optlen = 20});
    tcp(&(struct tcpseg){.v6 = true,
                         .reverse = true,
                         .sport = 7777,
                         .dport = 50000,
                         .seq = 900,
                         .ack = 43,
                         .flags = 0x12,
                         .win = 1000});
    tcp(&(struct tcpseg){.v6 = true,
                         .sport = 50000,
                         .dport = 7777,
                         .seq = 43,
                         .ack = 901,
                         .flags = 0x18,
                         .win = 1000,
                         .datalen = 10});
    icmp_echo(false, false, 99, 5, vlan100, 1);
    icmp_echo(false, true, 99, 5, qinq, 2);
    neighbor(false);
    neighbor(true);
    port_unreachable();
    time_exceeded();
    fragments();
    ip_with_options();
    mld_report();
    unknown_ethertype();
}

/* Copies of the frames cut at many lengths, for the truncation comparison. */
static unsigned add_truncated(void)
{
    static const uint32_t cuts[] = {14, 16, 18, 20, 30, 34, 36, 38, 40,
                                    42, 46, 50, 54, 58, 62, 66, 70, 74};
    unsigned base = nframes, n = 0;
    for (unsigned i = 0; i < base && nframes < MAXPKT; i++) {
        for (unsigned k = 0; k < sizeof(cuts) / sizeof(cuts[0]) && nframes < MAXPKT; k++) {
            if ((i * 7 + k) % 5 != 0 || cuts[k] >= frames[i].len)
                continue;
            struct frame *f = &frames[nframes++];
            *f = frames[i];
            f->caplen = cuts[k];
            n++;
        }
    }
    return n;
}

static void write_pcap(const char *path, unsigned from, unsigned to)
{
    pcap_t *dead =
        pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 262144, PCAP_TSTAMP_PRECISION_NANO);
    pcap_dumper_t *d = pcap_dump_open(dead, path);
    if (!d) {
        fprintf(stderr, "pcap_dump_open: %s\n", pcap_geterr(dead));
        exit(1);
    }
    for (unsigned i = from; i < to; i++) {
        struct frame *f = &frames[i];
        struct pcap_pkthdr h;
        h.ts.tv_sec = (time_t)(f->ts / 1000000000u);
        h.ts.tv_usec = (suseconds_t)(f->ts % 1000000000u);
        h.caplen = f->caplen ? f->caplen : f->len;
        h.len = f->len;
        pcap_dump((u_char *)d, &h, f->b);
    }
    pcap_dump_close(d);
    pcap_close(dead);
}

static char *run_tcpdump(const char *flags, const char *path)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "tcpdump %s -r %s 2>/dev/null", flags, path);
    FILE *p = popen(cmd, "r");
    if (!p)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
        fwrite(chunk, 1, n, m);
    int st = pclose(p);
    fclose(m);
    if (st != 0) {
        fprintf(stderr, "tcpdump %s exited with %d\n", flags, st);
        free(buf);
        return NULL;
    }
    return buf;
}

static char *run_ours(const struct print_opts *o, unsigned from, unsigned to)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    static struct printer pr;
    printer_init(&pr, o, m);
    for (unsigned i = from; i < to; i++) {
        struct frame *f = &frames[i];
        struct print_meta meta = {f->ts, "p1", 1};
        print_packet(&pr, &meta, f->b, f->caplen ? f->caplen : f->len, f->len);
    }
    fclose(m);
    return buf;
}

/* Compares line by line and shows the first differences. */
static unsigned compare(const char *what, const char *theirs, const char *ours)
{
    unsigned diffs = 0, line = 1;
    const char *a = theirs, *b = ours;
    while (*a || *b) {
        const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
        size_t la = ea ? (size_t)(ea - a) : strlen(a), lb = eb ? (size_t)(eb - b) : strlen(b);
        if (la != lb || memcmp(a, b, la) != 0) {
            if (diffs < 8)
                fprintf(stderr, "[%s] line %u differs:\n  tcpdump: %.*s\n  ours:    %.*s\n", what,
                        line, (int)la, a, (int)lb, b);
            diffs++;
        }
        a += la + (ea ? 1 : 0);
        b += lb + (eb ? 1 : 0);
        line++;
    }
    return diffs;
}

struct variant {
    const char *flags;
    struct print_opts o;
};

static const struct variant variants[] = {
    {"-n", {0}},
    {"-n -e", {.eflag = true}},
    {"-n -v", {.vflag = 1}},
    {"-n -vv", {.vflag = 2}},
    {"-n -q", {.qflag = true}},
    {"-n -e -q", {.eflag = true, .qflag = true}},
    {"-n -x", {.xflag = 1}},
    {"-n -xx", {.xflag = 2}},
    {"-n -X", {.Xflag = 1}},
    {"-n -XX -e", {.Xflag = 2, .eflag = true}},
    {"-n -S", {.Sflag = true}},
    {"-n -t", {.tflag = 1}},
    {"-n -tt", {.tflag = 2}},
    {"-n -ttt", {.tflag = 3}},
    {"-n -tttt", {.tflag = 4}},
    {"-n -ttttt", {.tflag = 5}},
    {"-n -e -v -x", {.eflag = true, .vflag = 1, .xflag = 1}},
};

static void compare_all(const char *path, unsigned from, unsigned to, const char *label)
{
    for (unsigned v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
        char *theirs = run_tcpdump(variants[v].flags, path);
        CHECK(theirs != NULL);
        if (!theirs)
            continue;
        char *ours = run_ours(&variants[v].o, from, to);
        char what[64];
        snprintf(what, sizeof(what), "%s %s", label, variants[v].flags);
        unsigned d = compare(what, theirs, ours);
        if (d)
            fprintf(stderr, "[%s] %u lines differ\n", what, d);
        CHECK_EQ(d, 0);
        /* Not vacuous: tcpdump printed at least one line per packet. */
        unsigned lines = 0;
        for (const char *p = theirs; *p; p++)
            lines += *p == '\n';
        CHECK(lines >= to - from);
        free(theirs);
        free(ours);
    }
}

/* Every frame at every capture length: no read beyond caplen (the sanitizer build checks),
 * and each output is one or more complete lines. */
static void test_every_caplen(void)
{
    FILE *null = fopen("/dev/null", "w");
    static struct printer pr;
    unsigned printed = 0;
    for (unsigned v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
        printer_init(&pr, &variants[v].o, null);
        for (unsigned i = 0; i < nframes; i++) {
            for (uint32_t cap = 0; cap <= frames[i].len; cap++) {
                /* An exact-size copy so that any overrun leaves the heap block. */
                uint8_t *copy = malloc(cap ? cap : 1);
                memcpy(copy, frames[i].b, cap);
                struct print_meta meta = {frames[i].ts, "p1", 2};
                print_packet(&pr, &meta, copy, cap, frames[i].len);
                free(copy);
                printed++;
            }
        }
    }
    fclose(null);
    CHECK(printed > 10000);
}

static void test_ifname_prefix(void)
{
    struct print_opts o = {.ifname = true, .tflag = 1};
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    static struct printer pr;
    printer_init(&pr, &o, m);
    struct print_meta meta = {frames[0].ts, "p1", 1};
    print_packet(&pr, &meta, frames[0].b, frames[0].len, frames[0].len);
    meta.ifname = "uplink";
    meta.dir = 2;
    print_packet(&pr, &meta, frames[1].b, frames[1].len, frames[1].len);
    fclose(m);
    CHECK(strncmp(buf, "p1    In  IP 10.0.0.1 > 10.0.0.2: ICMP echo request", 51) == 0);
    CHECK(strstr(buf, "\nuplink Out IP 10.0.0.2 > 10.0.0.1: ICMP echo reply") != NULL);
    free(buf);
}

int main(void)
{
    if (system("tcpdump --version >/dev/null 2>&1") != 0) {
        fprintf(stderr, "tcpdump is needed for this test (apt-get install tcpdump)\n");
        return 1;
    }
    build_frames();
    unsigned whole = nframes;
    unsigned ncut = add_truncated();
    char dir[] = "/tmp/test_print.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char full[64], cut[64];
    snprintf(full, sizeof(full), "%s/full.pcap", dir);
    snprintf(cut, sizeof(cut), "%s/cut.pcap", dir);
    write_pcap(full, 0, whole);
    write_pcap(cut, whole, nframes);
    fprintf(stderr, "%u frames, %u cut copies\n", whole, ncut);
    compare_all(full, 0, whole, "full");
    compare_all(cut, whole, nframes, "cut");
    test_every_caplen();
    test_ifname_prefix();
    if (getenv("KEEP_FILES"))
        fprintf(stderr, "files kept in %s\n", dir);
    else {
        unlink(full);
        unlink(cut);
        rmdir(dir);
    }
    return check_exit();
}

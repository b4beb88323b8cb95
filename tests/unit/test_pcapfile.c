/* test_pcapfile.c - capture files: what the writers produce is read back byte for byte and
 * nanosecond for nanosecond by libpcap and by our reader; pcapng blocks are checked field by
 * field; rotation names and sizes follow tcpdump; the reader accepts foreign files (other
 * byte order, resolutions, block kinds) and refuses each kind of malformed one. */
#include "capring.h"
#include "check.h"
#include "pcapfile.h"

#include <pcap/pcap.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static char *path_in_dir(const char *name)
{
    static char buf[8][256];
    static int i;
    char *p = buf[i++ % 8];
    snprintf(p, 256, "%s/%s", dir, name);
    return p;
}

struct tpkt {
    uint64_t ts;
    uint32_t caplen, origlen;
    unsigned ifidx;
    uint8_t dir;
    uint8_t data[1600];
};

static void make_packets(struct tpkt *p, unsigned n, unsigned nifs)
{
    for (unsigned i = 0; i < n; i++) {
        p[i].ts = 1700000000ull * 1000000000u + i * 1234567891ull + i * 7; /* odd ns */
        p[i].caplen = (i * 97) % 1500 + (i % 3 == 0 ? 0 : 1);
        p[i].origlen = p[i].caplen + (i % 4 == 0 ? 100 : 0);
        p[i].ifidx = i % nifs;
        p[i].dir = (uint8_t)(i % 3); /* 0 unknown, in, out */
        for (uint32_t j = 0; j < p[i].caplen; j++)
            p[i].data[j] = (uint8_t)(i * 31 + j);
    }
}

static int write_file(const char *path, enum pcapfile_format fmt, uint32_t snaplen,
                      const char *const *names, unsigned nifs, const struct tpkt *p, unsigned n)
{
    struct pcapw w;
    struct pcapw_config cfg = {.path = path,
                               .format = fmt,
                               .snaplen = snaplen,
                               .if_names = names,
                               .nifs = nifs,
                               .filter = "icmp or arp",
                               .start_ns = 1700000000ull * 1000000000u};
    if (pcapw_open(&w, &cfg) != 0) {
        fprintf(stderr, "%s\n", w.err);
        return -1;
    }
    for (unsigned i = 0; i < n; i++)
        if (pcapw_write(&w, p[i].ifidx, p[i].ts, p[i].data, p[i].caplen, p[i].origlen, p[i].dir) !=
            0)
            return -1;
    for (unsigned i = 0; i < nifs; i++) {
        struct pcapfile_if_stats st = {1000 + i, 10 + i, 500 + i, 400 + i};
        pcapw_set_stats(&w, i, &st);
    }
    return pcapw_close(&w, 1800000000ull * 1000000000u + 5);
}

/* Every packet as libpcap sees it, with nanosecond precision. */
static void check_with_libpcap(const char *path, const struct tpkt *p, unsigned n, uint32_t snaplen)
{
    char ebuf[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
    CHECK(pc != NULL);
    if (!pc) {
        fprintf(stderr, "libpcap: %s\n", ebuf);
        return;
    }
    CHECK_EQ(pcap_datalink(pc), DLT_EN10MB);
    CHECK_EQ(pcap_snapshot(pc), snaplen);
    struct pcap_pkthdr *h;
    const u_char *data;
    unsigned i = 0, bad = 0;
    int rc;
    while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
        if (i >= n) {
            bad++;
            break;
        }
        uint32_t cap = p[i].caplen < snaplen ? p[i].caplen : snaplen;
        uint32_t orig = p[i].origlen < cap ? cap : p[i].origlen;
        if ((uint64_t)h->ts.tv_sec != p[i].ts / 1000000000u ||
            (uint64_t)h->ts.tv_usec != p[i].ts % 1000000000u || h->caplen != cap ||
            h->len != orig || memcmp(data, p[i].data, cap) != 0) {
            fprintf(stderr, "packet %u differs\n", i);
            bad++;
        }
        i++;
    }
    if (rc == -1)
        fprintf(stderr, "libpcap: %s\n", pcap_geterr(pc));
    CHECK_EQ(rc, -2);
    CHECK_EQ(i, n);
    CHECK_EQ(bad, 0);
    pcap_close(pc);
}

static void check_with_reader(const char *path, const struct tpkt *p, unsigned n, uint32_t snaplen,
                              bool want_dir)
{
    struct pcapr r;
    CHECK_EQ(pcapr_open(&r, path), 0);
    struct pcapr_pkt pk;
    unsigned i = 0, bad = 0;
    int rc;
    while ((rc = pcapr_next(&r, &pk)) == 1) {
        if (i >= n) {
            bad++;
            break;
        }
        uint32_t cap = p[i].caplen < snaplen ? p[i].caplen : snaplen;
        uint32_t orig = p[i].origlen < cap ? cap : p[i].origlen;
        if (pk.ts_ns != p[i].ts || pk.caplen != cap || pk.origlen != orig ||
            pk.linktype != LINKTYPE_ETHERNET || memcmp(pk.data, p[i].data, cap) != 0 ||
            (want_dir && (pk.dir != p[i].dir || pk.ifidx != p[i].ifidx))) {
            fprintf(stderr, "reader: packet %u differs\n", i);
            bad++;
        }
        i++;
    }
    if (rc < 0)
        fprintf(stderr, "reader: %s\n", r.err);
    CHECK_EQ(rc, 0);
    CHECK_EQ(i, n);
    CHECK_EQ(bad, 0);
    pcapr_close(&r);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static uint8_t buf[1 << 20];
    *len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    return buf;
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint16_t rd16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static void test_pcap_nsec(void)
{
    static struct tpkt p[200];
    make_packets(p, 200, 1);
    const char *path = path_in_dir("ns.pcap");
    CHECK_EQ(write_file(path, PCAPFILE_PCAP, 262144, NULL, 1, p, 200), 0);
    check_with_libpcap(path, p, 200, 262144);
    check_with_reader(path, p, 200, 262144, false);
    size_t len;
    uint8_t *b = slurp(path, &len);
    CHECK(b && rd32(b) == PCAP_MAGIC_NSEC && rd16(b + 4) == 2 && rd16(b + 6) == 4 &&
          rd32(b + 16) == 262144 && rd32(b + 20) == 1);
    size_t expect = 24;
    for (unsigned i = 0; i < 200; i++)
        expect += 16 + p[i].caplen;
    CHECK_EQ(len, expect);

    /* A snaplen below the packet sizes cuts the data and keeps the original length. */
    path = path_in_dir("snap.pcap");
    CHECK_EQ(write_file(path, PCAPFILE_PCAP, 100, NULL, 1, p, 200), 0);
    check_with_libpcap(path, p, 200, 100);
    check_with_reader(path, p, 200, 100, false);

    struct pcapw w;
    const char *two[] = {"a", "b"};
    struct pcapw_config cfg = {
        .path = path, .format = PCAPFILE_PCAP, .snaplen = 100, .if_names = two, .nifs = 2};
    CHECK_EQ(pcapw_open(&w, &cfg), -1);
    CHECK(strstr(w.err, "pcapng") != NULL);
}

/* Walks the blocks of a pcapng file written by us and checks each field. */
static void check_pcapng_blocks(const char *path, const struct tpkt *p, unsigned n,
                                const char *const *names, unsigned nifs)
{
    size_t len;
    const uint8_t *b = slurp(path, &len);
    CHECK(b != NULL);
    if (!b)
        return;
    size_t off = 0;
    unsigned shb = 0, idb = 0, epb = 0, isb = 0, bad = 0;
    while (off + 12 <= len) {
        uint32_t type = rd32(b + off), total = rd32(b + off + 4);
        if (total < 12 || total % 4 || off + total > len || rd32(b + off + total - 4) != total) {
            bad++;
            break;
        }
        const uint8_t *body = b + off + 8;
        size_t blen = total - 12;
        /* Options: a list ending with opt_endofopt exactly at the block's end. */
        size_t opt_start = 0;
        if (type == PCAPNG_BT_SHB) {
            shb++;
            if (rd32(body) != PCAPNG_BYTE_ORDER_MAGIC || rd16(body + 4) != 1 ||
                rd16(body + 6) != 0 || rd64(body + 8) != UINT64_MAX)
                bad++;
            opt_start = 16;
        } else if (type == PCAPNG_BT_IDB) {
            if (rd16(body) != 1 || rd32(body + 4) != 262144)
                bad++;
            opt_start = 8;
        } else if (type == PCAPNG_BT_EPB) {
            const struct tpkt *t = &p[epb];
            uint64_t ts = (uint64_t)rd32(body + 4) << 32 | rd32(body + 8);
            if (epb >= n || rd32(body) != t->ifidx || ts != t->ts || rd32(body + 12) != t->caplen ||
                rd32(body + 16) != t->origlen || memcmp(body + 20, t->data, t->caplen) != 0)
                bad++;
            opt_start = 20 + ((t->caplen + 3) & ~3u);
            if (t->dir == 0 && opt_start != blen)
                bad++; /* no options without a direction */
            epb++;
        } else if (type == PCAPNG_BT_ISB) {
            if (rd32(body) != isb ||
                rd32(body + 4) != (uint32_t)((1800000000ull * 1000000000u + 5) >> 32))
                bad++;
            opt_start = 12;
        } else {
            bad++;
        }
        bool ended = opt_start == blen;
        for (size_t o = opt_start; o + 4 <= blen && !ended;) {
            uint16_t code = rd16(body + o), olen = rd16(body + o + 2);
            const uint8_t *v = body + o + 4;
            if (code == 0) {
                ended = olen == 0 && o + 4 == blen;
                break;
            }
            if (type == PCAPNG_BT_IDB && code == 2 &&
                (olen != strlen(names[idb]) || memcmp(v, names[idb], olen) != 0))
                bad++;
            if (type == PCAPNG_BT_IDB && code == 9 && (olen != 1 || v[0] != 9))
                bad++;
            if (type == PCAPNG_BT_IDB && code == 11 &&
                (olen != 12 || v[0] != 0 || memcmp(v + 1, "icmp or arp", 11) != 0))
                bad++;
            if (type == PCAPNG_BT_EPB && code == 2 &&
                (olen != 4 || rd32(v) != p[epb - 1].dir || p[epb - 1].dir == 0))
                bad++;
            if (type == PCAPNG_BT_ISB) {
                uint64_t want[] = {0,
                                   0,
                                   1700000000ull * 1000000000u,
                                   1800000000ull * 1000000000u + 5,
                                   1000 + isb,
                                   10 + isb,
                                   500 + isb,
                                   0,
                                   400 + isb};
                uint64_t got = code <= 3 ? (uint64_t)rd32(v) << 32 | rd32(v + 4) : rd64(v);
                if (code < 2 || code > 8 || code == 7 || olen != 8 || got != want[code])
                    bad++;
            }
            o += 4 + ((olen + 3u) & ~3u);
        }
        if (!ended)
            bad++;
        if (type == PCAPNG_BT_IDB)
            idb++;
        if (type == PCAPNG_BT_ISB)
            isb++;
        off += total;
    }
    CHECK_EQ(off, len);
    CHECK_EQ(bad, 0);
    CHECK_EQ(shb, 1);
    CHECK_EQ(idb, nifs);
    CHECK_EQ(epb, n);
    CHECK_EQ(isb, nifs);
}

static void test_pcapng(void)
{
    static struct tpkt p[300];
    make_packets(p, 300, 3);
    const char *names[] = {"p1", "uplink-port", "p3"};
    const char *path = path_in_dir("x.pcapng");
    CHECK_EQ(write_file(path, PCAPFILE_PCAPNG, 262144, names, 3, p, 300), 0);
    check_with_libpcap(path, p, 300, 262144);
    check_with_reader(path, p, 300, 262144, true);
    check_pcapng_blocks(path, p, 300, names, 3);

    /* Interface names as our reader sees them. */
    struct pcapr r;
    struct pcapr_pkt pk;
    CHECK_EQ(pcapr_open(&r, path), 0);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(pcapr_next(&r, &pk), 1);
    CHECK_EQ(r.nifs, 3);
    CHECK_STR(r.ifs[0].name, "p1");
    CHECK_STR(r.ifs[1].name, "uplink-port");
    CHECK_EQ(r.ifs[2].tsresol_exp, 9);
    pcapr_close(&r);
}

static unsigned count_packets(const char *path)
{
    char ebuf[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline(path, ebuf);
    if (!pc)
        return 0;
    struct pcap_pkthdr *h;
    const u_char *d;
    unsigned n = 0;
    while (pcap_next_ex(pc, &h, &d) == 1)
        n++;
    pcap_close(pc);
    return n;
}

static off_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

static void test_rotation_names(void)
{
    char b[64];
    CHECK(pcapfile_rotation_name(b, sizeof(b), "cap", 0, 0));
    CHECK_STR(b, "cap");
    CHECK(pcapfile_rotation_name(b, sizeof(b), "cap", 1, 0));
    CHECK_STR(b, "cap1");
    CHECK(pcapfile_rotation_name(b, sizeof(b), "cap", 12, 0));
    CHECK_STR(b, "cap12");
    CHECK(pcapfile_rotation_name(b, sizeof(b), "cap", 0, 1));
    CHECK_STR(b, "cap");
    CHECK(pcapfile_rotation_name(b, sizeof(b), "cap", 0, 3));
    CHECK_STR(b, "cap0");
    CHECK(pcapfile_rotation_name(b, sizeof(b), "cap", 2, 10));
    CHECK_STR(b, "cap2");
    CHECK(pcapfile_rotation_name(b, sizeof(b), "cap", 2, 11));
    CHECK_STR(b, "cap02");
    CHECK(pcapfile_rotation_name(b, sizeof(b), "cap", 7, 101));
    CHECK_STR(b, "cap007");
    CHECK(!pcapfile_rotation_name(b, 4, "cap", 1, 0));
}

static void test_rotation(void)
{
    static struct tpkt p[40];
    make_packets(p, 40, 1);
    for (int i = 0; i < 40; i++) {
        p[i].caplen = 200;
        p[i].origlen = 200;
    }
    /* Without a file limit: rot, rot1, rot2, ... each just over 1000 bytes. */
    struct pcapw w;
    struct pcapw_config cfg = {.path = path_in_dir("rot"),
                               .format = PCAPFILE_PCAP,
                               .snaplen = 65535,
                               .rotate_bytes = 1000};
    CHECK_EQ(pcapw_open(&w, &cfg), 0);
    for (int i = 0; i < 40; i++)
        CHECK_EQ(pcapw_write(&w, 0, p[i].ts, p[i].data, 200, 200, 0), 0);
    CHECK_EQ(pcapw_close(&w, 0), 0);
    /* 24 + 5 * 216 = 1104 > 1000: five packets per file, eight files. */
    unsigned total = 0;
    const char *names[] = {"rot", "rot1", "rot2", "rot3", "rot4", "rot5", "rot6", "rot7"};
    for (int i = 0; i < 8; i++) {
        unsigned n = count_packets(path_in_dir(names[i]));
        CHECK_EQ(n, 5);
        CHECK_EQ(file_size(path_in_dir(names[i])), 24 + 5 * 216);
        total += n;
    }
    CHECK_EQ(total, 40);
    CHECK_EQ(file_size(path_in_dir("rot8")), -1);

    /* With three files at most: ring0..ring2, reused; the last file holds the newest. */
    cfg.path = path_in_dir("ring");
    cfg.max_files = 3;
    cfg.format = PCAPFILE_PCAPNG;
    CHECK_EQ(pcapw_open(&w, &cfg), 0);
    for (int i = 0; i < 40; i++)
        CHECK_EQ(pcapw_write(&w, 0, p[i].ts, p[i].data, 200, 200, 1), 0);
    CHECK_EQ(pcapw_close(&w, 0), 0);
    CHECK_EQ(file_size(path_in_dir("ring")), -1);
    CHECK_EQ(file_size(path_in_dir("ring3")), -1);
    unsigned sum = count_packets(path_in_dir("ring0")) + count_packets(path_in_dir("ring1")) +
                   count_packets(path_in_dir("ring2"));
    CHECK(sum > 0 && sum < 40);
    /* Each rotated pcapng file starts a fresh section that libpcap can read on its own. */
    CHECK(count_packets(path_in_dir("ring1")) > 0);

    cfg.path = "-";
    CHECK_EQ(pcapw_open(&w, &cfg), -1);
    CHECK(strstr(w.err, "file name") != NULL);
}

/* Files written by libpcap itself, in both resolutions. */
static void test_read_libpcap_files(void)
{
    static struct tpkt p[50];
    make_packets(p, 50, 1);
    for (int prec = 0; prec < 2; prec++) {
        const char *path = path_in_dir(prec ? "lp-ns.pcap" : "lp-us.pcap");
        pcap_t *dead = pcap_open_dead_with_tstamp_precision(
            DLT_EN10MB, 65535, prec ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
        pcap_dumper_t *d = pcap_dump_open(dead, path);
        CHECK(d != NULL);
        if (!d)
            return;
        for (int i = 0; i < 50; i++) {
            struct pcap_pkthdr h = {.caplen = p[i].caplen, .len = p[i].origlen};
            if (!prec)
                p[i].ts -= p[i].ts % 1000; /* microseconds only */
            h.ts.tv_sec = (time_t)(p[i].ts / 1000000000u);
            h.ts.tv_usec = (suseconds_t)(p[i].ts % 1000000000u / (prec ? 1 : 1000));
            pcap_dump((u_char *)d, &h, p[i].data);
        }
        pcap_dump_close(d);
        pcap_close(dead);
        check_with_reader(path, p, 50, 65535, false);
    }
}

/* A byte builder for hand-made files in either byte order. */
struct bb {
    uint8_t b[8192];
    size_t n;
    bool be;
};

static void bb8(struct bb *b, uint8_t v)
{
    b->b[b->n++] = v;
}
static void bb16(struct bb *b, uint16_t v)
{
    for (int i = 0; i < 2; i++)
        bb8(b, (uint8_t)(b->be ? v >> (8 * (1 - i)) : v >> (8 * i)));
}
static void bb32(struct bb *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        bb8(b, (uint8_t)(b->be ? v >> (8 * (3 - i)) : v >> (8 * i)));
}
static void bbraw(struct bb *b, const void *p, size_t n)
{
    memcpy(b->b + b->n, p, n);
    b->n += n;
}
static size_t bb_begin(struct bb *b, uint32_t type)
{
    size_t start = b->n;
    bb32(b, type);
    bb32(b, 0);
    return start;
}
static void bb_end(struct bb *b, size_t start)
{
    uint32_t total = (uint32_t)(b->n - start + 4);
    bb32(b, total);
    size_t save = b->n;
    b->n = start + 4;
    bb32(b, total);
    b->n = save;
}
static void bb_shb(struct bb *b)
{
    size_t s = bb_begin(b, PCAPNG_BT_SHB);
    bb32(b, PCAPNG_BYTE_ORDER_MAGIC);
    bb16(b, 1);
    bb16(b, 0);
    bb32(b, 0xffffffff);
    bb32(b, 0xffffffff);
    bb_end(b, s);
}
static void bb_idb(struct bb *b, uint8_t tsresol, bool with_resol)
{
    size_t s = bb_begin(b, PCAPNG_BT_IDB);
    bb16(b, 1);
    bb16(b, 0);
    bb32(b, 128);
    if (with_resol) {
        bb16(b, 9);
        bb16(b, 1);
        bb8(b, tsresol);
        bbraw(b, "\0\0\0", 3);
        bb32(b, 0);
    }
    bb_end(b, s);
}

static int read_all(struct bb *b, struct pcapr_pkt *pk, unsigned max, char *err)
{
    FILE *f = fmemopen(b->b, b->n, "rb");
    struct pcapr r;
    int n = 0;
    static uint8_t copies[16][256];
    if (pcapr_open_stream(&r, f) != 0) {
        strcpy(err, r.err);
        pcapr_close(&r);
        fclose(f);
        return -1;
    }
    int rc = 0;
    while ((unsigned)n < max && (rc = pcapr_next(&r, &pk[n])) == 1) {
        memcpy(copies[n], pk[n].data, pk[n].caplen < 256 ? pk[n].caplen : 256);
        pk[n].data = copies[n];
        n++;
    }
    if (rc < 0) {
        strcpy(err, r.err);
        n = -1;
    }
    pcapr_close(&r);
    fclose(f);
    return n;
}

static void test_read_foreign(void)
{
    struct pcapr_pkt pk[16];
    char err[256];
    for (int be = 0; be < 2; be++) {
        /* Big- and little-endian pcap, microseconds. */
        struct bb b = {.be = be};
        bb32(&b, PCAP_MAGIC_USEC);
        bb16(&b, 2);
        bb16(&b, 4);
        bb32(&b, 0);
        bb32(&b, 0);
        bb32(&b, 96);
        bb32(&b, 1);
        bb32(&b, 1000);
        bb32(&b, 999999);
        bb32(&b, 3);
        bb32(&b, 60);
        bbraw(&b, "abc", 3);
        CHECK_EQ(read_all(&b, pk, 16, err), 1);
        CHECK_EQ(pk[0].ts_ns, 1000999999000ull);
        CHECK_EQ(pk[0].caplen, 3);
        CHECK_EQ(pk[0].origlen, 60);
        CHECK(memcmp(pk[0].data, "abc", 3) == 0);

        /* pcapng in either order: default microseconds, 2^-10 units, an unknown block
         * skipped, a simple packet block, an obsolete packet block, a second section. */
        struct bb g = {.be = be};
        bb_shb(&g);
        bb_idb(&g, 0, false);
        bb_idb(&g, 0x80 | 10, true);
        size_t s = bb_begin(&g, 0x0bad);
        bb32(&g, 0x12345678);
        bb_end(&g, s);
        s = bb_begin(&g, PCAPNG_BT_EPB);
        bb32(&g, 1);
        bb32(&g, 0);
        bb32(&g, 3 * 1024 + 512);
        bb32(&g, 2);
        bb32(&g, 2);
        bbraw(&g, "xy\0\0", 4);
        bb16(&g, 2);
        bb16(&g, 4);
        bb32(&g, 2); /* outbound */
        bb32(&g, 0);
        bb_end(&g, s);
        s = bb_begin(&g, PCAPNG_BT_SPB);
        bb32(&g, 200); /* original length above the interface's snaplen of 128 */
        for (int i = 0; i < 200; i++)
            bb8(&g, (uint8_t)i);
        bb_end(&g, s);
        s = bb_begin(&g, PCAPNG_BT_PB);
        bb16(&g, 0);
        bb16(&g, 0);
        bb32(&g, 0);
        bb32(&g, 5000001);
        bb32(&g, 1);
        bb32(&g, 1);
        bbraw(&g, "z\0\0\0", 4);
        bb_end(&g, s);
        bb_shb(&g);
        bb_idb(&g, 3, true);
        s = bb_begin(&g, PCAPNG_BT_EPB);
        bb32(&g, 0);
        bb32(&g, 0);
        bb32(&g, 7);
        bb32(&g, 0);
        bb32(&g, 0);
        bb_end(&g, s);
        CHECK_EQ(read_all(&g, pk, 16, err), 4);
        CHECK_EQ(pk[0].ts_ns, 3500000000ull);
        CHECK_EQ(pk[0].ifidx, 1);
        CHECK_EQ(pk[0].dir, CAPDIR_OUT);
        CHECK(memcmp(pk[0].data, "xy", 2) == 0);
        CHECK_EQ(pk[1].caplen, 128);
        CHECK_EQ(pk[1].origlen, 200);
        CHECK_EQ(pk[1].data[127], 127);
        CHECK_EQ(pk[2].ts_ns, 5000001000ull);
        CHECK_EQ(pk[2].caplen, 1);
        CHECK_EQ(pk[3].ts_ns, 7000000ull);
        CHECK_EQ(pk[3].caplen, 0);
    }
}

static void expect_reject(struct bb *b, const char *why)
{
    struct pcapr_pkt pk[4];
    char err[256] = "";
    CHECK_EQ(read_all(b, pk, 4, err), -1);
    if (!strstr(err, why))
        fprintf(stderr, "expected \"%s\" in \"%s\"\n", why, err);
    CHECK(strstr(err, why) != NULL);
}

static void pcap_header(struct bb *b, uint16_t major)
{
    bb32(b, PCAP_MAGIC_NSEC);
    bb16(b, major);
    bb16(b, 4);
    bb32(b, 0);
    bb32(b, 0);
    bb32(b, 65535);
    bb32(b, 1);
}

static void test_read_rejects(void)
{
    struct bb b = {0};
    expect_reject(&b, "empty");
    bb32(&b, 0xdeadbeef);
    expect_reject(&b, "not a pcap");

    b.n = 0;
    bb32(&b, PCAP_MAGIC_USEC);
    bb16(&b, 2);
    expect_reject(&b, "file ends");

    b.n = 0;
    pcap_header(&b, 3);
    expect_reject(&b, "version");

    b.n = 0;
    pcap_header(&b, 2);
    bb32(&b, 0);
    bb32(&b, 0);
    bb32(&b, PCAPFILE_MAX_CAPLEN + 1);
    bb32(&b, 100);
    expect_reject(&b, "too large");

    b.n = 0;
    pcap_header(&b, 2);
    bb32(&b, 0);
    bb32(&b, 0);
    bb32(&b, 10);
    bb32(&b, 10);
    bbraw(&b, "12345", 5);
    expect_reject(&b, "file ends inside a record");

    b.n = 0;
    pcap_header(&b, 2);
    bb32(&b, 0);
    expect_reject(&b, "record header");

    /* pcapng */
    b.n = 0;
    bb32(&b, PCAPNG_BT_SHB);
    bb32(&b, 28);
    bb32(&b, 0x11223344);
    expect_reject(&b, "byte-order");

    b.n = 0;
    size_t s = bb_begin(&b, PCAPNG_BT_SHB);
    bb32(&b, PCAPNG_BYTE_ORDER_MAGIC);
    bb16(&b, 2);
    bb16(&b, 0);
    bb32(&b, 0xffffffff);
    bb32(&b, 0xffffffff);
    bb_end(&b, s);
    expect_reject(&b, "unsupported pcapng version");

    b.n = 0;
    bb32(&b, PCAPNG_BT_SHB);
    bb32(&b, 20);
    bb32(&b, PCAPNG_BYTE_ORDER_MAGIC);
    expect_reject(&b, "too short");

    b.n = 0;
    bb_shb(&b);
    b.b[b.n - 1] ^= 1; /* trailer differs */
    expect_reject(&b, "trailer");

    b.n = 0;
    bb_shb(&b);
    bb32(&b, PCAPNG_BT_EPB);
    bb32(&b, 10);
    expect_reject(&b, "bad pcapng block length");

    b.n = 0;
    bb_shb(&b);
    bb32(&b, 0x77);
    bb32(&b, 22);
    expect_reject(&b, "bad pcapng block length");

    b.n = 0;
    bb_shb(&b);
    bb32(&b, PCAPNG_BT_EPB);
    bb32(&b, PCAPFILE_MAX_BLOCK + 4);
    expect_reject(&b, "too large");

    b.n = 0;
    bb_shb(&b);
    s = bb_begin(&b, 0x77);
    bb32(&b, 0);
    bb_end(&b, s);
    b.b[b.n - 4] ^= 4;
    expect_reject(&b, "trailer");

    /* A packet before any interface, or for an interface that does not exist. */
    b.n = 0;
    bb_shb(&b);
    s = bb_begin(&b, PCAPNG_BT_EPB);
    for (int i = 0; i < 5; i++)
        bb32(&b, 0);
    bb_end(&b, s);
    expect_reject(&b, "interface 0");

    b.n = 0;
    bb_shb(&b);
    s = bb_begin(&b, PCAPNG_BT_SPB);
    bb32(&b, 0);
    bb_end(&b, s);
    expect_reject(&b, "interface 0");

    b.n = 0;
    bb_shb(&b);
    bb_idb(&b, 6, true);
    s = bb_begin(&b, PCAPNG_BT_EPB);
    for (int i = 0; i < 3; i++)
        bb32(&b, 0);
    bb32(&b, 8); /* caplen beyond the block */
    bb32(&b, 8);
    bb32(&b, 0);
    bb_end(&b, s);
    expect_reject(&b, "overruns");

    b.n = 0;
    bb_shb(&b);
    bb_idb(&b, 6, true);
    s = bb_begin(&b, PCAPNG_BT_EPB);
    bb32(&b, 0);
    bb32(&b, 0);
    bb32(&b, 0);
    bb32(&b, 0);
    bb32(&b, 0);
    bb16(&b, 2);
    bb16(&b, 40); /* option longer than the block */
    bb32(&b, 0);
    bb_end(&b, s);
    expect_reject(&b, "option 2 overruns");

    b.n = 0;
    bb_shb(&b);
    s = bb_begin(&b, PCAPNG_BT_EPB);
    bb32(&b, 0);
    bb_end(&b, s);
    expect_reject(&b, "too short");

    b.n = 0;
    bb_shb(&b);
    s = bb_begin(&b, PCAPNG_BT_IDB);
    bb32(&b, 1);
    bb_end(&b, s);
    expect_reject(&b, "interface block too short");

    b.n = 0;
    bb_shb(&b);
    bb_idb(&b, 20, true);
    expect_reject(&b, "resolution");

    b.n = 0;
    bb_shb(&b);
    bb_idb(&b, 0x80 | 64, true);
    expect_reject(&b, "resolution");

    b.n = 0;
    bb_shb(&b);
    bb_idb(&b, 6, true);
    bb32(&b, PCAPNG_BT_EPB);
    bb32(&b, 40);
    bb32(&b, 0);
    expect_reject(&b, "file ends");
}

int main(void)
{
    strcpy(dir, "/tmp/test_pcapfile.XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_pcap_nsec();
    test_pcapng();
    test_rotation_names();
    test_rotation();
    test_read_libpcap_files();
    test_read_foreign();
    test_read_rejects();
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (getenv("KEEP_FILES"))
        fprintf(stderr, "files kept in %s\n", dir);
    else if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_exit();
}

/* pcapfile_read.c - reads pcap (micro- and nanosecond, either byte order) and pcapng
 * (sections, interfaces, enhanced/simple/obsolete packet blocks). The file is untrusted:
 * every length is checked against the block that holds it before use. */
#include "pcapfile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define PCAP_MAGIC_USEC_SWAPPED 0xd4c3b2a1u
#define PCAP_MAGIC_NSEC_SWAPPED 0x4d3cb2a1u
#define PCAPNG_BYTE_ORDER_SWAPPED 0x4d3c2b1au

#define OPT_IF_NAME 2
#define OPT_IF_TSRESOL 9
#define OPT_IF_TSOFFSET 14
#define OPT_EPB_FLAGS 2

static int fail(struct pcapr *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct pcapr *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(r->err, sizeof(r->err), "offset %llu: ", (unsigned long long)r->offset);
    if (n < 0 || (size_t)n >= sizeof(r->err))
        n = 0;
    vsnprintf(r->err + n, sizeof(r->err) - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static inline uint16_t get16(const struct pcapr *r, const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return r->swapped ? __builtin_bswap16(v) : v;
}

static inline uint32_t get32(const struct pcapr *r, const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return r->swapped ? __builtin_bswap32(v) : v;
}

static inline uint64_t get64(const struct pcapr *r, const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return r->swapped ? __builtin_bswap64(v) : v;
}

/* Reads exactly n bytes: 1, 0 at a clean end of file (nothing read), -1 if cut short. */
static int read_exact(struct pcapr *r, void *buf, size_t n, bool eof_ok)
{
    size_t got = fread(buf, 1, n, r->f);
    r->offset += got;
    if (got == n)
        return 1;
    if (ferror(r->f))
        return fail(r, "read error: %s", strerror(errno));
    if (got == 0 && eof_ok)
        return 0;
    return fail(r, "file ends inside a %s", eof_ok ? "record header" : "record");
}

static int skip_bytes(struct pcapr *r, uint64_t n)
{
    uint8_t chunk[4096];
    while (n) {
        size_t step = n < sizeof(chunk) ? (size_t)n : sizeof(chunk);
        if (read_exact(r, chunk, step, false) < 0)
            return -1;
        n -= step;
    }
    return 0;
}

static bool reserve(struct pcapr *r, size_t n)
{
    if (n <= r->bufcap)
        return true;
    uint8_t *nb = realloc(r->buf, n);
    if (!nb)
        return false;
    r->buf = nb;
    r->bufcap = n;
    return true;
}

static int open_pcap(struct pcapr *r, uint32_t magic)
{
    r->format = PCAPFILE_PCAP;
    r->swapped = magic == PCAP_MAGIC_USEC_SWAPPED || magic == PCAP_MAGIC_NSEC_SWAPPED;
    r->nsec = magic == PCAP_MAGIC_NSEC || magic == PCAP_MAGIC_NSEC_SWAPPED;
    uint8_t h[20];
    if (read_exact(r, h, sizeof(h), false) < 0)
        return -1;
    uint16_t major = get16(r, h);
    if (major != 2)
        return fail(r, "unsupported pcap version %u", major);
    r->snaplen = get32(r, h + 12);
    /* The upper bits of the link type carry FCS information, not the type. */
    r->linktype = (uint16_t)get32(r, h + 16);
    return 0;
}

static void if_defaults(struct pcapr_if *ifc)
{
    memset(ifc, 0, sizeof(*ifc));
    ifc->tsresol_exp = 6;
}

/* Reads the rest of a block whose 8-byte start (type, length) is in hdr into r->buf:
 * the body without the trailing length, which is checked. Returns the body length. */
static long read_block_body(struct pcapr *r, uint32_t total)
{
    if (total < 12 || (total & 3))
        return fail(r, "bad pcapng block length %u", total);
    if (total > PCAPFILE_MAX_BLOCK)
        return fail(r, "pcapng block of %u bytes is too large", total);
    if (!reserve(r, total))
        return fail(r, "out of memory");
    if (read_exact(r, r->buf, total - 8, false) < 0)
        return -1;
    uint32_t trailer = get32(r, r->buf + total - 12);
    if (trailer != total)
        return fail(r, "pcapng block length %u does not match its trailer %u", total, trailer);
    return (long)(total - 12);
}

/* Walks an option list: calls fn for each option until the end marker or the body's end. */
typedef void (*opt_fn)(struct pcapr *r, uint16_t code, const uint8_t *val, uint16_t len, void *arg);
static int walk_options(struct pcapr *r, const uint8_t *p, size_t len, opt_fn fn, void *arg)
{
    size_t off = 0;
    while (off + 4 <= len) {
        uint16_t code = get16(r, p + off);
        uint16_t olen = get16(r, p + off + 2);
        if (code == 0)
            return 0;
        size_t padded = ((size_t)olen + 3) & ~(size_t)3;
        if (padded > len - off - 4)
            return fail(r, "pcapng option %u overruns its block", code);
        fn(r, code, p + off + 4, olen, arg);
        off += 4 + padded;
    }
    return 0;
}

static void idb_option(struct pcapr *r, uint16_t code, const uint8_t *val, uint16_t len, void *arg)
{
    struct pcapr_if *ifc = arg;
    if (code == OPT_IF_TSRESOL && len >= 1) {
        ifc->tsresol_pow2 = val[0] & 0x80;
        ifc->tsresol_exp = val[0] & 0x7f;
    } else if (code == OPT_IF_TSOFFSET && len >= 8) {
        ifc->tsoffset_s = (int64_t)get64(r, val);
    } else if (code == OPT_IF_NAME) {
        size_t n = len < sizeof(ifc->name) - 1 ? len : sizeof(ifc->name) - 1;
        memcpy(ifc->name, val, n);
        ifc->name[n] = 0;
    }
}

static void epb_option(struct pcapr *r, uint16_t code, const uint8_t *val, uint16_t len, void *arg)
{
    uint8_t *dir = arg;
    if (code == OPT_EPB_FLAGS && len >= 4) {
        uint32_t flags = get32(r, val);
        *dir = (flags & 3) == 1 ? 1 : (flags & 3) == 2 ? 2 : 0;
    }
}

/* Reads a section header block whose type has been read; sets the byte order. */
static int read_shb(struct pcapr *r)
{
    uint8_t h[8];
    if (read_exact(r, h, sizeof(h), false) < 0)
        return -1;
    uint32_t bom;
    memcpy(&bom, h + 4, 4);
    if (bom == PCAPNG_BYTE_ORDER_MAGIC)
        r->swapped = false;
    else if (bom == PCAPNG_BYTE_ORDER_SWAPPED)
        r->swapped = true;
    else
        return fail(r, "bad pcapng byte-order magic 0x%08x", bom);
    uint32_t total = get32(r, h);
    if (total < 28)
        return fail(r, "pcapng section header too short (%u)", total);
    if (total > PCAPFILE_MAX_BLOCK || (total & 3))
        return fail(r, "bad pcapng section header length %u", total);
    if (!reserve(r, total))
        return fail(r, "out of memory");
    if (read_exact(r, r->buf, total - 12, false) < 0)
        return -1;
    uint16_t major = get16(r, r->buf);
    if (major != 1)
        return fail(r, "unsupported pcapng version %u", major);
    if (get32(r, r->buf + total - 16) != total)
        return fail(r, "pcapng section header length does not match its trailer");
    /* A new section forgets the interfaces of the previous one. */
    r->nifs = 0;
    return 0;
}

static int add_interface(struct pcapr *r, const uint8_t *body, size_t len)
{
    if (len < 8)
        return fail(r, "pcapng interface block too short");
    if (r->nifs >= PCAPFILE_MAX_IFS)
        return fail(r, "more than %d interfaces", PCAPFILE_MAX_IFS);
    struct pcapr_if *ifs = realloc(r->ifs, (r->nifs + 1) * sizeof(*ifs));
    if (!ifs)
        return fail(r, "out of memory");
    r->ifs = ifs;
    struct pcapr_if *ifc = &ifs[r->nifs];
    if_defaults(ifc);
    ifc->linktype = get16(r, body);
    ifc->snaplen = get32(r, body + 4);
    if (walk_options(r, body + 8, len - 8, idb_option, ifc) < 0)
        return -1;
    if ((!ifc->tsresol_pow2 && ifc->tsresol_exp > 19) || ifc->tsresol_exp > 63)
        return fail(r, "pcapng interface time resolution %s-%u is out of range",
                    ifc->tsresol_pow2 ? "2^" : "10^", ifc->tsresol_exp);
    r->nifs++;
    return 0;
}

static uint64_t units_to_ns(const struct pcapr_if *ifc, uint64_t units)
{
    static const uint64_t pow10[] = {1,
                                     10,
                                     100,
                                     1000,
                                     10000,
                                     100000,
                                     1000000,
                                     10000000,
                                     100000000,
                                     1000000000,
                                     10000000000ull,
                                     100000000000ull,
                                     1000000000000ull,
                                     10000000000000ull,
                                     100000000000000ull,
                                     1000000000000000ull,
                                     10000000000000000ull,
                                     100000000000000000ull,
                                     1000000000000000000ull,
                                     10000000000000000000ull};
    unsigned __int128 ns;
    if (ifc->tsresol_pow2)
        ns = ((unsigned __int128)units * 1000000000u) >> ifc->tsresol_exp;
    else if (ifc->tsresol_exp <= 9)
        ns = (unsigned __int128)units * pow10[9 - ifc->tsresol_exp];
    else
        ns = units / pow10[ifc->tsresol_exp - 9];
    ns += (unsigned __int128)((__int128)ifc->tsoffset_s * 1000000000);
    return (uint64_t)ns;
}

static int interface_for(struct pcapr *r, uint32_t ifidx, const struct pcapr_if **out)
{
    if (ifidx >= r->nifs)
        return fail(r, "packet for interface %u, but the section has %u", ifidx, r->nifs);
    *out = &r->ifs[ifidx];
    return 0;
}

static int next_pcapng(struct pcapr *r, struct pcapr_pkt *pkt)
{
    for (;;) {
        uint8_t h[8];
        int rc = read_exact(r, h, 4, true);
        if (rc <= 0)
            return rc;
        uint32_t type;
        memcpy(&type, h, 4);
        if (type == PCAPNG_BT_SHB) {
            if (read_shb(r) < 0)
                return -1;
            continue;
        }
        if (read_exact(r, h + 4, 4, false) < 0)
            return -1;
        type = get32(r, h);
        uint32_t total = get32(r, h + 4);
        if (type != PCAPNG_BT_IDB && type != PCAPNG_BT_EPB && type != PCAPNG_BT_SPB &&
            type != PCAPNG_BT_PB) {
            if (total < 12 || (total & 3))
                return fail(r, "bad pcapng block length %u", total);
            if (skip_bytes(r, total - 12) < 0)
                return -1;
            uint8_t t[4];
            if (read_exact(r, t, 4, false) < 0)
                return -1;
            if (get32(r, t) != total)
                return fail(r, "pcapng block length %u does not match its trailer", total);
            continue;
        }
        long len = read_block_body(r, total);
        if (len < 0)
            return -1;
        const uint8_t *b = r->buf;
        size_t blen = (size_t)len;
        if (type == PCAPNG_BT_IDB) {
            if (add_interface(r, b, blen) < 0)
                return -1;
            continue;
        }
        const struct pcapr_if *ifc = NULL;
        memset(pkt, 0, sizeof(*pkt));
        if (type == PCAPNG_BT_SPB) {
            if (blen < 4)
                return fail(r, "pcapng simple packet block too short");
            if (interface_for(r, 0, &ifc) < 0)
                return -1;
            pkt->origlen = get32(r, b);
            uint32_t room = (uint32_t)(blen - 4);
            uint32_t cap = pkt->origlen < room ? pkt->origlen : room;
            if (ifc->snaplen && cap > ifc->snaplen)
                cap = ifc->snaplen;
            pkt->caplen = cap;
            pkt->data = b + 4;
        } else {
            /* EPB: if, ts hi, ts lo, caplen, origlen; PB: if(16), drops(16), ts, caplen, len. */
            if (blen < 20)
                return fail(r, "pcapng packet block too short");
            uint32_t ifidx = type == PCAPNG_BT_EPB ? get32(r, b) : get16(r, b);
            if (interface_for(r, ifidx, &ifc) < 0)
                return -1;
            pkt->ifidx = ifidx;
            uint64_t units = (uint64_t)get32(r, b + 4) << 32 | get32(r, b + 8);
            pkt->ts_ns = units_to_ns(ifc, units);
            pkt->caplen = get32(r, b + 12);
            pkt->origlen = get32(r, b + 16);
            if (pkt->caplen > blen - 20)
                return fail(r, "captured length %u overruns its block", pkt->caplen);
            if (pkt->caplen > PCAPFILE_MAX_CAPLEN)
                return fail(r, "captured length %u is too large", pkt->caplen);
            pkt->data = b + 20;
            size_t opt_off = 20 + (((size_t)pkt->caplen + 3) & ~(size_t)3);
            if (type == PCAPNG_BT_EPB && opt_off < blen &&
                walk_options(r, b + opt_off, blen - opt_off, epb_option, &pkt->dir) < 0)
                return -1;
        }
        pkt->linktype = ifc->linktype;
        return 1;
    }
}

static int next_pcap(struct pcapr *r, struct pcapr_pkt *pkt)
{
    uint8_t h[16];
    int rc = read_exact(r, h, sizeof(h), true);
    if (rc <= 0)
        return rc;
    uint32_t sec = get32(r, h), frac = get32(r, h + 4);
    uint32_t caplen = get32(r, h + 8), origlen = get32(r, h + 12);
    if (caplen > PCAPFILE_MAX_CAPLEN)
        return fail(r, "captured length %u is too large", caplen);
    if (!reserve(r, caplen ? caplen : 1))
        return fail(r, "out of memory");
    if (read_exact(r, r->buf, caplen, false) < 0)
        return -1;
    memset(pkt, 0, sizeof(*pkt));
    pkt->ts_ns = (uint64_t)sec * 1000000000u + (r->nsec ? frac : (uint64_t)frac * 1000u);
    pkt->caplen = caplen;
    pkt->origlen = origlen;
    pkt->linktype = r->linktype;
    pkt->data = r->buf;
    return 1;
}

int pcapr_open_stream(struct pcapr *r, FILE *f)
{
    memset(r, 0, sizeof(*r));
    r->f = f;
    uint32_t magic;
    int rc = read_exact(r, &magic, 4, true);
    if (rc <= 0) {
        if (rc == 0)
            fail(r, "empty file");
        return -1;
    }
    if (magic == PCAP_MAGIC_USEC || magic == PCAP_MAGIC_NSEC || magic == PCAP_MAGIC_USEC_SWAPPED ||
        magic == PCAP_MAGIC_NSEC_SWAPPED)
        return open_pcap(r, magic);
    if (magic == PCAPNG_BT_SHB) {
        r->format = PCAPFILE_PCAPNG;
        return read_shb(r);
    }
    return fail(r, "not a pcap or pcapng file (magic 0x%08x)", magic);
}

int pcapr_open(struct pcapr *r, const char *path)
{
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        memset(r, 0, sizeof(*r));
        snprintf(r->err, sizeof(r->err), "%s: %s", path, strerror(errno));
        return -1;
    }
    int rc = pcapr_open_stream(r, f);
    r->own_file = !is_stdin;
    if (rc < 0) {
        char err[sizeof(r->err)];
        memcpy(err, r->err, sizeof(err));
        pcapr_close(r);
        int n = snprintf(r->err, sizeof(r->err), "%s: ", path);
        if (n >= 0 && (size_t)n < sizeof(r->err)) {
            size_t room = sizeof(r->err) - (size_t)n - 1, len = strnlen(err, room);
            memcpy(r->err + n, err, len);
            r->err[(size_t)n + len] = 0;
        }
    }
    return rc;
}

int pcapr_next(struct pcapr *r, struct pcapr_pkt *pkt)
{
    if (!r->f)
        return fail(r, "reader is closed");
    return r->format == PCAPFILE_PCAP ? next_pcap(r, pkt) : next_pcapng(r, pkt);
}

void pcapr_close(struct pcapr *r)
{
    if (r->f && r->own_file)
        fclose(r->f);
    r->f = NULL;
    free(r->buf);
    free(r->ifs);
    r->buf = NULL;
    r->ifs = NULL;
    r->bufcap = 0;
    r->nifs = 0;
}

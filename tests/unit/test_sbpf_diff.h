/* test_sbpf_diff.h - the differential harness shared by the interpreter and JIT tests: a
 * packet set (frames under many capture lengths), libpcap compilation, and guard pages. */
#ifndef SLUICE_TEST_SBPF_DIFF_H
#define SLUICE_TEST_SBPF_DIFF_H

#include "test_sbpf_gen.h"

#include <pcap/pcap.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define DIFF_UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DIFF_UNDER_SANITIZER 1
#endif
#endif
#ifndef DIFF_UNDER_SANITIZER
#define DIFF_UNDER_SANITIZER 0
#endif

#define DIFF_FRAMES_MAX 8192u
#define DIFF_FRAME_CAP 1600u

/* Packets each program runs on: frames[i] under rounds of (caplen, wirelen) pairs. Round 0
 * is the whole frame; later rounds truncate it (caplen < wirelen) or vary wirelen. */
struct diff_packets {
    unsigned nframes, rounds;
    uint8_t **frames;
    uint32_t *lens;
    const uint8_t **pkts; /* = frames, for burst calls */
    uint32_t *caplens;    /* rounds * nframes */
    uint32_t *wirelens;
};

/* Evaluations per program: SBPF_DIFF_PACKETS, else 1,000,000 (100,000 under ASan). */
static inline unsigned long diff_packets_per_program(void)
{
    const char *env = getenv("SBPF_DIFF_PACKETS");
    if (env && *env)
        return strtoul(env, NULL, 10);
    return DIFF_UNDER_SANITIZER ? 100000ul : 1000000ul;
}

static inline void diff_packets_build(struct diff_packets *d, unsigned long evaluations,
                                      uint64_t seed)
{
    struct gen_rng r;
    gen_rng_seed(&r, seed);
    d->nframes = evaluations < DIFF_FRAMES_MAX ? (unsigned)evaluations : DIFF_FRAMES_MAX;
    if (d->nframes == 0)
        d->nframes = 1;
    d->rounds = (unsigned)((evaluations + d->nframes - 1) / d->nframes);
    if (d->rounds == 0)
        d->rounds = 1;
    d->frames = calloc(d->nframes, sizeof(*d->frames));
    d->lens = calloc(d->nframes, sizeof(*d->lens));
    d->caplens = calloc((size_t)d->nframes * d->rounds, sizeof(*d->caplens));
    d->wirelens = calloc((size_t)d->nframes * d->rounds, sizeof(*d->wirelens));
    if (!d->frames || !d->lens || !d->caplens || !d->wirelens)
        abort();
    uint8_t tmp[DIFF_FRAME_CAP];
    for (unsigned i = 0; i < d->nframes; i++) {
        unsigned kind = gen_below(&r, 100);
        size_t len;
        if (kind < 72)
            len = gen_frame(&r, tmp, sizeof(tmp));
        else if (kind < 92)
            len = gen_random_frame(&r, tmp, sizeof(tmp));
        else {
            len = gen_below(&r, 40); /* runts */
            gen_bytes(&r, tmp, len);
        }
        /* Each frame its own allocation of exactly its length: ASan sees any over-read. */
        d->frames[i] = malloc(len ? len : 1);
        if (!d->frames[i])
            abort();
        memcpy(d->frames[i], tmp, len);
        d->lens[i] = (uint32_t)len;
    }
    d->pkts = (const uint8_t **)d->frames;
    for (unsigned round = 0; round < d->rounds; round++) {
        for (unsigned i = 0; i < d->nframes; i++) {
            size_t at = (size_t)round * d->nframes + i;
            uint32_t len = d->lens[i];
            uint32_t caplen = len, wirelen = len;
            if (round > 0) {
                switch (gen_below(&r, 8)) {
                case 0: /* whole frame, longer on the wire */
                    wirelen = len + gen_below(&r, 9000);
                    break;
                case 1: /* a snaplen cut */
                    caplen = gen_below(&r, len + 1);
                    break;
                case 2: /* wirelen unrelated to caplen */
                    caplen = gen_below(&r, len + 1);
                    wirelen = gen_u32(&r);
                    break;
                default: /* truncated, as a short snaplen leaves it */
                    caplen = gen_below(&r, len + 1);
                    wirelen = len + gen_below(&r, 64);
                    break;
                }
            }
            d->caplens[at] = caplen;
            d->wirelens[at] = wirelen;
        }
    }
}

static inline void diff_packets_free(struct diff_packets *d)
{
    for (unsigned i = 0; i < d->nframes; i++)
        free(d->frames[i]);
    free(d->frames);
    free(d->lens);
    free(d->caplens);
    free(d->wirelens);
    memset(d, 0, sizeof(*d));
}

/* A buffer whose end abuts an inaccessible page: a packet copied to its end makes any read
 * past caplen fault, for the native code too (which no sanitizer instruments). */
struct diff_guard {
    uint8_t *base;
    size_t usable, map_size;
};

static inline void diff_guard_init(struct diff_guard *g, size_t usable)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    g->usable = (usable + page - 1) & ~(page - 1);
    g->map_size = g->usable + page;
    g->base = mmap(NULL, g->map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g->base == MAP_FAILED || mprotect(g->base + g->usable, page, PROT_NONE) != 0)
        abort();
}

/* Copies caplen bytes of frame so they end at the guard page; returns where they start. */
static inline const uint8_t *diff_guard_place(struct diff_guard *g, const uint8_t *frame,
                                              uint32_t caplen)
{
    uint8_t *p = g->base + g->usable - caplen;
    memcpy(p, frame, caplen);
    return p;
}

static inline void diff_guard_free(struct diff_guard *g)
{
    munmap(g->base, g->map_size);
}

/* Compiles a tcpdump expression as a capture tool does; returns insns or NULL. */
static inline struct sbpf_insn *diff_compile(const char *expr, int optimize, unsigned *n)
{
    pcap_t *p = pcap_open_dead(DLT_EN10MB, 262144);
    struct bpf_program bp;
    if (!p)
        return NULL;
    if (pcap_compile(p, &bp, expr, optimize, PCAP_NETMASK_UNKNOWN) != 0) {
        fprintf(stderr, "pcap_compile(\"%.60s\"): %s\n", expr, pcap_geterr(p));
        pcap_close(p);
        return NULL;
    }
    struct sbpf_insn *prog = malloc(sizeof(*prog) * bp.bf_len);
    if (!prog)
        abort();
    memcpy(prog, bp.bf_insns, sizeof(*prog) * bp.bf_len);
    *n = bp.bf_len;
    pcap_freecode(&bp);
    pcap_close(p);
    return prog;
}

/* libpcap's verdict; the program must not be able to loop forever on this packet (callers
 * ask only after sbpf_interp_ex finished within its budget). */
static inline uint32_t diff_reference(const struct sbpf_insn *prog, const uint8_t *pkt,
                                      uint32_t wirelen, uint32_t caplen)
{
    return bpf_filter((const struct bpf_insn *)prog, pkt, wirelen, caplen);
}

/* ---- protochain cases ----
 * Frames whose extension headers (IPv6) or authentication headers (IPv4) chain to a last
 * protocol, for the loops libpcap emits for protochain. */

struct diff_chain_case {
    const char *expr;
    bool v6;
    unsigned hops;    /* extension (v6) or AH (v4) headers before the last protocol */
    uint8_t ext;      /* their type */
    uint8_t last;     /* the protocol after them */
    bool fixed_point; /* v4: an AH that names itself at the same offset (libpcap never ends) */
    uint32_t want;    /* verdict expected from sluice */
};

static const struct diff_chain_case diff_chain_cases[] = {
    {"ip6 protochain 6", true, 0, 0, 6, false, 262144},
    {"ip6 protochain 6", true, 3, 0, 6, false, 262144},    /* hop-by-hop chain */
    {"ip6 protochain 6", true, 3, 60, 17, false, 0},       /* destination options, then UDP */
    {"ip6 protochain 6", true, 200, 43, 6, false, 262144}, /* 200 routing headers */
    {"ip6 protochain 6", true, 400, 43, 6, false, 0},      /* past the budget */
    {"protochain 58", true, 2, 44, 58, false, 262144},
    {"protochain 58", true, 2, 44, 59, false, 0},
    {"ip protochain 17", false, 0, 0, 17, false, 262144},
    {"ip protochain 17", false, 0, 0, 6, false, 0},
    {"ip protochain 17", false, 1, 51, 17, true, 0}, /* loops until the budget stops it */
    {"protochain 58", false, 0, 0, 58, false, 262144},
};
#define DIFF_CHAIN_CASES (sizeof(diff_chain_cases) / sizeof(diff_chain_cases[0]))

/* Writes the frame of a case into buf (at least 4096 bytes); returns its length. */
static inline uint32_t diff_chain_frame(const struct diff_chain_case *c, uint8_t *buf)
{
    memset(buf, 0, 4096);
    uint32_t off = 14;
    if (c->v6) {
        buf[12] = 0x86, buf[13] = 0xdd;
        buf[14] = 0x60;
        buf[20] = c->hops ? c->ext : c->last;
        off += 40;
        for (unsigned h = 0; h < c->hops; h++, off += 8)
            buf[off] = h + 1 < c->hops ? c->ext : c->last; /* length 0: 8 bytes */
    } else {
        buf[12] = 0x08, buf[13] = 0x00;
        buf[14] = 0x45;
        buf[23] = c->hops ? c->ext : c->last;
        off += 20;
        if (c->fixed_point) {
            /* libpcap sets X to (len + 2) * 4 instead of adding it: with len 3 the next
             * header is read from this same AH again, forever. */
            buf[off] = 51;
            buf[off + 1] = 3;
            off += 20;
        }
    }
    return off + 20; /* a transport header's worth of bytes */
}

/* Programs of the corpus: each expression optimized, some also unoptimized, and two long
 * OR chains of hosts. */
struct diff_corpus_entry {
    char *label;
    struct sbpf_insn *prog;
    unsigned n;
};

static inline unsigned diff_corpus_build(struct diff_corpus_entry *out, unsigned cap)
{
    unsigned count = 0;
    for (unsigned i = 0; i < GEN_EXPRESSIONS && count < cap; i++) {
        for (int opt = 1; opt >= 0 && count < cap; opt--) {
            if (!opt && i % 4 != 0) /* a quarter of them unoptimized too */
                continue;
            unsigned n;
            struct sbpf_insn *prog = diff_compile(gen_expressions[i], opt, &n);
            if (!prog)
                continue;
            char label[128];
            snprintf(label, sizeof(label), "\"%s\"%s", gen_expressions[i], opt ? "" : " (-O0)");
            out[count].label = strdup(label);
            out[count].prog = prog;
            out[count].n = n;
            count++;
        }
    }
    static const unsigned chains[] = {50, 100};
    for (unsigned c = 0; c < 2 && count < cap; c++) {
        char *expr = gen_host_chain(chains[c]);
        unsigned n;
        struct sbpf_insn *prog = diff_compile(expr, 1, &n);
        free(expr);
        if (!prog)
            continue;
        char label[64];
        snprintf(label, sizeof(label), "OR chain of %u hosts", chains[c]);
        out[count].label = strdup(label);
        out[count].prog = prog;
        out[count].n = n;
        count++;
    }
    return count;
}

static inline void diff_corpus_free(struct diff_corpus_entry *c, unsigned count)
{
    for (unsigned i = 0; i < count; i++) {
        free(c[i].label);
        free(c[i].prog);
    }
}

static inline void diff_print_insn(const struct sbpf_insn *prog, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        fprintf(stderr, "  %4u: code 0x%02x jt %3u jf %3u k 0x%08x\n", i, prog[i].code, prog[i].jt,
                prog[i].jf, prog[i].k);
}

#endif

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

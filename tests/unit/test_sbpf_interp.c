/* test_sbpf_interp.c - the interpreter's semantics, instruction by instruction, and its
 * verdicts against libpcap's bpf_filter() on the corpus and random programs, ~1M packets each. */
#include "check.h"
#include "test_sbpf_diff.h"

#include <time.h>

#define S(code, k) ((struct sbpf_insn){(code), 0, 0, (k)})
#define J(code, k, jt, jf) ((struct sbpf_insn){(code), (jt), (jf), (k)})
#define RET_A S(SBPF_RET | SBPF_A, 0)

static uint32_t run(const struct sbpf_insn *prog, unsigned n, const uint8_t *pkt, uint32_t wirelen,
                    uint32_t caplen)
{
    char err[160];
    if (sbpf_validate(prog, n, err, sizeof(err)) != 0) {
        fprintf(stderr, "test program rejected: %s\n", err);
        CHECK(false);
        return 0xdeadbeef;
    }
    uint32_t v = sbpf_interp(prog, n, pkt, wirelen, caplen);
    struct sbpf_prog_info info;
    sbpf_prog_info(prog, n, &info);
    if (!info.maybe_unset_slots && !info.has_backward_jumps)
        CHECK_EQ(v, diff_reference(prog, pkt, wirelen, caplen));
    return v;
}

static void test_loads_at_the_edge(void)
{
    uint8_t pkt[64];
    for (unsigned i = 0; i < sizeof(pkt); i++)
        pkt[i] = (uint8_t)(0x10 + i);
    for (uint32_t caplen = 0; caplen <= 64; caplen++) {
        for (unsigned size = 1; size <= 4; size *= 2) {
            uint16_t sz = size == 4 ? SBPF_W : size == 2 ? SBPF_H : SBPF_B;
            /* Last valid offset, then one past it. */
            if (caplen >= size) {
                uint32_t k = caplen - size;
                struct sbpf_insn ok[2] = {S(SBPF_LD | sz | SBPF_ABS, k), RET_A};
                uint32_t want = 0;
                for (unsigned b = 0; b < size; b++)
                    want = (want << 8) | pkt[k + b];
                CHECK_EQ(run(ok, 2, pkt, 1000, caplen), want);
                struct sbpf_insn ok_ind[3] = {S(SBPF_LDX | SBPF_IMM, k / 2),
                                              S(SBPF_LD | sz | SBPF_IND, k - k / 2), RET_A};
                CHECK_EQ(run(ok_ind, 3, pkt, 1000, caplen), want);
            }
            uint32_t past = caplen >= size ? caplen - size + 1 : 0;
            struct sbpf_insn bad[3] = {S(SBPF_LD | sz | SBPF_ABS, past), S(SBPF_LD | SBPF_IMM, 7),
                                       RET_A};
            CHECK_EQ(run(bad, 3, pkt, 1000, caplen), 0);
            struct sbpf_insn bad_ind[4] = {S(SBPF_LDX | SBPF_IMM, past / 3),
                                           S(SBPF_LD | sz | SBPF_IND, past - past / 3),
                                           S(SBPF_LD | SBPF_IMM, 7), RET_A};
            CHECK_EQ(run(bad_ind, 4, pkt, 1000, caplen), 0);
        }
        /* MSH: X = (P[k] & 0xf) * 4, valid up to caplen - 1. */
        struct sbpf_insn msh[3] = {S(SBPF_LDX | SBPF_MSH | SBPF_B, caplen ? caplen - 1 : 0),
                                   S(SBPF_MISC | SBPF_TXA, 0), RET_A};
        CHECK_EQ(run(msh, 3, pkt, 1000, caplen), caplen ? (pkt[caplen - 1] & 0xf) * 4u : 0u);
        struct sbpf_insn msh_past[4] = {S(SBPF_LDX | SBPF_MSH | SBPF_B, caplen),
                                        S(SBPF_LD | SBPF_IMM, 7), S(SBPF_MISC | SBPF_TXA, 0),
                                        RET_A};
        CHECK_EQ(run(msh_past, 4, pkt, 1000, caplen), 0);
    }
}

/* X + k must not wrap around into the packet. */
static void test_indirect_overflow(void)
{
    uint8_t pkt[64] = {1, 2, 3, 4, 5, 6, 7, 8};
    static const uint32_t xs[] = {0xfffffff0u, 0xffffffffu, 0x80000000u, 0xfffffffcu};
    for (unsigned i = 0; i < 4; i++) {
        uint32_t k = 0u - xs[i] + 2; /* X + k == 2 modulo 2^32 */
        static const uint16_t sizes[] = {SBPF_W, SBPF_H, SBPF_B};
        for (unsigned s = 0; s < 3; s++) {
            struct sbpf_insn prog[4] = {S(SBPF_LDX | SBPF_IMM, xs[i]),
                                        S(SBPF_LD | sizes[s] | SBPF_IND, k),
                                        S(SBPF_LD | SBPF_IMM, 99), RET_A};
            CHECK_EQ(run(prog, 4, pkt, 64, 64), 0);
        }
    }
    struct sbpf_insn huge_k[3] = {S(SBPF_LDX | SBPF_IMM, 0),
                                  S(SBPF_LD | SBPF_B | SBPF_IND, 0xffffffffu), RET_A};
    CHECK_EQ(run(huge_k, 3, pkt, 64, 64), 0);
}

static void test_arithmetic(void)
{
    uint8_t pkt[4] = {0};
    struct {
        uint32_t a, x;
        uint16_t op;
        uint32_t want;
    } cases[] = {
        {0xffffffffu, 2, SBPF_ADD, 1},
        {1, 2, SBPF_SUB, 0xffffffffu},
        {0x10000, 0x10001, SBPF_MUL, 0x10000},
        {7, 2, SBPF_DIV, 3},
        {7, 0, SBPF_DIV, 0}, /* the program returns 0 */
        {7, 0, SBPF_MOD, 0},
        {0xffffffffu, 10, SBPF_MOD, 5},
        {0xf0f0, 0xff00, SBPF_AND, 0xf000},
        {0xf0f0, 0x0f0f, SBPF_OR, 0xffff},
        {0xff, 0x0f, SBPF_XOR, 0xf0},
        {1, 31, SBPF_LSH, 0x80000000u},
        {1, 32, SBPF_LSH, 0}, /* counts of 32 and more give 0, not count & 31 */
        {1, 33, SBPF_LSH, 0},
        {0x80000000u, 31, SBPF_RSH, 1},
        {0x80000000u, 32, SBPF_RSH, 0},
        {0x80000000u, 0xffffffffu, SBPF_RSH, 0},
    };
    for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct sbpf_insn prog[5] = {
            S(SBPF_LD | SBPF_IMM, 12345), S(SBPF_LDX | SBPF_IMM, cases[c].x),
            S(SBPF_LD | SBPF_IMM, cases[c].a), S(SBPF_ALU | cases[c].op | SBPF_X, 0), RET_A};
        uint32_t got = run(prog, 5, pkt, 4, 4);
        if (got != cases[c].want)
            fprintf(stderr, "case %u: %#x op %#x %#x = %#x\n", c, cases[c].a, cases[c].op,
                    cases[c].x, got);
        CHECK_EQ(got, cases[c].want);
        if (cases[c].x != 0 &&
            !((cases[c].op == SBPF_LSH || cases[c].op == SBPF_RSH) && cases[c].x >= 32)) {
            prog[3] = S(SBPF_ALU | cases[c].op | SBPF_K, cases[c].x);
            CHECK_EQ(run(prog, 5, pkt, 4, 4), cases[c].want);
        }
    }
    struct sbpf_insn neg[3] = {S(SBPF_LD | SBPF_IMM, 0x80000000u), S(SBPF_ALU | SBPF_NEG, 0),
                               RET_A};
    CHECK_EQ(run(neg, 3, pkt, 4, 4), 0x80000000u);
    neg[0].k = 1;
    CHECK_EQ(run(neg, 3, pkt, 4, 4), 0xffffffffu);
}

static void test_comparisons_are_unsigned(void)
{
    uint8_t pkt[4] = {0};
    /* A = 0xffffffff is greater than 1 (it would be -1 signed). */
    struct sbpf_insn gt[5] = {S(SBPF_LD | SBPF_IMM, 0xffffffffu),
                              J(SBPF_JMP | SBPF_JGT | SBPF_K, 1, 0, 1), S(SBPF_RET | SBPF_K, 10),
                              S(SBPF_RET | SBPF_K, 20), RET_A};
    CHECK_EQ(run(gt, 5, pkt, 4, 4), 10);
    struct sbpf_insn ge_x[6] = {S(SBPF_LDX | SBPF_IMM, 0x80000000u),
                                S(SBPF_LD | SBPF_IMM, 5),
                                J(SBPF_JMP | SBPF_JGE | SBPF_X, 0, 0, 1),
                                S(SBPF_RET | SBPF_K, 10),
                                S(SBPF_RET | SBPF_K, 20),
                                RET_A};
    CHECK_EQ(run(ge_x, 6, pkt, 4, 4), 20);
    struct sbpf_insn jset[5] = {S(SBPF_LD | SBPF_IMM, 0x100),
                                J(SBPF_JMP | SBPF_JSET | SBPF_K, 0x1ff, 0, 1),
                                S(SBPF_RET | SBPF_K, 10), S(SBPF_RET | SBPF_K, 20), RET_A};
    CHECK_EQ(run(jset, 5, pkt, 4, 4), 10);
}

static void test_len_and_scratch(void)
{
    uint8_t pkt[4] = {0};
    struct sbpf_insn len[2] = {S(SBPF_LD | SBPF_W | SBPF_LEN, 0), RET_A};
    CHECK_EQ(run(len, 2, pkt, 1234, 4), 1234); /* wirelen, not caplen */
    struct sbpf_insn xlen[3] = {S(SBPF_LDX | SBPF_W | SBPF_LEN, 0), S(SBPF_MISC | SBPF_TXA, 0),
                                RET_A};
    CHECK_EQ(run(xlen, 3, pkt, 99, 0), 99);

    /* All 16 slots hold distinct values; the sum proves none aliases another. */
    struct sbpf_insn prog[6 * SBPF_MEMWORDS + 2];
    unsigned n = 0;
    for (unsigned s = 0; s < SBPF_MEMWORDS; s++) {
        prog[n++] = S(SBPF_LD | SBPF_IMM, 1u << s);
        if (s % 2) { /* odd slots stored from A, even ones from X */
            prog[n++] = S(SBPF_ST, s);
        } else {
            prog[n++] = S(SBPF_MISC | SBPF_TAX, 0);
            prog[n++] = S(SBPF_STX, s);
        }
    }
    prog[n++] = S(SBPF_LD | SBPF_IMM, 0);
    for (unsigned s = 0; s < SBPF_MEMWORDS; s++) {
        if (s % 2) {
            prog[n++] = S(SBPF_LDX | SBPF_MEM, s);
            prog[n++] = S(SBPF_ALU | SBPF_ADD | SBPF_X, 0);
        } else { /* A + M[s] through the other register */
            prog[n++] = S(SBPF_MISC | SBPF_TAX, 0);
            prog[n++] = S(SBPF_LD | SBPF_MEM, s);
            prog[n++] = S(SBPF_ALU | SBPF_ADD | SBPF_X, 0);
        }
    }
    prog[n++] = RET_A;
    CHECK(n <= sizeof(prog) / sizeof(prog[0]));
    CHECK_EQ(run(prog, n, pkt, 4, 4), 0xffff);

    /* A slot read before any store reads 0, on every packet. */
    struct sbpf_insn unset[5] = {S(SBPF_LD | SBPF_W | SBPF_LEN, 0),
                                 J(SBPF_JMP | SBPF_JEQ | SBPF_K, 1, 0, 1), S(SBPF_ST, 9),
                                 S(SBPF_LD | SBPF_MEM, 9), RET_A};
    CHECK_EQ(run(unset, 5, pkt, 1, 4), 1);
    CHECK_EQ(run(unset, 5, pkt, 2, 4), 0);
}

/* Loops end by the program or, past SBPF_INSN_BUDGET executed insns, with verdict 0. */
static void test_budget(void)
{
    uint8_t pkt[4] = {0};
    /* A counts down from k to 0, three insns per round. */
    struct sbpf_insn countdown[5] = {
        S(SBPF_LD | SBPF_IMM, 0),           J(SBPF_JMP | SBPF_JEQ | SBPF_K, 0, 2, 0),
        S(SBPF_ALU | SBPF_SUB | SBPF_K, 1), S(SBPF_JMP | SBPF_JA, (uint32_t)-3),
        S(SBPF_RET | SBPF_K, 77),
    };
    bool oob = true;
    countdown[0].k = 100;
    CHECK_EQ(sbpf_interp_ex(countdown, 5, pkt, 4, 4, &oob), 77);
    CHECK(!oob);
    /* 1 + 3 * rounds + 2 insns: exactly the budget still returns the program's verdict. */
    uint32_t rounds = (SBPF_INSN_BUDGET - 3) / 3;
    countdown[0].k = rounds;
    CHECK_EQ(sbpf_interp_ex(countdown, 5, pkt, 4, 4, &oob), 77);
    CHECK(!oob);
    countdown[0].k = rounds + 1;
    CHECK_EQ(sbpf_interp_ex(countdown, 5, pkt, 4, 4, &oob), 0);
    CHECK(oob);
    countdown[0].k = 0xffffffffu;
    CHECK_EQ(sbpf_interp(countdown, 5, pkt, 4, 4), 0);
}

/* protochain programs from pcap_compile find the protocol through extension and
 * authentication headers as libpcap does, and a chain that would run past the budget (or,
 * in libpcap, forever) gets 0. */
static void test_protochain_answers(void)
{
    static uint8_t frame[4096];
    for (unsigned c = 0; c < DIFF_CHAIN_CASES; c++) {
        const struct diff_chain_case *k = &diff_chain_cases[c];
        unsigned n;
        struct sbpf_insn *prog = diff_compile(k->expr, 1, &n);
        CHECK(prog != NULL);
        if (!prog)
            continue;
        char err[256];
        CHECK_EQ(sbpf_validate(prog, n, err, sizeof(err)), 0);
        uint32_t len = diff_chain_frame(k, frame);
        bool oob = false;
        uint32_t v = sbpf_interp_ex(prog, n, frame, len, len, &oob);
        if (v != k->want)
            fprintf(stderr, "case %u \"%s\" (%u headers): %u, want %u\n", c, k->expr, k->hops, v,
                    k->want);
        CHECK_EQ(v, k->want);
        if (!oob)
            CHECK_EQ(v, diff_reference(prog, frame, len, len));
        else
            CHECK(k->want == 0 && (k->fixed_point || k->hops >= 300));
        free(prog);
    }
}

/* ---- differential runs against libpcap ---- */

struct diff_stats {
    unsigned programs, mixed; /* mixed: programs that both accepted and rejected packets */
    unsigned long long evaluations, compared, over_budget, mismatches, accepted;
};

static bool report_mismatch(struct diff_stats *st, const char *label, const struct sbpf_insn *prog,
                            unsigned n, const uint8_t *pkt, uint32_t wirelen, uint32_t caplen,
                            uint32_t got, uint32_t want)
{
    if (st->mismatches++ < 5) {
        fprintf(stderr, "MISMATCH %s: wirelen %u caplen %u: sluice %u libpcap %u\n", label, wirelen,
                caplen, got, want);
        if (n < 64)
            diff_print_insn(prog, n);
    }
    (void)pkt;
    return false;
}

static void diff_one(struct diff_stats *st, const char *label, const struct sbpf_insn *prog,
                     unsigned n, const uint8_t *pkt, uint32_t wirelen, uint32_t caplen)
{
    bool oob;
    uint32_t got = sbpf_interp_ex(prog, n, pkt, wirelen, caplen, &oob);
    st->evaluations++;
    st->accepted += got != 0;
    if (oob) { /* libpcap 1.10 has no budget: it might never return */
        st->over_budget++;
        CHECK_EQ(got, 0);
        return;
    }
    uint32_t want = diff_reference(prog, pkt, wirelen, caplen);
    st->compared++;
    if (got != want)
        report_mismatch(st, label, prog, n, pkt, wirelen, caplen, got, want);
}

/* Runs prog on the whole packet set, then on 48 frames cut at every length from 0, each
 * copied against a guard page. */
static void diff_program(struct diff_stats *st, const char *label, const struct sbpf_insn *prog,
                         unsigned n, const struct diff_packets *d, struct diff_guard *g,
                         unsigned long max_packets)
{
    st->programs++;
    unsigned long long evaluations = st->evaluations, accepted = st->accepted;
    unsigned long done = 0;
    for (unsigned r = 0; r < d->rounds && done < max_packets; r++) {
        const uint32_t *caplens = d->caplens + (size_t)r * d->nframes;
        const uint32_t *wirelens = d->wirelens + (size_t)r * d->nframes;
        for (unsigned i = 0; i < d->nframes && done < max_packets; i++, done++)
            diff_one(st, label, prog, n, d->pkts[i], wirelens[i], caplens[i]);
    }
    unsigned sweeps = max_packets < 100000 ? 2 : 48;
    for (unsigned f = 0; f < sweeps && f < d->nframes; f++) {
        unsigned i = (f * 7919u) % d->nframes;
        for (uint32_t caplen = 0; caplen <= d->lens[i]; caplen++) {
            const uint8_t *p = diff_guard_place(g, d->frames[i], caplen);
            diff_one(st, label, prog, n, p, d->lens[i], caplen);
        }
    }
    accepted = st->accepted - accepted;
    st->mixed += accepted > 0 && accepted < st->evaluations - evaluations;
}

#define LOOPING_PROGRAMS 8
#define LOOPING_PACKETS (DIFF_UNDER_SANITIZER ? 500 : 2000)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void print_stats(const char *what, const struct diff_stats *st, double secs)
{
    fprintf(stderr,
            "%s: %u programs (%u with both verdicts), %llu evaluations (%llu compared with "
            "libpcap, %llu over the budget), %llu differences, %.1f s\n",
            what, st->programs, st->mixed, st->evaluations, st->compared, st->over_budget,
            st->mismatches, secs);
}

static void test_differential(void)
{
    unsigned long per_program = diff_packets_per_program();
    fprintf(stderr, "differential: %lu packets per program%s\n", per_program,
            DIFF_UNDER_SANITIZER ? " (sanitizer build: 100k default)" : "");
    struct diff_packets d;
    diff_packets_build(&d, per_program, 0x5eed1);
    struct diff_guard g;
    diff_guard_init(&g, DIFF_FRAME_CAP);

    static struct diff_corpus_entry corpus[160];
    unsigned count = diff_corpus_build(corpus, 160);
    CHECK(count >= 50);
    struct diff_stats st = {0};
    double t0 = now_s();
    for (unsigned c = 0; c < count; c++)
        diff_program(&st, corpus[c].label, corpus[c].prog, corpus[c].n, &d, &g, per_program);
    print_stats("corpus", &st, now_s() - t0);
    CHECK_EQ(st.mismatches, 0);
    CHECK(st.compared >= (unsigned long long)count * per_program);
    CHECK(st.mixed * 10 >= st.programs * 9); /* the packets exercise the filters */
    diff_corpus_free(corpus, count);

    /* Random valid programs, each on the same number of packets. */
    struct gen_rng r;
    gen_rng_seed(&r, 0xb9f1);
    struct sbpf_insn *prog = malloc(sizeof(*prog) * SBPF_MAX_INSNS);
    struct diff_stats rs = {0};
    unsigned random_programs = DIFF_UNDER_SANITIZER ? 30 : 150;
    t0 = now_s();
    for (unsigned p = 0; p < random_programs; p++) {
        unsigned n = gen_program_len(&r);
        gen_program(&r, prog, n, true);
        char err[160];
        CHECK_EQ(sbpf_validate(prog, n, err, sizeof(err)), 0);
        struct sbpf_prog_info info;
        sbpf_prog_info(prog, n, &info);
        CHECK_EQ(info.maybe_unset_slots, 0);
        char label[48];
        snprintf(label, sizeof(label), "random program %u (%u insns)", p, n);
        diff_program(&rs, label, prog, n, &d, &g, per_program);
    }
    print_stats("random", &rs, now_s() - t0);
    CHECK_EQ(rs.mismatches, 0);
    /* Looping programs of protochain's shape, on fewer packets: most of them run into the
     * budget (65536 insns) on every packet. */
    struct diff_stats ls = {0};
    t0 = now_s();
    unsigned looping = 0;
    for (unsigned p = 0; p < LOOPING_PROGRAMS; p++) {
        unsigned n = 24 + gen_below(&r, 60);
        gen_looping_program(&r, prog, n);
        if (sbpf_validate_structure(prog, n, NULL, 0) != 0)
            continue;
        looping++;
        char label[48];
        snprintf(label, sizeof(label), "looping program %u (%u insns)", p, n);
        diff_program(&ls, label, prog, n, &d, &g, LOOPING_PACKETS);
    }
    CHECK(looping > 0);
    print_stats("looping", &ls, now_s() - t0);
    CHECK_EQ(ls.mismatches, 0);
    free(prog);
    diff_guard_free(&g);
    diff_packets_free(&d);
}

int main(void)
{
    test_loads_at_the_edge();
    test_indirect_overflow();
    test_arithmetic();
    test_comparisons_are_unsigned();
    test_len_and_scratch();
    test_budget();
    test_protochain_answers();
    test_differential();
    return check_exit();
}

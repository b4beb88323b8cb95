/* test_sbpf_jit.c - the x86-64 JIT: code generation edge cases (jump widths, the longest
 * program, loads at the edge against a guard page, budgets, fallback, W^X) and its verdicts,
 * per packet and per burst, against libpcap and the interpreter on ~1M packets per program. */
#include "check.h"
#include "test_sbpf_diff.h"

#include <time.h>

#define S(code, k) ((struct sbpf_insn){(code), 0, 0, (k)})
#define J(code, k, jt, jf) ((struct sbpf_insn){(code), (jt), (jf), (k)})
#define RET_A S(SBPF_RET | SBPF_A, 0)

/* A filter as sbpf_filter_create builds it, for programs the admission rules refuse (loops
 * of any shape, costlier paths) but the engines must still run safely. */
static struct sbpf_filter *make_engine_filter(const struct sbpf_insn *prog, unsigned n, char *note,
                                              size_t notelen)
{
    struct sbpf_filter *f = calloc(1, sizeof(*f));
    f->prog = malloc(sizeof(*prog) * n);
    memcpy(f->prog, prog, sizeof(*prog) * n);
    f->n = n;
    if (sbpf_jit_compile(f->prog, n, SBPF_JIT_MAX_CODE, &f->jit, note, notelen) == 0) {
        f->native = f->jit.fn;
        f->native_burst = f->jit.burst;
        f->code = f->jit.map;
        f->code_size = f->jit.code_size;
    }
    return f;
}

static struct sbpf_filter *make_filter(const struct sbpf_insn *prog, unsigned n)
{
    char err[200], note[200];
    struct sbpf_filter *f = sbpf_filter_create(prog, n, true, err, sizeof(err), note, sizeof(note));
    if (!f && sbpf_validate_structure(prog, n, NULL, 0) == 0)
        f = make_engine_filter(prog, n, note, sizeof(note));
    if (!f) {
        fprintf(stderr, "rejected: %s\n", err);
        CHECK(false);
        return NULL;
    }
    if (!f->native)
        fprintf(stderr, "not compiled: %s\n", note);
    CHECK(f->native != NULL);
    CHECK(f->native_burst != NULL);
    CHECK_STR(note, "");
    return f;
}

/* The JIT's verdict (checked equal through both entry points) after checking it against the
 * interpreter and, where libpcap has a defined answer, against libpcap. */
static uint32_t jit_run(const struct sbpf_filter *f, const uint8_t *pkt, uint32_t wirelen,
                        uint32_t caplen)
{
    uint32_t v = f->native(pkt, wirelen, caplen);
    uint32_t burst_v = 0xdeadbeef;
    const uint8_t *pkts[1] = {pkt};
    f->native_burst(pkts, &wirelen, &caplen, &burst_v, 1);
    CHECK_EQ(burst_v, v);
    bool oob;
    CHECK_EQ(v, sbpf_interp_ex(f->prog, f->n, pkt, wirelen, caplen, &oob));
    struct sbpf_prog_info info;
    sbpf_prog_info(f->prog, f->n, &info);
    if (!oob && !info.maybe_unset_slots)
        CHECK_EQ(v, diff_reference(f->prog, pkt, wirelen, caplen));
    return v;
}

static uint32_t jit_once(const struct sbpf_insn *prog, unsigned n, const uint8_t *pkt,
                         uint32_t wirelen, uint32_t caplen)
{
    struct sbpf_filter *f = make_filter(prog, n);
    if (!f || !f->native)
        return 0xdeadbeef;
    uint32_t v = jit_run(f, pkt, wirelen, caplen);
    sbpf_filter_destroy(f);
    return v;
}

/* Loads at the last valid offset and one past it, for W/H/B and ABS/IND/MSH, with the packet
 * ending at an inaccessible page: an unchecked read would fault. */
static void test_loads_at_the_edge(struct diff_guard *g)
{
    uint8_t frame[80];
    for (unsigned i = 0; i < sizeof(frame); i++)
        frame[i] = (uint8_t)(0xa0 + i);
    static const uint16_t sizes[] = {SBPF_W, SBPF_H, SBPF_B};
    static const unsigned bytes[] = {4, 2, 1};
    for (unsigned s = 0; s < 3; s++) {
        struct sbpf_insn abs_at[2] = {S(SBPF_LD | sizes[s] | SBPF_ABS, 0), RET_A};
        struct sbpf_insn ind_at[3] = {S(SBPF_LDX | SBPF_IMM, 0),
                                      S(SBPF_LD | sizes[s] | SBPF_IND, 0), RET_A};
        for (uint32_t caplen = 0; caplen <= sizeof(frame); caplen++) {
            const uint8_t *p = diff_guard_place(g, frame, caplen);
            for (int past = 0; past <= 1; past++) {
                if (caplen < bytes[s] && !past)
                    continue;
                uint32_t k = caplen - bytes[s] + (uint32_t)past;
                if (caplen < bytes[s])
                    k = 0;
                uint32_t want = 0;
                if (!past)
                    for (unsigned b = 0; b < bytes[s]; b++)
                        want = (want << 8) | frame[k + b];
                abs_at[0].k = k;
                CHECK_EQ(jit_once(abs_at, 2, p, caplen, caplen), want);
                /* Split k between X and the instruction's k. */
                ind_at[0].k = k / 3;
                ind_at[1].k = k - k / 3;
                CHECK_EQ(jit_once(ind_at, 3, p, caplen, caplen), want);
            }
        }
    }
    struct sbpf_insn msh[3] = {S(SBPF_LDX | SBPF_MSH | SBPF_B, 0), S(SBPF_MISC | SBPF_TXA, 0),
                               RET_A};
    for (uint32_t caplen = 0; caplen <= sizeof(frame); caplen++) {
        const uint8_t *p = diff_guard_place(g, frame, caplen);
        msh[0].k = caplen ? caplen - 1 : 0;
        CHECK_EQ(jit_once(msh, 3, p, caplen, caplen), caplen ? (frame[caplen - 1] & 0xfu) * 4 : 0u);
        msh[0].k = caplen;
        CHECK_EQ(jit_once(msh, 3, p, caplen, caplen), 0);
    }
}

/* X + k wrapping past 2^32, and k beyond 2^31 (the JIT's other addressing forms). */
static void test_indirect_overflow(void)
{
    uint8_t pkt[64] = {1, 2, 3, 4, 5, 6, 7, 8};
    static const uint32_t xs[] = {0xfffffff0u, 0xffffffffu, 0x80000000u, 0xfffffffcu, 0x7fffffffu};
    static const uint16_t sizes[] = {SBPF_W, SBPF_H, SBPF_B};
    for (unsigned i = 0; i < 5; i++) {
        for (unsigned s = 0; s < 3; s++) {
            struct sbpf_insn prog[4] = {S(SBPF_LDX | SBPF_IMM, xs[i]),
                                        S(SBPF_LD | sizes[s] | SBPF_IND, 0u - xs[i] + 2),
                                        S(SBPF_LD | SBPF_IMM, 99), RET_A};
            CHECK_EQ(jit_once(prog, 4, pkt, 64, 64), 0);
            prog[1].k = 0xfffffffeu; /* k + size itself beyond 2^32 */
            CHECK_EQ(jit_once(prog, 4, pkt, 64, 64), 0);
            prog[1].k = 0x7ffffffeu; /* k + size just beyond 2^31 */
            CHECK_EQ(jit_once(prog, 4, pkt, 64, 64), 0);
        }
    }
    struct sbpf_insn abs_far[2] = {S(SBPF_LD | SBPF_B | SBPF_ABS, 0xffdfffffu), RET_A};
    CHECK_EQ(jit_once(abs_far, 2, pkt, 64, 64), 0);
}

/* Offsets past 2^31 that are inside the packet: a 2 GiB+ sparse mapping as the packet. */
static void test_huge_offsets(void)
{
    size_t size = 0x80001000u;
    uint8_t *big = mmap(NULL, size, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (big == MAP_FAILED) {
        fprintf(stderr, "huge offsets: cannot map 2 GiB of address space here; not tested\n");
        CHECK(false);
        return;
    }
    uint32_t caplen = 0x80000800u;
    for (unsigned i = 0; i < 8; i++)
        big[0x80000000u + i] = (uint8_t)(0x11 * (i + 1));
    struct sbpf_insn w[2] = {S(SBPF_LD | SBPF_W | SBPF_ABS, 0x80000000u), RET_A};
    CHECK_EQ(jit_once(w, 2, big, caplen, caplen), 0x11223344u);
    struct sbpf_insn h[2] = {S(SBPF_LD | SBPF_H | SBPF_ABS, 0x80000002u), RET_A};
    CHECK_EQ(jit_once(h, 2, big, caplen, caplen), 0x3344u);
    struct sbpf_insn ind[3] = {S(SBPF_LDX | SBPF_IMM, 0x10),
                               S(SBPF_LD | SBPF_B | SBPF_IND, 0x7ffffff3u), RET_A};
    CHECK_EQ(jit_once(ind, 3, big, caplen, caplen), 0x44u);
    struct sbpf_insn msh[3] = {S(SBPF_LDX | SBPF_MSH | SBPF_B, 0x80000001u),
                               S(SBPF_MISC | SBPF_TXA, 0), RET_A};
    CHECK_EQ(jit_once(msh, 3, big, caplen, caplen), (0x22u & 0xf) * 4);
    w[0].k = caplen - 3; /* one past the last valid word */
    CHECK_EQ(jit_once(w, 2, big, caplen, caplen), 0);
    munmap(big, size);
}

static void test_runtime_division_by_zero(void)
{
    uint8_t pkt[16] = {0, 0, 0, 7};
    for (int mod = 0; mod <= 1; mod++) {
        struct sbpf_insn prog[5] = {S(SBPF_LD | SBPF_W | SBPF_ABS, 0),
                                    S(SBPF_LDX | SBPF_MSH | SBPF_B, 4),
                                    S(SBPF_ALU | (mod ? SBPF_MOD : SBPF_DIV) | SBPF_X, 0),
                                    S(SBPF_ALU | SBPF_ADD | SBPF_K, 1000), RET_A};
        pkt[4] = 0; /* X = 0: the program returns 0 */
        CHECK_EQ(jit_once(prog, 5, pkt, 16, 16), 0);
        pkt[4] = 1; /* X = 4 */
        CHECK_EQ(jit_once(prog, 5, pkt, 16, 16), 1000u + (mod ? 7 % 4 : 7 / 4));
    }
    /* Constant divisors: powers of two and others. */
    static const uint32_t ks[] = {1, 2, 3, 7, 16, 0x80000000u, 0xffffffffu, 1000};
    for (unsigned i = 0; i < 8; i++)
        for (int mod = 0; mod <= 1; mod++) {
            struct sbpf_insn prog[3] = {S(SBPF_LD | SBPF_IMM, 0xfedcba98u),
                                        S(SBPF_ALU | (mod ? SBPF_MOD : SBPF_DIV) | SBPF_K, ks[i]),
                                        RET_A};
            CHECK_EQ(jit_once(prog, 3, pkt, 16, 16),
                     mod ? 0xfedcba98u % ks[i] : 0xfedcba98u / ks[i]);
        }
}

static void test_shifts_and_alu(void)
{
    uint8_t pkt[4] = {0};
    static const uint32_t counts[] = {0, 1, 31, 32, 33, 255, 0x80000000u, 0xffffffffu};
    for (unsigned c = 0; c < 8; c++) {
        for (int right = 0; right <= 1; right++) {
            struct sbpf_insn prog[4] = {
                S(SBPF_LDX | SBPF_IMM, counts[c]), S(SBPF_LD | SBPF_IMM, 0x80000001u),
                S(SBPF_ALU | (right ? SBPF_RSH : SBPF_LSH) | SBPF_X, 0), RET_A};
            uint32_t want = counts[c] >= 32 ? 0
                            : right         ? 0x80000001u >> counts[c]
                                            : 0x80000001u << counts[c];
            CHECK_EQ(jit_once(prog, 4, pkt, 4, 4), want);
        }
    }
    /* Every ALU op by K with an immediate of each encoding width, and by X. */
    static const uint16_t ops[] = {SBPF_ADD, SBPF_SUB, SBPF_MUL, SBPF_AND, SBPF_OR, SBPF_XOR};
    static const uint32_t ks[] = {0,           1,           5,           127,
                                  128,         0xff,        0x100,       0x7fffffffu,
                                  0x80000000u, 0xffffff80u, 0xffffffffu, 12345678};
    for (unsigned o = 0; o < 6; o++)
        for (unsigned k = 0; k < 12; k++) {
            struct sbpf_insn by_k[3] = {S(SBPF_LD | SBPF_IMM, 0x9abcdef0u),
                                        S(SBPF_ALU | ops[o] | SBPF_K, ks[k]), RET_A};
            uint32_t got = jit_once(by_k, 3, pkt, 4, 4);
            struct sbpf_insn by_x[4] = {S(SBPF_LDX | SBPF_IMM, ks[k]),
                                        S(SBPF_LD | SBPF_IMM, 0x9abcdef0u),
                                        S(SBPF_ALU | ops[o] | SBPF_X, 0), RET_A};
            CHECK_EQ(jit_once(by_x, 4, pkt, 4, 4), got);
        }
    struct sbpf_insn neg[3] = {S(SBPF_LD | SBPF_IMM, 5), S(SBPF_ALU | SBPF_NEG, 0), RET_A};
    CHECK_EQ(jit_once(neg, 3, pkt, 4, 4), 0xfffffffbu);
    /* Conditional jumps with each compare form and immediates around the encodings. */
    static const uint16_t jops[] = {SBPF_JEQ, SBPF_JGT, SBPF_JGE, SBPF_JSET};
    static const uint32_t as[] = {0, 1, 0x7f, 0x80, 0xff, 0x100, 0x80000000u, 0xffffffffu};
    for (unsigned o = 0; o < 4; o++)
        for (unsigned a = 0; a < 8; a++)
            for (unsigned k = 0; k < 8; k++) {
                struct sbpf_insn prog[5] = {
                    S(SBPF_LD | SBPF_IMM, as[a]), J(SBPF_JMP | jops[o] | SBPF_K, as[k], 0, 1),
                    S(SBPF_RET | SBPF_K, 1), S(SBPF_RET | SBPF_K, 2), RET_A};
                uint32_t v = jit_once(prog, 5, pkt, 4, 4);
                prog[1] = J(SBPF_JMP | jops[o] | SBPF_X, 0, 0, 1);
                struct sbpf_insn with_x[6] = {
                    S(SBPF_LDX | SBPF_IMM, as[k]), prog[0], prog[1], prog[2], prog[3], prog[4]};
                CHECK_EQ(jit_once(with_x, 6, pkt, 4, 4), v);
            }
}

/* All 16 slots, and slots read before any store are 0 on every packet even though the native
 * code keeps them on the stack between calls. */
static void test_scratch_memory(void)
{
    uint8_t pkt[4] = {0};
    struct sbpf_insn prog[6 * SBPF_MEMWORDS + 2];
    unsigned n = 0;
    for (unsigned s = 0; s < SBPF_MEMWORDS; s++) {
        prog[n++] = S(SBPF_LD | SBPF_IMM, 1u << (s * 2));
        if (s % 2) {
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
        } else {
            prog[n++] = S(SBPF_MISC | SBPF_TAX, 0);
            prog[n++] = S(SBPF_LD | SBPF_MEM, s);
            prog[n++] = S(SBPF_ALU | SBPF_ADD | SBPF_X, 0);
        }
    }
    prog[n++] = RET_A;
    CHECK_EQ(jit_once(prog, n, pkt, 4, 4), 0x55555555u);

    /* wirelen 1 stores 7 in every slot; other packets read the slots without storing, and
     * must see 0 even right after a packet that stored. */
    struct sbpf_insn unset[3 + 3 * SBPF_MEMWORDS + 1];
    unsigned u = 0;
    unset[u++] = S(SBPF_LD | SBPF_W | SBPF_LEN, 0);
    unset[u++] = J(SBPF_JMP | SBPF_JEQ | SBPF_K, 1, 0, SBPF_MEMWORDS + 1);
    unset[u++] = S(SBPF_LD | SBPF_IMM, 7);
    for (unsigned s = 0; s < SBPF_MEMWORDS; s++)
        unset[u++] = S(SBPF_ST, s);
    for (unsigned s = 0; s < SBPF_MEMWORDS; s++) {
        unset[u++] = S(SBPF_LDX | SBPF_MEM, s);
        unset[u++] = S(SBPF_ALU | SBPF_ADD | SBPF_X, 0);
    }
    unset[u++] = RET_A;
    struct sbpf_filter *f = make_filter(unset, u);
    if (!f)
        return;
    struct sbpf_prog_info info;
    sbpf_prog_info(unset, u, &info);
    CHECK_EQ(info.maybe_unset_slots, 0xffff);
    uint32_t stored = 7 + 7 * SBPF_MEMWORDS;
    for (int round = 0; round < 3; round++) {
        CHECK_EQ(f->native(pkt, 1, 4), stored);
        CHECK_EQ(f->native(pkt, 2, 4), 2);
    }
    const uint8_t *pkts[4] = {pkt, pkt, pkt, pkt};
    uint32_t wl[4] = {1, 2, 1, 5}, cl[4] = {4, 4, 4, 4}, v[4];
    f->native_burst(pkts, wl, cl, v, 4);
    CHECK_EQ(v[0], stored);
    CHECK_EQ(v[1], 2);
    CHECK_EQ(v[2], stored);
    CHECK_EQ(v[3], 5);
    sbpf_filter_destroy(f);

    /* A and X start at 0 for every packet of a burst too, where a path reads them unset. */
    struct sbpf_insn x_unset[5] = {S(SBPF_LD | SBPF_W | SBPF_LEN, 0),
                                   J(SBPF_JMP | SBPF_JEQ | SBPF_K, 1, 0, 1),
                                   S(SBPF_LDX | SBPF_IMM, 99), S(SBPF_MISC | SBPF_TXA, 0), RET_A};
    f = make_filter(x_unset, 5);
    if (!f)
        return;
    f->native_burst(pkts, wl, cl, v, 4);
    CHECK_EQ(v[0], 99);
    CHECK_EQ(v[1], 0);
    CHECK_EQ(v[2], 99);
    CHECK_EQ(v[3], 0);
    CHECK_EQ(f->native(pkt, 1, 4), 99);
    CHECK_EQ(f->native(pkt, 2, 4), 0);
    sbpf_filter_destroy(f);
    struct sbpf_insn a_unset[4] = {J(SBPF_JMP | SBPF_JEQ | SBPF_K, 0, 1, 0),
                                   S(SBPF_RET | SBPF_K, 9), S(SBPF_LD | SBPF_W | SBPF_LEN, 0),
                                   RET_A};
    f = make_filter(a_unset, 4);
    if (!f)
        return;
    f->native_burst(pkts, wl, cl, v, 4);
    CHECK_EQ(v[0], 1);
    CHECK_EQ(v[1], 2);
    CHECK_EQ(v[2], 1);
    CHECK_EQ(v[3], 5);
    sbpf_filter_destroy(f);
}

/* A program of n insns: every third insn a test jumping `span` insns ahead (every other
 * test only 2 when mixed), the others adds; the verdict depends on wirelen. */
static unsigned build_jumpy(struct sbpf_insn *prog, unsigned n, unsigned span, bool mixed)
{
    unsigned i = 0;
    prog[i++] = S(SBPF_LD | SBPF_W | SBPF_LEN, 0);
    prog[i++] = S(SBPF_MISC | SBPF_TAX, 0);
    prog[i++] = S(SBPF_LD | SBPF_IMM, 0);
    while (i < n - 1) {
        unsigned room = n - 2 - i;
        unsigned want = mixed && i % 6 == 0 ? 2 : span;
        unsigned jt = want < room ? want : room;
        if (i % 3 == 0)
            prog[i] = J(SBPF_JMP | SBPF_JGT | SBPF_X, 0, (uint8_t)jt, 0);
        else
            prog[i] = S(SBPF_ALU | SBPF_ADD | SBPF_K, i);
        i++;
    }
    prog[i++] = RET_A;
    return i;
}

static void test_jump_widths_and_length(void)
{
    uint8_t pkt[4] = {0};
    struct sbpf_insn *prog = calloc(SBPF_MAX_INSNS, sizeof(*prog));
    char err[200], note[200];

    /* Short program: every jump fits 8 bits, the burst loop's too. */
    unsigned n = build_jumpy(prog, 12, 2, false);
    struct sbpf_filter *f = sbpf_filter_create(prog, n, true, err, sizeof(err), note, sizeof(note));
    CHECK(f && f->native);
    CHECK(f && f->jit.short_jumps > 0);
    CHECK(f && f->jit.near_jumps == 0);
    for (uint32_t wl = 0; f && wl < 64; wl++)
        CHECK_EQ(f->native(pkt, wl, 4), sbpf_interp(prog, n, pkt, wl, 4));
    sbpf_filter_destroy(f);

    /* The longest program, its jumps spanning 255 insns: both widths appear. */
    n = build_jumpy(prog, SBPF_MAX_INSNS, 255, true);
    CHECK_EQ(n, SBPF_MAX_INSNS);
    f = sbpf_filter_create(prog, n, true, err, sizeof(err), note, sizeof(note));
    CHECK(f && f->native);
    CHECK(f && f->jit.short_jumps > 0);
    CHECK(f && f->jit.near_jumps > 0);
    if (f)
        fprintf(stderr,
                "4096-insn program: %zu bytes of code, %u short and %u near jumps, %u passes\n",
                f->code_size, f->jit.short_jumps, f->jit.near_jumps, f->jit.passes);
    /* Settled by itself, before the fallback that widens every jump. */
    CHECK(f && f->jit.passes < 16); /* both entry points together */
    for (uint32_t wl = 0; f && wl < 5000; wl += 7)
        CHECK_EQ(jit_run(f, pkt, wl, 4), sbpf_interp(prog, n, pkt, wl, 4));
    sbpf_filter_destroy(f);

    /* Unconditional jumps: across the whole program (rel32) and over one insn (rel8). */
    n = SBPF_MAX_INSNS;
    for (unsigned i = 0; i < n; i++)
        prog[i] = S(SBPF_ALU | SBPF_ADD | SBPF_K, 1);
    prog[0] = S(SBPF_LD | SBPF_W | SBPF_LEN, 0);
    prog[1] = J(SBPF_JMP | SBPF_JEQ | SBPF_K, 5, 0, 1);
    prog[2] = S(SBPF_JMP | SBPF_JA, n - 2 - 3); /* to the last add */
    prog[3] = S(SBPF_JMP | SBPF_JA, 1);
    prog[n - 1] = RET_A;
    f = sbpf_filter_create(prog, n, true, err, sizeof(err), note, sizeof(note));
    CHECK(f && f->native && f->jit.near_jumps > 0);
    CHECK_EQ(f ? jit_run(f, pkt, 5, 4) : 0, 6);
    CHECK_EQ(f ? jit_run(f, pkt, 6, 4) : 0, 6 + (n - 6));
    sbpf_filter_destroy(f);
    free(prog);
}

/* Loads whose value only meets JEQ #k / JSET #k skip the byte swap and the test compares
 * with k in memory order; everything else about them must stay the same. */
static void test_unswapped_loads(void)
{
    uint8_t pkt[16] = {0x08, 0x00, 0x86, 0xdd, 0x12, 0x34, 0x56, 0x78, 0xff, 0x00, 0x00, 0x01};
    static const uint32_t ks[] = {0x0800,     0x0008,     0x86dd,     0xdd86,     0x10800,
                                  0xffff0800, 0x12345678, 0x78563412, 0xff000001, 0x010000ff,
                                  0x80,       0x8000,     0x00010000, 0};
    static const uint16_t sizes[] = {SBPF_H, SBPF_W};
    for (unsigned s = 0; s < 2; s++)
        for (uint32_t off = 0; off < 10; off += 2)
            for (unsigned k = 0; k < sizeof(ks) / sizeof(ks[0]); k++) {
                /* A chain of tests of one load: 1 if equal, else 2 if any bit is set, else 3. */
                struct sbpf_insn chain[6] = {S(SBPF_LD | sizes[s] | SBPF_ABS, off),
                                             J(SBPF_JMP | SBPF_JEQ | SBPF_K, ks[k], 2, 0),
                                             J(SBPF_JMP | SBPF_JSET | SBPF_K, ks[k], 2, 0),
                                             S(SBPF_RET | SBPF_K, 3),
                                             S(SBPF_RET | SBPF_K, 1),
                                             S(SBPF_RET | SBPF_K, 2)};
                uint32_t a = 0;
                for (unsigned b = 0; b < (s ? 4u : 2u); b++)
                    a = a << 8 | pkt[off + b];
                CHECK_EQ(jit_once(chain, 6, pkt, 16, 16), a == ks[k] ? 1 : (a & ks[k]) ? 2 : 3);
                /* The same value also returned: it must be in host order there. */
                struct sbpf_insn ret[4] = {S(SBPF_LD | sizes[s] | SBPF_IND, off),
                                           J(SBPF_JMP | SBPF_JEQ | SBPF_K, ks[k], 0, 1),
                                           S(SBPF_RET | SBPF_K, 7), RET_A};
                jit_once(ret, 4, pkt, 16, 16);
                /* Also compared by magnitude on one branch. */
                struct sbpf_insn gt[6] = {S(SBPF_LD | sizes[s] | SBPF_ABS, off),
                                          J(SBPF_JMP | SBPF_JEQ | SBPF_K, ks[k], 0, 1),
                                          J(SBPF_JMP | SBPF_JGT | SBPF_K, ks[k], 1, 2),
                                          S(SBPF_RET | SBPF_K, 1),
                                          S(SBPF_RET | SBPF_K, 2),
                                          S(SBPF_RET | SBPF_K, 3)};
                jit_once(gt, 6, pkt, 16, 16);
                /* Two loads meet at one test: A may come from either. */
                struct sbpf_insn meet[8] = {S(SBPF_LD | SBPF_W | SBPF_LEN, 0),
                                            J(SBPF_JMP | SBPF_JGT | SBPF_K, 8, 0, 2),
                                            S(SBPF_LD | sizes[s] | SBPF_ABS, off),
                                            S(SBPF_JMP | SBPF_JA, 1),
                                            S(SBPF_LD | sizes[1 - s] | SBPF_ABS, off),
                                            J(SBPF_JMP | SBPF_JEQ | SBPF_K, ks[k], 0, 1),
                                            S(SBPF_RET | SBPF_K, 4),
                                            S(SBPF_RET | SBPF_K, 6)};
                for (uint32_t wl = 4; wl < 12; wl += 6)
                    jit_once(meet, 8, pkt, wl, 16);
                /* Stored, moved to X, or tested after a loop: all need host order. */
                struct sbpf_insn st[6] = {S(SBPF_LD | sizes[s] | SBPF_ABS, off),
                                          J(SBPF_JMP | SBPF_JEQ | SBPF_K, ks[k], 0, 2),
                                          S(SBPF_MISC | SBPF_TAX, 0),
                                          S(SBPF_MISC | SBPF_TXA, 0),
                                          S(SBPF_ST, 3),
                                          S(SBPF_RET | SBPF_K, 5)};
                jit_once(st, 6, pkt, 16, 16);
            }
    /* Loads at both ends of a loop meet at its head's test: X walks the halfwords until
     * one equals 0x0001 (at offset 10). */
    struct sbpf_insn looping[9] = {S(SBPF_LDX | SBPF_IMM, 0),
                                   S(SBPF_LD | SBPF_H | SBPF_IND, 0),
                                   J(SBPF_JMP | SBPF_JEQ | SBPF_K, 0x0001, 5, 0),
                                   S(SBPF_MISC | SBPF_TXA, 0),
                                   S(SBPF_ALU | SBPF_ADD | SBPF_K, 2),
                                   S(SBPF_MISC | SBPF_TAX, 0),
                                   S(SBPF_LD | SBPF_H | SBPF_IND, 0),
                                   S(SBPF_JMP | SBPF_JA, (uint32_t)-6),
                                   RET_A};
    CHECK_EQ(jit_once(looping, 9, pkt, 16, 16), 0x0001);
    CHECK_EQ(jit_once(looping, 9, pkt, 16, 11), 0); /* runs off the captured bytes */
}

/* The bulkiest program: 4096 insns, each its own budgeted block (the program loops), of the
 * forms with the longest machine code. It must fit the code bound and still run right. */
static void test_largest_code(void)
{
    struct sbpf_insn *prog = calloc(SBPF_MAX_INSNS, sizeof(*prog));
    unsigned n = SBPF_MAX_INSNS;
    prog[0] = S(SBPF_LDX | SBPF_IMM, 0);
    for (unsigned i = 1; i < n - 2; i++) {
        switch (i % 4) {
        case 0:
            prog[i] = S(SBPF_LD | SBPF_W | SBPF_IND, 0x7ffffff0u + i % 16);
            break;
        case 1:
            prog[i] = J(SBPF_JMP | SBPF_JGT | SBPF_K, 0x12345678u, 200, 100);
            break;
        case 2:
            prog[i] = S(SBPF_RET | SBPF_K, 0x87654321u);
            break;
        default:
            prog[i] = S(SBPF_ALU | SBPF_DIV | SBPF_X, 0);
            break;
        }
        if (SBPF_CLASS(prog[i].code) == SBPF_JMP && i + 1 + 200 > n - 2)
            prog[i].jt = prog[i].jf = 0;
    }
    prog[1] = J(SBPF_JMP | SBPF_JEQ | SBPF_K, 0, 0, 0); /* the loop's head */
    prog[n - 2] = S(SBPF_JMP | SBPF_JA, (uint32_t)(1 - (int32_t)(n - 2) - 1));
    prog[n - 1] = S(SBPF_RET | SBPF_A, 0);
    char err[200];
    CHECK_EQ(sbpf_validate_structure(prog, n, err, sizeof(err)), 0);
    struct sbpf_filter *f = make_filter(prog, n);
    if (f) {
        fprintf(stderr, "bulkiest 4096-insn program: %zu bytes of code (bound %u)\n", f->code_size,
                SBPF_JIT_MAX_CODE);
        CHECK(f->code_size <= SBPF_JIT_MAX_CODE);
        uint8_t pkt[64] = {0};
        for (uint32_t wl = 0; wl < 8; wl++)
            jit_run(f, pkt, wl, wl * 8);
    }
    sbpf_filter_destroy(f);
    free(prog);
}

/* Looping programs: the budget is charged per block in native code and per insn in the
 * interpreter; the verdicts agree right at the edge. */
static void test_budget(void)
{
    uint8_t pkt[4] = {0};
    struct sbpf_insn countdown[5] = {
        S(SBPF_LD | SBPF_IMM, 0),           J(SBPF_JMP | SBPF_JEQ | SBPF_K, 0, 2, 0),
        S(SBPF_ALU | SBPF_SUB | SBPF_K, 1), S(SBPF_JMP | SBPF_JA, (uint32_t)-3),
        S(SBPF_RET | SBPF_K, 77),
    };
    uint32_t edge = (SBPF_INSN_BUDGET - 3) / 3;
    uint32_t rounds[] = {0, 1, 100, edge - 1, edge, edge + 1, 0xffffffffu};
    for (unsigned r = 0; r < sizeof(rounds) / sizeof(rounds[0]); r++) {
        countdown[0].k = rounds[r];
        uint32_t want = rounds[r] <= edge ? 77 : 0;
        CHECK_EQ(jit_once(countdown, 5, pkt, 4, 4), want);
    }
    /* The budget also ends a loop whose exit depends on the packet. */
    struct sbpf_insn by_packet[5] = {
        S(SBPF_LD | SBPF_B | SBPF_ABS, 0),
        J(SBPF_JMP | SBPF_JSET | SBPF_K, 1, 2, 0),
        S(SBPF_ALU | SBPF_ADD | SBPF_K, 0),
        S(SBPF_JMP | SBPF_JA, (uint32_t)-3),
        S(SBPF_RET | SBPF_K, 9),
    };
    pkt[0] = 1;
    CHECK_EQ(jit_once(by_packet, 5, pkt, 4, 4), 9);
    pkt[0] = 2;
    CHECK_EQ(jit_once(by_packet, 5, pkt, 4, 4), 0);
}

/* The protochain cases give the same verdicts in native code as in the interpreter. */
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
        uint32_t len = diff_chain_frame(k, frame);
        struct sbpf_filter *f = make_filter(prog, n);
        if (f && f->native) {
            CHECK_EQ(f->native(frame, len, len), k->want);
            const uint8_t *pkts[1] = {frame};
            uint32_t lens[1] = {len}, v[1] = {7};
            f->native_burst(pkts, lens, lens, v, 1);
            CHECK_EQ(v[0], k->want);
        }
        sbpf_filter_destroy(f);
        free(prog);
    }
}

/* Compile failures leave a working filter on the interpreter with a note saying why. */
static void test_fallback_and_mapping(void)
{
    uint8_t pkt[60] = {0};
    pkt[12] = 0x08;
    pkt[23] = 6;
    unsigned n;
    struct sbpf_insn *prog = diff_compile("tcp", 1, &n);
    CHECK(prog != NULL);
    if (!prog)
        return;
    char err[200], note[200];
    struct sbpf_filter *f =
        sbpf_filter_create_limited(prog, n, true, 16, err, sizeof(err), note, sizeof(note));
    CHECK(f != NULL);
    CHECK(f && f->native == NULL && f->native_burst == NULL);
    CHECK(strstr(note, "JIT failed") && strstr(note, "16"));
    fprintf(stderr, "fallback note: %s\n", note);
    CHECK_EQ(f ? sbpf_filter_run(f, pkt, 60, 60) : 0, 262144);
    const uint8_t *pkts[2] = {pkt, pkt};
    uint32_t lens[2] = {60, 20}, v[2] = {1, 1};
    if (f)
        sbpf_filter_run_burst(f, pkts, lens, lens, v, 2);
    CHECK_EQ(v[0], 262144);
    CHECK_EQ(v[1], 0);
    sbpf_filter_destroy(f);

    f = sbpf_filter_create(prog, n, false, err, sizeof(err), note, sizeof(note));
    CHECK(f && f->native == NULL);
    CHECK(strstr(note, "not requested") != NULL);
    sbpf_filter_destroy(f);

    /* The native code's mapping is read+execute, never writable. */
    f = make_filter(prog, n);
    if (f && f->native) {
        FILE *maps = fopen("/proc/self/maps", "r");
        char line[512];
        bool found = false;
        while (maps && fgets(line, sizeof(line), maps)) {
            unsigned long lo, hi;
            char perms[8];
            if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3)
                continue;
            if ((uintptr_t)f->code >= lo && (uintptr_t)f->code < hi) {
                found = true;
                CHECK_STR(perms, "r-xp");
            }
        }
        if (maps)
            fclose(maps);
        CHECK(found);
        CHECK_EQ(sbpf_filter_run(f, pkt, 60, 60), 262144);
        /* Bursts of every size up to 40 (and 0, which must touch nothing). */
        const uint8_t *many[40];
        uint32_t wl[40], cl[40], out[40];
        for (unsigned i = 0; i < 40; i++) {
            many[i] = pkt;
            wl[i] = 60;
            cl[i] = i % 3 ? 60 : 20;
        }
        for (unsigned count = 0; count <= 40; count++) {
            for (unsigned i = 0; i < 40; i++)
                out[i] = 0xdead;
            sbpf_filter_run_burst(f, many, wl, cl, out, count);
            for (unsigned i = 0; i < 40; i++)
                CHECK_EQ(out[i], i < count ? (cl[i] == 60 ? 262144u : 0u) : 0xdeadu);
        }
    }
    sbpf_filter_destroy(f);
    free(prog);
}

/* ---- differential runs ---- */

struct diff_stats {
    unsigned programs, mixed;
    unsigned long long evaluations, compared, over_budget, mismatches, accepted;
};

static void mismatch(struct diff_stats *st, const char *label, const struct sbpf_filter *f,
                     const char *what, uint32_t wirelen, uint32_t caplen, uint32_t got,
                     uint32_t want)
{
    if (st->mismatches++ < 5) {
        fprintf(stderr, "MISMATCH %s: %s: wirelen %u caplen %u: JIT %u, expected %u\n", label, what,
                wirelen, caplen, got, want);
        if (f->n < 64)
            diff_print_insn(f->prog, f->n);
    }
}

/* Checks one batch of verdicts from the burst entry against the per-packet entry, the
 * interpreter (when the reference may be undefined) and libpcap. */
static void diff_batch(struct diff_stats *st, const char *label, const struct sbpf_filter *f,
                       bool need_interp, const uint8_t *const *pkts, const uint32_t *wirelens,
                       const uint32_t *caplens, unsigned count, uint32_t *verdicts)
{
    /* Odd-sized bursts, so the loop's edges are exercised too. */
    for (unsigned at = 0; at < count;) {
        unsigned chunk = 1 + (at * 2654435761u >> 27) % 64;
        if (chunk > count - at)
            chunk = count - at;
        f->native_burst(pkts + at, wirelens + at, caplens + at, verdicts + at, chunk);
        at += chunk;
    }
    for (unsigned i = 0; i < count; i++) {
        uint32_t got = verdicts[i];
        st->evaluations++;
        st->accepted += got != 0;
        if (i % 4 == 0) {
            uint32_t single = f->native(pkts[i], wirelens[i], caplens[i]);
            if (single != got)
                mismatch(st, label, f, "per-packet entry vs burst", wirelens[i], caplens[i], single,
                         got);
        }
        if (need_interp) {
            bool oob;
            uint32_t want = sbpf_interp_ex(f->prog, f->n, pkts[i], wirelens[i], caplens[i], &oob);
            if (got != want)
                mismatch(st, label, f, "vs interpreter", wirelens[i], caplens[i], got, want);
            if (oob) {
                st->over_budget++;
                continue;
            }
        }
        uint32_t want = diff_reference(f->prog, pkts[i], wirelens[i], caplens[i]);
        st->compared++;
        if (got != want)
            mismatch(st, label, f, "vs libpcap", wirelens[i], caplens[i], got, want);
    }
}

/* The interpreter alone is the reference (libpcap reads unset slots from its stack). */
static void diff_batch_interp_only(struct diff_stats *st, const char *label,
                                   const struct sbpf_filter *f, const uint8_t *const *pkts,
                                   const uint32_t *wirelens, const uint32_t *caplens,
                                   unsigned count, uint32_t *verdicts)
{
    f->native_burst(pkts, wirelens, caplens, verdicts, count);
    for (unsigned i = 0; i < count; i++) {
        st->evaluations++;
        st->accepted += verdicts[i] != 0;
        uint32_t want = sbpf_interp(f->prog, f->n, pkts[i], wirelens[i], caplens[i]);
        if (verdicts[i] != want)
            mismatch(st, label, f, "vs interpreter", wirelens[i], caplens[i], verdicts[i], want);
    }
}

static void diff_program(struct diff_stats *st, const char *label, const struct sbpf_insn *prog,
                         unsigned n, const struct diff_packets *d, struct diff_guard *g,
                         unsigned long max_packets, bool reference_defined)
{
    struct sbpf_filter *f = make_filter(prog, n);
    if (!f || !f->native) {
        sbpf_filter_destroy(f);
        return;
    }
    struct sbpf_prog_info info;
    sbpf_prog_info(prog, n, &info);
    bool need_interp = info.has_backward_jumps;
    st->programs++;
    unsigned long long evaluations = st->evaluations, accepted = st->accepted;
    uint32_t *verdicts = malloc(sizeof(*verdicts) * d->nframes);
    unsigned long done = 0;
    for (unsigned r = 0; r < d->rounds && done < max_packets; r++) {
        unsigned count = d->nframes;
        if (max_packets - done < count)
            count = (unsigned)(max_packets - done);
        const uint32_t *caplens = d->caplens + (size_t)r * d->nframes;
        const uint32_t *wirelens = d->wirelens + (size_t)r * d->nframes;
        if (reference_defined)
            diff_batch(st, label, f, need_interp, d->pkts, wirelens, caplens, count, verdicts);
        else
            diff_batch_interp_only(st, label, f, d->pkts, wirelens, caplens, count, verdicts);
        done += count;
    }
    /* Frames cut at every length from 0, ending at the guard page. */
    unsigned sweeps = max_packets < 100000 ? 2 : 48;
    for (unsigned s = 0; s < sweeps && s < d->nframes; s++) {
        unsigned i = (s * 7919u) % d->nframes;
        for (uint32_t caplen = 0; caplen <= d->lens[i]; caplen++) {
            const uint8_t *p = diff_guard_place(g, d->frames[i], caplen);
            uint32_t wirelen = d->lens[i];
            if (reference_defined)
                diff_batch(st, label, f, need_interp, &p, &wirelen, &caplen, 1, verdicts);
            else
                diff_batch_interp_only(st, label, f, &p, &wirelen, &caplen, 1, verdicts);
        }
    }
    accepted = st->accepted - accepted;
    st->mixed += accepted > 0 && accepted < st->evaluations - evaluations;
    free(verdicts);
    sbpf_filter_destroy(f);
}

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

#define LOOPING_PROGRAMS 12
#define LOOPING_PACKETS (DIFF_UNDER_SANITIZER ? 500 : 2000)

static void test_differential(struct diff_guard *g)
{
    unsigned long per_program = diff_packets_per_program();
    fprintf(stderr, "differential: %lu packets per program%s\n", per_program,
            DIFF_UNDER_SANITIZER ? " (sanitizer build: 100k default)" : "");
    struct diff_packets d;
    diff_packets_build(&d, per_program, 0x5eed2);

    static struct diff_corpus_entry corpus[160];
    unsigned count = diff_corpus_build(corpus, 160);
    CHECK(count >= 50);
    struct diff_stats st = {0};
    double t0 = now_s();
    for (unsigned c = 0; c < count; c++)
        diff_program(&st, corpus[c].label, corpus[c].prog, corpus[c].n, &d, g, per_program, true);
    print_stats("corpus", &st, now_s() - t0);
    CHECK_EQ(st.programs, count);
    CHECK_EQ(st.mismatches, 0);
    CHECK(st.compared >= (unsigned long long)count * per_program);
    CHECK(st.mixed * 10 >= st.programs * 9);
    diff_corpus_free(corpus, count);

    struct gen_rng r;
    gen_rng_seed(&r, 0x717);
    struct sbpf_insn *prog = malloc(sizeof(*prog) * SBPF_MAX_INSNS);
    struct diff_stats rs = {0};
    unsigned random_programs = DIFF_UNDER_SANITIZER ? 30 : 150;
    unsigned short_only = 0, with_near = 0;
    t0 = now_s();
    for (unsigned p = 0; p < random_programs; p++) {
        unsigned n = gen_program_len(&r);
        gen_program(&r, prog, n, true);
        char label[48];
        snprintf(label, sizeof(label), "random program %u (%u insns)", p, n);
        struct sbpf_jit_code code;
        if (sbpf_jit_compile(prog, n, SBPF_JIT_MAX_CODE, &code, NULL, 0) == 0) {
            short_only += code.near_jumps == 0;
            with_near += code.near_jumps > 0;
            sbpf_jit_free(&code);
        }
        diff_program(&rs, label, prog, n, &d, g, per_program, true);
    }
    print_stats("random", &rs, now_s() - t0);
    fprintf(stderr, "random: %u programs with only 8-bit jumps, %u with 32-bit ones\n", short_only,
            with_near);
    CHECK(short_only > 0 && with_near > 0);
    CHECK_EQ(rs.mismatches, 0);

    /* Programs that read slots before storing them: zeroing, against the interpreter. */
    struct diff_stats us = {0};
    t0 = now_s();
    for (unsigned p = 0; p < random_programs / 3; p++) {
        unsigned n = 2 + gen_below(&r, 200);
        gen_program(&r, prog, n, false);
        char label[48];
        snprintf(label, sizeof(label), "unset-slot program %u (%u insns)", p, n);
        diff_program(&us, label, prog, n, &d, g, per_program / 4, false);
    }
    print_stats("unset slots (vs interpreter)", &us, now_s() - t0);
    CHECK_EQ(us.mismatches, 0);

    struct diff_stats ls = {0};
    t0 = now_s();
    for (unsigned p = 0; p < LOOPING_PROGRAMS; p++) {
        unsigned n = 24 + gen_below(&r, 60);
        gen_looping_program(&r, prog, n);
        if (sbpf_validate_structure(prog, n, NULL, 0) != 0)
            continue;
        char label[48];
        snprintf(label, sizeof(label), "looping program %u (%u insns)", p, n);
        diff_program(&ls, label, prog, n, &d, g, LOOPING_PACKETS, true);
    }
    print_stats("looping", &ls, now_s() - t0);
    CHECK(ls.programs > 0);
    CHECK_EQ(ls.mismatches, 0);
    free(prog);
    diff_packets_free(&d);
}

int main(void)
{
    struct diff_guard g;
    diff_guard_init(&g, DIFF_FRAME_CAP);
    test_loads_at_the_edge(&g);
    test_indirect_overflow();
    test_huge_offsets();
    test_runtime_division_by_zero();
    test_shifts_and_alu();
    test_scratch_memory();
    test_jump_widths_and_length();
    test_budget();
    test_protochain_answers();
    test_largest_code();
    test_unswapped_loads();
    test_fallback_and_mapping();
    test_differential(&g);
    diff_guard_free(&g);
    return check_exit();
}

/* test_sbpf_validate.c - every rejection of the BPF validator, each with the instruction it
 * names, and the programs it must accept (the whole expression corpus, protochain loops). */
#include "check.h"
#include "test_sbpf_diff.h"

static char last_err[256];

#define S(code, k) ((struct sbpf_insn){(code), 0, 0, (k)})
#define J(code, k, jt, jf) ((struct sbpf_insn){(code), (jt), (jf), (k)})
#define RET_K(k) S(SBPF_RET | SBPF_K, (k))

/* Checks that prog is rejected with a message containing each non-NULL part. */
static void expect_reject(const char *what, const struct sbpf_insn *prog, unsigned n,
                          const char *part1, const char *part2)
{
    last_err[0] = '\0';
    int rc = sbpf_validate(prog, n, last_err, sizeof(last_err));
    CHECK_EQ(rc, -1);
    bool ok =
        rc == -1 && (!part1 || strstr(last_err, part1)) && (!part2 || strstr(last_err, part2));
    if (!ok)
        fprintf(stderr, "%s: got \"%s\", wanted \"%s\" and \"%s\"\n", what, last_err,
                part1 ? part1 : "", part2 ? part2 : "");
    CHECK(ok);
    /* A filter is never created from a rejected program. */
    char err2[256];
    CHECK(sbpf_filter_create(prog, n, true, err2, sizeof(err2), NULL, 0) == NULL);
    CHECK_STR(err2, last_err);
}

static void expect_accept(const char *what, const struct sbpf_insn *prog, unsigned n)
{
    last_err[0] = '\0';
    int rc = sbpf_validate(prog, n, last_err, sizeof(last_err));
    if (rc != 0)
        fprintf(stderr, "%s: rejected: %s\n", what, last_err);
    CHECK_EQ(rc, 0);
}

static void test_lengths(void)
{
    struct sbpf_insn one[1] = {RET_K(1)};
    expect_reject("empty", one, 0, "empty program", NULL);
    struct sbpf_insn *big = calloc(SBPF_MAX_INSNS + 1, sizeof(*big));
    for (unsigned i = 0; i <= SBPF_MAX_INSNS; i++)
        big[i] = RET_K(0);
    expect_reject("4097 insns", big, SBPF_MAX_INSNS + 1, "4097 insns", "at most 4096");
    expect_accept("4096 insns", big, SBPF_MAX_INSNS);
    expect_accept("1 insn", one, 1);
    free(big);
    CHECK_EQ(sbpf_validate(NULL, 3, last_err, sizeof(last_err)), -1);
}

static void test_unknown_opcodes(void)
{
    /* Codes that look close to real ones but that libpcap's interpreter has no case for. */
    static const uint16_t unknown[] = {
        SBPF_RET | 0x08,              /* RET with the X bit */
        SBPF_RET | 0x18,              /* reserved return source */
        SBPF_LD | SBPF_H | SBPF_IMM,  /* immediate loads are W only */
        SBPF_LD | SBPF_B | SBPF_LEN,  /* LEN is W only */
        SBPF_LD | SBPF_W | SBPF_MSH,  /* MSH is LDX B only */
        SBPF_LDX | SBPF_W | SBPF_ABS, /* LDX has no ABS */
        SBPF_LDX | SBPF_H | SBPF_MSH, /* MSH is byte-sized */
        SBPF_ST | 0x08,               /* ST with stray bits */
        SBPF_ALU | SBPF_NEG | SBPF_X, /* NEG has no X form */
        SBPF_ALU | 0xb0,              /* reserved ALU op */
        SBPF_ALU | 0xf0 | SBPF_X,     /* reserved ALU op */
        SBPF_JMP | SBPF_JA | SBPF_X,  /* JA has no X form */
        SBPF_JMP | 0x60,              /* reserved jump */
        SBPF_MISC | 0x08,             /* reserved misc */
        SBPF_MISC | SBPF_TXA | 0x08,  /* reserved misc */
        0x0106,                       /* bits above the low byte */
        0xff00 | SBPF_RET,            /* bits above the low byte */
    };
    for (unsigned u = 0; u < sizeof(unknown) / sizeof(unknown[0]); u++) {
        struct sbpf_insn prog[3] = {S(SBPF_LD | SBPF_IMM, 1), S(unknown[u], 0), RET_K(0)};
        char what[64], code[32];
        snprintf(what, sizeof(what), "opcode 0x%04x", unknown[u]);
        snprintf(code, sizeof(code), "0x%04x", unknown[u]);
        expect_reject(what, prog, 3, "insn 1:", code);
    }
    struct sbpf_insn high[2] = {S(0x0106, 0), RET_K(0)};
    expect_reject("high bits", high, 2, "insn 0:", "above the low byte");
}

/* Extensions of other BPF dialects that libpcap's bpf_filter() does not run either. */
static void test_extension_opcodes(void)
{
    struct sbpf_insn cop[2] = {S(SBPF_MISC | 0x20, 0), RET_K(0)};
    expect_reject("BPF_COP", cop, 2, "insn 0:", "BPF_COP ");
    struct sbpf_insn copx[2] = {S(SBPF_MISC | 0x40, 0), RET_K(0)};
    expect_reject("BPF_COPX", copx, 2, "insn 0:", "BPF_COPX");
    struct sbpf_insn bsdos_size[2] = {S(SBPF_LD | 0x18 | SBPF_ABS, 0), RET_K(0)};
    expect_reject("BSD/OS size", bsdos_size, 2, "insn 0:", "BSD/OS load");
    struct sbpf_insn bsdos_mode[2] = {S(SBPF_LD | SBPF_W | 0xc0, 0), RET_K(0)};
    expect_reject("BSD/OS mode 0xc0", bsdos_mode, 2, "insn 0:", "BSD/OS load");
    struct sbpf_insn bsdos_mode2[2] = {S(SBPF_LDX | SBPF_W | 0xe0, 0), RET_K(0)};
    expect_reject("BSD/OS mode 0xe0", bsdos_mode2, 2, "insn 0:", "BSD/OS load");
    struct sbpf_insn bsdos_jmp[3] = {J(SBPF_JMP | 0x50, 0, 0, 0), RET_K(0), RET_K(1)};
    expect_reject("BSD/OS jump", bsdos_jmp, 3, "insn 0:", "BSD/OS jump");

    /* What libpcap emits for `vlan` on a live Linux handle: ancillary loads. */
    struct sbpf_insn vlan_avail[3] = {S(SBPF_LD | SBPF_B | SBPF_ABS, 0xfffff000u + 48), RET_K(0),
                                      RET_K(1)};
    expect_reject("SKF_AD_VLAN_TAG_PRESENT", vlan_avail, 3, "insn 0:", "SKF_AD_OFF+48");
    struct sbpf_insn vlan_tci[2] = {S(SBPF_LD | SBPF_H | SBPF_ABS, 0xfffff000u + 44), RET_K(0)};
    expect_reject("SKF_AD_VLAN_TAG", vlan_tci, 2, "insn 0:", "ancillary");
    struct sbpf_insn net_off[2] = {S(SBPF_LD | SBPF_W | SBPF_ABS, 0xfff00000u), RET_K(0)};
    expect_reject("SKF_NET_OFF", net_off, 2, "insn 0:", "negative-offset");
    struct sbpf_insn ll_off[2] = {S(SBPF_LD | SBPF_B | SBPF_ABS, 0xffe00000u), RET_K(0)};
    expect_reject("SKF_LL_OFF", ll_off, 2, "insn 0:", "negative-offset");
    /* Just below the Linux range is an ordinary (always failing) load. */
    struct sbpf_insn far[2] = {S(SBPF_LD | SBPF_B | SBPF_ABS, 0xffdfffffu), RET_K(0)};
    expect_accept("far load", far, 2);
}

static void test_jumps(void)
{
    struct sbpf_insn jt_out[3] = {J(SBPF_JMP | SBPF_JEQ | SBPF_K, 0, 2, 0), RET_K(0), RET_K(1)};
    expect_reject("jt beyond end", jt_out, 3, "insn 0:", "beyond the end");
    struct sbpf_insn jf_out[4] = {S(SBPF_LD | SBPF_IMM, 0),
                                  J(SBPF_JMP | SBPF_JGT | SBPF_X, 0, 0, 255), RET_K(0), RET_K(1)};
    expect_reject("jf beyond end", jf_out, 4, "insn 1:", "target 257");
    struct sbpf_insn ja_out[3] = {S(SBPF_JMP | SBPF_JA, 2), RET_K(0), RET_K(1)};
    expect_reject("ja to the end", ja_out, 3, "insn 0:", "target 3");
    struct sbpf_insn ja_huge[3] = {S(SBPF_JMP | SBPF_JA, 0x7fffffff), RET_K(0), RET_K(1)};
    expect_reject("ja far beyond", ja_huge, 3, "insn 0:", "beyond the end");
    struct sbpf_insn ja_before[3] = {RET_K(0), S(SBPF_JMP | SBPF_JA, (uint32_t)-5), RET_K(1)};
    expect_reject("ja before start", ja_before, 3, "insn 1:", "before the start");
    struct sbpf_insn ja_min[3] = {RET_K(0), S(SBPF_JMP | SBPF_JA, 0x80000000u), RET_K(1)};
    expect_reject("ja by INT32_MIN", ja_min, 3, "insn 1:", "before the start");
    struct sbpf_insn ja_self[3] = {RET_K(0), S(SBPF_JMP | SBPF_JA, (uint32_t)-1), RET_K(1)};
    expect_reject("ja to itself", ja_self, 3, "insn 1:", "itself");
    /* Backward jumps other than protochain's loops (whose head is a conditional test). */
    struct sbpf_insn back_ld[4] = {S(SBPF_LD | SBPF_IMM, 0), S(SBPF_ALU | SBPF_ADD | SBPF_K, 1),
                                   S(SBPF_JMP | SBPF_JA, (uint32_t)-3), RET_K(1)};
    expect_reject("ja back to a load", back_ld, 4, "insn 2:", "protochain");
    struct sbpf_insn back_ja[4] = {J(SBPF_JMP | SBPF_JEQ | SBPF_K, 0, 2, 0),
                                   S(SBPF_JMP | SBPF_JA, 0), S(SBPF_JMP | SBPF_JA, (uint32_t)-2),
                                   RET_K(1)};
    expect_reject("ja back to a ja", back_ja, 4, "insn 2:", "not a conditional test");
    struct sbpf_insn back_ok[4] = {J(SBPF_JMP | SBPF_JEQ | SBPF_K, 7, 2, 0),
                                   S(SBPF_ALU | SBPF_ADD | SBPF_K, 1),
                                   S(SBPF_JMP | SBPF_JA, (uint32_t)-3), RET_K(1)};
    /* A test at the head is not enough: only protochain's own loops are admitted. */
    back_ok[0].jt = 2;
    expect_reject("loop with a test at its head", back_ok, 4, "insn 2:", "not a protochain loop");
    struct sbpf_insn fwd_ok[4] = {J(SBPF_JMP | SBPF_JSET | SBPF_K, 1, 1, 2), RET_K(0), RET_K(1),
                                  RET_K(2)};
    expect_accept("jumps to the last insn", fwd_ok, 4);
}

/* A program that loops on every packet: a test, a jump back to it, a return. It used to
 * spend the whole per-packet budget on every packet. */
static void test_spin_refused(void)
{
    struct sbpf_insn spin[3] = {J(SBPF_JMP | SBPF_JEQ | SBPF_K, 1, 0, 0),
                                S(SBPF_JMP | SBPF_JA, (uint32_t)-2), RET_K(0)};
    expect_reject("jeq; ja -2; ret", spin, 3, "insn 1: backward jump to insn 0",
                  "not a protochain loop");
    fprintf(stderr, "spin: %s\n", last_err);
}

static const char *const protochain_exprs[] = {
    "ip6 protochain 6",
    "ip protochain 17",
    "protochain 58",
    "vlan and ip6 protochain 17",
    "ip6 protochain 6 or ip protochain 17 or tcp port 80",
    "not ip6 protochain 44",
};

static struct sbpf_insn *compile_protochain(const char *expr, unsigned *n)
{
    struct sbpf_insn *prog = diff_compile(expr, 1, n);
    CHECK(prog != NULL);
    struct sbpf_prog_info info;
    if (prog) {
        sbpf_prog_info(prog, *n, &info);
        CHECK(info.has_backward_jumps);
    }
    return prog;
}

/* What pcap_compile emits for protochain is accepted; the same loops with anything changed
 * (a constant, a jump into the body, a jump back from elsewhere) are not. */
static void test_protochain_shape(void)
{
    for (unsigned e = 0; e < sizeof(protochain_exprs) / sizeof(protochain_exprs[0]); e++) {
        unsigned n;
        struct sbpf_insn *prog = compile_protochain(protochain_exprs[e], &n);
        if (!prog)
            continue;
        expect_accept(protochain_exprs[e], prog, n);
        free(prog);
    }

    unsigned n;
    struct sbpf_insn *prog = compile_protochain("ip6 protochain 6", &n);
    if (!prog)
        return;
    /* Find the loop: the first backward jump and its head. */
    unsigned back = 0, head = 0;
    for (unsigned i = 0; i < n && !back; i++)
        if (prog[i].code == (SBPF_JMP | SBPF_JA) && (int32_t)prog[i].k < 0) {
            back = i;
            head = (unsigned)((int)i + 1 + (int32_t)prog[i].k);
        }
    CHECK(back > head);
    struct sbpf_insn *m = malloc(sizeof(*m) * n);
    for (unsigned i = head; i <= back; i++) {
        /* Every instruction of the loop matters: bump its constant (or its jump). */
        memcpy(m, prog, sizeof(*m) * n);
        if (SBPF_CLASS(m[i].code) == SBPF_JMP && SBPF_OP(m[i].code) != SBPF_JA)
            m[i].jf = (uint8_t)(m[i].jf + 1);
        else if (m[i].code == (SBPF_MISC | SBPF_TAX) || m[i].code == (SBPF_MISC | SBPF_TXA) ||
                 m[i].code == (SBPF_ALU | SBPF_ADD | SBPF_X))
            m[i].code = SBPF_ALU | SBPF_ADD | SBPF_K;
        else if (SBPF_CLASS(m[i].code) == SBPF_ST || SBPF_MODE(m[i].code) == SBPF_MEM)
            m[i].k = (m[i].k + 1) % SBPF_MEMWORDS;
        else if (m[i].code == (SBPF_JMP | SBPF_JA))
            m[i].k += 1; /* back to the insn after the head */
        else
            m[i].k += 1;
        char what[64];
        snprintf(what, sizeof(what), "protochain loop changed at insn %u", i);
        expect_reject(what, m, n, NULL, "protochain");
    }
    /* A jump from before the loop into its body. */
    memcpy(m, prog, sizeof(*m) * n);
    CHECK(SBPF_CLASS(m[1].code) == SBPF_JMP && head > 1);
    m[1].jt = (uint8_t)(head + 3 - 2);
    expect_reject("jump into a protochain body", m, n, "insn 1: jump into the middle", NULL);
    free(m);
    free(prog);
}

/* The costliest path is bounded: multiply and divide count more than other instructions. */
static void test_cost(void)
{
    struct sbpf_insn *prog = calloc(SBPF_MAX_INSNS, sizeof(*prog));
    /* ld #x; (k - 2) multiplies by X; ret a: cost 1 + 4 (k - 2) + 1. */
    unsigned muls = (SBPF_MAX_COST - 2) / SBPF_COST_MUL;
    prog[0] = S(SBPF_LDX | SBPF_IMM, 3);
    for (unsigned i = 1; i <= muls; i++)
        prog[i] = S(SBPF_ALU | SBPF_MUL | SBPF_X, 0);
    prog[muls + 1] = S(SBPF_RET | SBPF_A, 0);
    CHECK_EQ(sbpf_worst_cost(prog, muls + 2), 2 + muls * SBPF_COST_MUL);
    expect_accept("multiplies within the cost bound", prog, muls + 2);
    prog[muls + 1] = S(SBPF_ALU | SBPF_MUL | SBPF_X, 0);
    prog[muls + 2] = S(SBPF_RET | SBPF_A, 0);
    expect_reject("one multiply too many", prog, muls + 3, "may cost", "more than 4096");
    /* By a power of two they are shifts, and cost 1. */
    for (unsigned i = 1; i <= muls + 1; i++)
        prog[i] = S(SBPF_ALU | SBPF_MUL | SBPF_K, 8);
    expect_accept("multiplies by 8", prog, muls + 3);
    unsigned divs = (SBPF_MAX_COST - 2) / SBPF_COST_DIV;
    for (unsigned i = 1; i <= divs + 1; i++)
        prog[i] = S(SBPF_ALU | SBPF_DIV | SBPF_K, 3);
    prog[divs + 2] = S(SBPF_RET | SBPF_A, 0);
    expect_reject("divides by 3", prog, divs + 3, "may cost", NULL);
    prog[divs + 1] = S(SBPF_RET | SBPF_A, 0);
    expect_accept("one divide fewer", prog, divs + 2);
    /* Only the costliest path counts: a test choosing between two runs of 600 multiplies. */
    prog[0] = J(SBPF_JMP | SBPF_JEQ | SBPF_K, 0, 0, 0);
    for (unsigned i = 1; i <= 1202; i++)
        prog[i] = S(SBPF_ALU | SBPF_MUL | SBPF_X, 0);
    prog[601] = RET_K(1);
    prog[1202] = RET_K(2);
    prog[0].jf = 0;
    prog[0].jt = 0;
    CHECK_EQ(sbpf_worst_cost(prog, 1203), 1 + 600 * SBPF_COST_MUL + 1);
    prog[0] = S(SBPF_JMP | SBPF_JA, 601); /* the second run only */
    CHECK_EQ(sbpf_worst_cost(prog, 1203), 1 + 600 * SBPF_COST_MUL + 1);
    free(prog);
}

static void test_memory_slots(void)
{
    static const uint16_t codes[] = {SBPF_LD | SBPF_MEM, SBPF_LDX | SBPF_MEM, SBPF_ST, SBPF_STX};
    static const char *const words[] = {"load from scratch slot 16", "load from scratch slot 16",
                                        "store to scratch slot 16", "store to scratch slot 16"};
    for (unsigned c = 0; c < 4; c++) {
        struct sbpf_insn prog[3] = {S(SBPF_LD | SBPF_IMM, 3), S(codes[c], 16), RET_K(0)};
        expect_reject(words[c], prog, 3, "insn 1:", words[c]);
        prog[1].k = 0xffffffffu;
        expect_reject("slot 2^32-1", prog, 3, "insn 1:", "4294967295");
        prog[1].k = 15;
        expect_accept("slot 15", prog, 3);
    }
}

static void test_constant_traps(void)
{
    struct sbpf_insn div0[3] = {S(SBPF_LD | SBPF_IMM, 3), S(SBPF_ALU | SBPF_DIV | SBPF_K, 0),
                                S(SBPF_RET | SBPF_A, 0)};
    expect_reject("div by 0", div0, 3, "insn 1:", "constant division by zero");
    struct sbpf_insn mod0[3] = {S(SBPF_LD | SBPF_IMM, 3), S(SBPF_ALU | SBPF_MOD | SBPF_K, 0),
                                S(SBPF_RET | SBPF_A, 0)};
    expect_reject("mod by 0", mod0, 3, "insn 1:", "constant modulo by zero");
    /* By X it is a run-time matter (the program returns 0). */
    struct sbpf_insn divx[3] = {S(SBPF_LD | SBPF_IMM, 3), S(SBPF_ALU | SBPF_DIV | SBPF_X, 0),
                                S(SBPF_RET | SBPF_A, 0)};
    expect_accept("div by X", divx, 3);

    static const uint16_t shifts[] = {SBPF_LSH, SBPF_RSH};
    static const uint32_t counts[] = {32, 33, 0xffffffffu};
    for (unsigned s = 0; s < 2; s++) {
        for (unsigned c = 0; c < 3; c++) {
            struct sbpf_insn prog[3] = {S(SBPF_LD | SBPF_IMM, 3),
                                        S(SBPF_ALU | shifts[s] | SBPF_K, counts[c]),
                                        S(SBPF_RET | SBPF_A, 0)};
            char by[32];
            snprintf(by, sizeof(by), "constant shift by %u", counts[c]);
            expect_reject(by, prog, 3, "insn 1:", by);
        }
        struct sbpf_insn ok[3] = {S(SBPF_LD | SBPF_IMM, 3), S(SBPF_ALU | shifts[s] | SBPF_K, 31),
                                  S(SBPF_RET | SBPF_A, 0)};
        expect_accept("shift by 31", ok, 3);
    }
}

static void test_last_insn(void)
{
    struct sbpf_insn no_ret[2] = {RET_K(1), S(SBPF_LD | SBPF_IMM, 0)};
    expect_reject("ends with a load", no_ret, 2, "insn 1:", "not a return");
    struct sbpf_insn ends_ja[3] = {RET_K(1), S(SBPF_JMP | SBPF_JA, 0), RET_K(1)};
    ends_ja[2] = S(SBPF_MISC | SBPF_TAX, 0);
    expect_reject("ends with tax", ends_ja, 3, "insn 2:", "not a return");
    struct sbpf_insn ret_a[1] = {S(SBPF_RET | SBPF_A, 0)};
    expect_accept("ret a", ret_a, 1);
}

static void test_messages(void)
{
    struct sbpf_insn prog[3] = {S(SBPF_LD | SBPF_IMM, 3), S(SBPF_ST, 99), RET_K(0)};
    char tiny[8];
    CHECK_EQ(sbpf_validate(prog, 3, tiny, sizeof(tiny)), -1);
    CHECK_EQ(strlen(tiny), 7); /* truncated, terminated */
    CHECK_EQ(sbpf_validate(prog, 3, NULL, 0), -1);
    char err[64] = "stale";
    prog[1].k = 1;
    CHECK_EQ(sbpf_validate(prog, 3, err, sizeof(err)), 0);
    CHECK_STR(err, "");
}

/* Everything pcap_compile emits for the corpus is accepted, protochain's loops included. */
static void test_corpus_accepted(void)
{
    static struct diff_corpus_entry corpus[160];
    unsigned count = diff_corpus_build(corpus, 160);
    CHECK(count >= 50);
    unsigned loops = 0;
    for (unsigned c = 0; c < count; c++) {
        expect_accept(corpus[c].label, corpus[c].prog, corpus[c].n);
        struct sbpf_prog_info info;
        sbpf_prog_info(corpus[c].prog, corpus[c].n, &info);
        CHECK_EQ(info.maybe_unset_slots, 0);
        if (info.has_backward_jumps)
            loops++;
    }
    CHECK(loops >= 3); /* ip/ip6 protochain */
    fprintf(stderr, "corpus: %u programs accepted, %u with protochain loops\n", count, loops);
    diff_corpus_free(corpus, count);
}

static void test_prog_info(void)
{
    /* Slot 2 is stored only on one branch before being read: it may be read unset. */
    struct sbpf_insn prog[6] = {
        J(SBPF_JMP | SBPF_JEQ | SBPF_K, 0, 0, 1),
        S(SBPF_ST, 2),
        S(SBPF_ST, 3),
        S(SBPF_LD | SBPF_MEM, 2),
        S(SBPF_LDX | SBPF_MEM, 3),
        S(SBPF_RET | SBPF_A, 0),
    };
    struct sbpf_prog_info info;
    sbpf_prog_info(prog, 6, &info);
    CHECK_EQ(info.maybe_unset_slots, 1u << 2);
    CHECK(!info.has_backward_jumps);
    CHECK(info.a_maybe_unset); /* the test at insn 0 reads A */
    CHECK(!info.x_maybe_unset);

    struct sbpf_insn ret_a[1] = {S(SBPF_RET | SBPF_A, 0)};
    sbpf_prog_info(ret_a, 1, &info);
    CHECK(info.a_maybe_unset && !info.x_maybe_unset && !info.maybe_unset_slots);
    struct sbpf_insn set_first[4] = {S(SBPF_LD | SBPF_W | SBPF_LEN, 0), S(SBPF_MISC | SBPF_TAX, 0),
                                     S(SBPF_LD | SBPF_B | SBPF_IND, 0), S(SBPF_RET | SBPF_A, 0)};
    sbpf_prog_info(set_first, 4, &info);
    CHECK(!info.a_maybe_unset && !info.x_maybe_unset);
    set_first[1] = S(SBPF_LDX | SBPF_IMM, 0);
    set_first[0] = S(SBPF_LD | SBPF_B | SBPF_IND, 0); /* X read by the first load */
    sbpf_prog_info(set_first, 4, &info);
    CHECK(!info.a_maybe_unset && info.x_maybe_unset);
    struct sbpf_insn loop[4] = {J(SBPF_JMP | SBPF_JEQ | SBPF_K, 0, 2, 0), S(SBPF_ST, 1),
                                S(SBPF_JMP | SBPF_JA, (uint32_t)-3), S(SBPF_RET | SBPF_A, 0)};
    sbpf_prog_info(loop, 4, &info);
    CHECK(info.has_backward_jumps && info.a_maybe_unset && !info.maybe_unset_slots);
}

int main(void)
{
    test_lengths();
    test_unknown_opcodes();
    test_extension_opcodes();
    test_jumps();
    test_spin_refused();
    test_protochain_shape();
    test_cost();
    test_memory_slots();
    test_constant_traps();
    test_last_insn();
    test_messages();
    test_prog_info();
    test_corpus_accepted();
    return check_exit();
}

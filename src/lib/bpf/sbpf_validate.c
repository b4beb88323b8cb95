/* sbpf_validate.c - the gate a classic BPF program passes before the switch runs it: known
 * opcodes only, in-range jumps and scratch slots, no constant traps, loops only as libpcap's
 * protochain emits them, and a bounded cost per packet. */
#include "sbpf.h"

#include <stdarg.h>
#include <stdio.h>

/* Linux reads ancillary data and link/network-relative offsets through negative absolute
 * offsets (SKF_AD_OFF, SKF_NET_OFF, SKF_LL_OFF); libpcap emits them only for live Linux
 * handles. No packet here is that long, so such a load could never succeed. */
#define LINUX_NEG_OFF_MIN 0xffe00000u /* SKF_LL_OFF */
#define LINUX_AD_OFF 0xfffff000u      /* SKF_AD_OFF */

static int reject(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int reject(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* The exact opcodes libpcap's bpf_filter() executes; anything else makes it abort. */
static bool opcode_known(uint16_t code)
{
    switch (code) {
    case SBPF_RET | SBPF_K:
    case SBPF_RET | SBPF_A:
    case SBPF_LD | SBPF_W | SBPF_ABS:
    case SBPF_LD | SBPF_H | SBPF_ABS:
    case SBPF_LD | SBPF_B | SBPF_ABS:
    case SBPF_LD | SBPF_W | SBPF_LEN:
    case SBPF_LDX | SBPF_W | SBPF_LEN:
    case SBPF_LD | SBPF_W | SBPF_IND:
    case SBPF_LD | SBPF_H | SBPF_IND:
    case SBPF_LD | SBPF_B | SBPF_IND:
    case SBPF_LDX | SBPF_MSH | SBPF_B:
    case SBPF_LD | SBPF_IMM:
    case SBPF_LDX | SBPF_IMM:
    case SBPF_LD | SBPF_MEM:
    case SBPF_LDX | SBPF_MEM:
    case SBPF_ST:
    case SBPF_STX:
    case SBPF_JMP | SBPF_JA:
    case SBPF_JMP | SBPF_JEQ | SBPF_K:
    case SBPF_JMP | SBPF_JGT | SBPF_K:
    case SBPF_JMP | SBPF_JGE | SBPF_K:
    case SBPF_JMP | SBPF_JSET | SBPF_K:
    case SBPF_JMP | SBPF_JEQ | SBPF_X:
    case SBPF_JMP | SBPF_JGT | SBPF_X:
    case SBPF_JMP | SBPF_JGE | SBPF_X:
    case SBPF_JMP | SBPF_JSET | SBPF_X:
    case SBPF_ALU | SBPF_NEG:
    case SBPF_MISC | SBPF_TAX:
    case SBPF_MISC | SBPF_TXA:
        return true;
    }
    if (code <= 0xff && SBPF_CLASS(code) == SBPF_ALU) {
        switch (SBPF_OP(code)) {
        case SBPF_ADD:
        case SBPF_SUB:
        case SBPF_MUL:
        case SBPF_DIV:
        case SBPF_MOD:
        case SBPF_AND:
        case SBPF_OR:
        case SBPF_XOR:
        case SBPF_LSH:
        case SBPF_RSH:
            return true;
        }
    }
    return false;
}

/* Names the extension an unknown opcode belongs to, for a clearer rejection. */
static const char *opcode_extension(uint16_t code)
{
    if (code > 0xff)
        return "bits above the low byte are not part of any BPF opcode";
    if (SBPF_CLASS(code) == SBPF_MISC && (code & 0xf8) == 0x20)
        return "NetBSD coprocessor call BPF_COP is not supported";
    if (SBPF_CLASS(code) == SBPF_MISC && (code & 0xf8) == 0x40)
        return "NetBSD coprocessor call BPF_COPX is not supported";
    if ((SBPF_CLASS(code) == SBPF_LD || SBPF_CLASS(code) == SBPF_LDX) &&
        (SBPF_SIZE(code) == 0x18 || SBPF_MODE(code) == 0xc0 || SBPF_MODE(code) == 0xe0))
        return "reserved BSD/OS load extension is not supported";
    if (SBPF_CLASS(code) == SBPF_JMP && SBPF_OP(code) == 0x50)
        return "reserved BSD/OS jump extension is not supported";
    return "unknown opcode";
}

static bool is_conditional_jump(uint16_t code)
{
    return SBPF_CLASS(code) == SBPF_JMP && SBPF_OP(code) != SBPF_JA;
}

static int check_insn(const struct sbpf_insn *prog, unsigned n, unsigned i, char *err,
                      size_t errlen)
{
    const struct sbpf_insn *in = &prog[i];
    uint16_t code = in->code;

    if (!opcode_known(code))
        return reject(err, errlen, "insn %u: opcode 0x%04x: %s", i, code, opcode_extension(code));

    switch (SBPF_CLASS(code)) {
    case SBPF_LD:
    case SBPF_LDX:
        if (SBPF_MODE(code) == SBPF_MEM && in->k >= SBPF_MEMWORDS)
            return reject(err, errlen, "insn %u: load from scratch slot %u (only 0..%d exist)", i,
                          in->k, SBPF_MEMWORDS - 1);
        if (SBPF_MODE(code) == SBPF_ABS && in->k >= LINUX_AD_OFF)
            return reject(err, errlen,
                          "insn %u: Linux ancillary-data load (SKF_AD_OFF+%u) is not supported; "
                          "compile the filter for a dead DLT_EN10MB handle",
                          i, in->k - LINUX_AD_OFF);
        if (SBPF_MODE(code) == SBPF_ABS && in->k >= LINUX_NEG_OFF_MIN)
            return reject(err, errlen,
                          "insn %u: Linux negative-offset load (k=0x%08x) is not supported", i,
                          in->k);
        return 0;
    case SBPF_ST:
    case SBPF_STX:
        if (in->k >= SBPF_MEMWORDS)
            return reject(err, errlen, "insn %u: store to scratch slot %u (only 0..%d exist)", i,
                          in->k, SBPF_MEMWORDS - 1);
        return 0;
    case SBPF_ALU:
        if (SBPF_SRC(code) == SBPF_K && (SBPF_OP(code) == SBPF_DIV || SBPF_OP(code) == SBPF_MOD) &&
            in->k == 0)
            return reject(err, errlen, "insn %u: constant %s by zero", i,
                          SBPF_OP(code) == SBPF_DIV ? "division" : "modulo");
        if (SBPF_SRC(code) == SBPF_K && (SBPF_OP(code) == SBPF_LSH || SBPF_OP(code) == SBPF_RSH) &&
            in->k >= 32)
            return reject(err, errlen, "insn %u: constant shift by %u (must be below 32)", i,
                          in->k);
        return 0;
    case SBPF_JMP:
        break;
    default:
        return 0;
    }

    if (SBPF_OP(code) != SBPF_JA) {
        unsigned far = in->jt > in->jf ? in->jt : in->jf;
        if ((uint64_t)i + 1 + far >= n)
            return reject(err, errlen,
                          "insn %u: jump target %llu is beyond the end (program has %u insns)", i,
                          (unsigned long long)i + 1 + far, n);
        return 0;
    }
    /* libpcap treats the unconditional offset as signed. */
    int64_t target = (int64_t)i + 1 + (int32_t)in->k;
    if (target >= (int64_t)n)
        return reject(err, errlen,
                      "insn %u: jump target %lld is beyond the end (program has %u insns)", i,
                      (long long)target, n);
    if (target < 0)
        return reject(err, errlen, "insn %u: backward jump to %lld, before the start", i,
                      (long long)target);
    if (target == (int64_t)i)
        return reject(err, errlen, "insn %u: jump to itself (endless loop)", i);
    if (target < (int64_t)i && !is_conditional_jump(prog[target].code))
        return reject(err, errlen,
                      "insn %u: backward jump to insn %lld, which is not a conditional test; "
                      "only loops shaped like protochain's are supported",
                      i, (long long)target);
    return 0;
}

int sbpf_validate_structure(const struct sbpf_insn *prog, unsigned n, char *err, size_t errlen)
{
    if (n == 0)
        return reject(err, errlen, "empty program (0 insns)");
    if (n > SBPF_MAX_INSNS)
        return reject(err, errlen, "program has %u insns (at most %d allowed)", n, SBPF_MAX_INSNS);
    if (!prog)
        return reject(err, errlen, "no program");
    for (unsigned i = 0; i < n; i++)
        if (check_insn(prog, n, i, err, errlen) < 0)
            return -1;
    if (SBPF_CLASS(prog[n - 1].code) != SBPF_RET)
        return reject(err, errlen, "insn %u: last instruction is not a return (opcode 0x%02x)",
                      n - 1, prog[n - 1].code);
    if (err && errlen)
        err[0] = '\0';
    return 0;
}

/* ---- protochain loops ----
 * libpcap 1.10 turns the optimizer off for any filter using protochain, so each loop comes out
 * as one of two fixed instruction sequences; only the protocol, the offset of the network
 * header and the scratch slot vary. Matching them exactly leaves a capture no way to build any
 * other loop, and every instruction of these bodies is a cheap one. */

enum tk { TK_FIX, TK_PROTO, TK_OFF, TK_OFF1, TK_SLOT };

struct tinsn {
    uint16_t code;
    uint8_t kind; /* enum tk */
    uint32_t k;
    int8_t jt, jf; /* template-relative targets of a conditional jump; TEND: past the loop */
};

#define TEND 100
#define T_JEQ (SBPF_JMP | SBPF_JEQ | SBPF_K)
#define T_LDB_IND (SBPF_LD | SBPF_B | SBPF_IND)
#define T_ADDK (SBPF_ALU | SBPF_ADD | SBPF_K)
#define T_MULK (SBPF_ALU | SBPF_MUL | SBPF_K)
#define T_TAX (SBPF_MISC | SBPF_TAX)
#define T_TXA (SBPF_MISC | SBPF_TXA)
#define T_LDM (SBPF_LD | SBPF_MEM)
#define T_JA (SBPF_JMP | SBPF_JA)

/* The authentication-header step, shared by both loops: X becomes (payload length + 2) * 4. */
#define AH_STEP(a)                                                                                 \
    {T_JEQ, TK_FIX, 0x33, (a) + 1, TEND}, {T_TXA, TK_FIX, 0, 0, 0}, {T_LDB_IND, TK_OFF, 0, 0, 0},  \
        {SBPF_ST, TK_SLOT, 0, 0, 0}, {T_TXA, TK_FIX, 0, 0, 0}, {T_ADDK, TK_FIX, 1, 0, 0},          \
        {T_TAX, TK_FIX, 0, 0, 0}, {T_LDB_IND, TK_OFF, 0, 0, 0}, {T_ADDK, TK_FIX, 2, 0, 0},         \
        {T_MULK, TK_FIX, 4, 0, 0}, {T_TAX, TK_FIX, 0, 0, 0}, {T_LDM, TK_SLOT, 0, 0, 0},            \
    {                                                                                              \
        T_JA, TK_FIX, 0, 0, 0                                                                      \
    }

/* ip6 protochain: stop at the protocol or "no next header", step over hop-by-hop, routing,
 * fragment and destination-options headers, else try the AH step. */
static const struct tinsn ip6_loop[] = {
    {T_JEQ, TK_PROTO, 0, TEND, 1}, {T_JEQ, TK_FIX, 0x3b, TEND, 2},
    {T_JEQ, TK_FIX, 0x00, 6, 3},   {T_JEQ, TK_FIX, 0x3c, 6, 4},
    {T_JEQ, TK_FIX, 0x2b, 6, 5},   {T_JEQ, TK_FIX, 0x2c, 6, 15},
    {T_LDB_IND, TK_OFF, 0, 0, 0},  {SBPF_ST, TK_SLOT, 0, 0, 0},
    {T_LDB_IND, TK_OFF1, 0, 0, 0}, {T_ADDK, TK_FIX, 1, 0, 0},
    {T_MULK, TK_FIX, 8, 0, 0},     {SBPF_ALU | SBPF_ADD | SBPF_X, TK_FIX, 0, 0, 0},
    {T_TAX, TK_FIX, 0, 0, 0},      {T_LDM, TK_SLOT, 0, 0, 0},
    {T_JA, TK_FIX, 0, 0, 0},       AH_STEP(15),
};

/* ip protochain: only the AH step (the `add #0` is libpcap's, kept as it emits it). */
static const struct tinsn ip_loop[] = {
    {T_JEQ, TK_PROTO, 0, TEND, 1},
    {T_JEQ, TK_FIX, 0x3b, TEND, 2},
    {T_ADDK, TK_FIX, 0, 0, 0},
    AH_STEP(3),
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Returns the loop's length if prog[h..] is the template, else 0 with *bad the first
 * instruction (absolute) that differs. */
static unsigned match_loop(const struct sbpf_insn *prog, unsigned n, unsigned h,
                           const struct tinsn *t, unsigned len, unsigned *bad)
{
    uint32_t off = 0, slot = 0;
    bool have_off = false, have_slot = false; /* the first occurrence fixes each */
    if ((uint64_t)h + len >= n) {             /* the exit target must exist too */
        *bad = h;
        return 0;
    }
    for (unsigned r = 0; r < len; r++) {
        const struct sbpf_insn *in = &prog[h + r];
        *bad = h + r;
        if (in->code != t[r].code)
            return 0;
        switch (t[r].kind) {
        case TK_FIX:
            if (t[r].code != T_JA && in->k != t[r].k)
                return 0;
            break;
        case TK_PROTO:
            break;
        case TK_OFF:
            if (!have_off)
                off = in->k;
            have_off = true;
            if (in->k != off)
                return 0;
            break;
        case TK_OFF1:
            if (in->k != off + 1 || off == UINT32_MAX)
                return 0;
            break;
        case TK_SLOT:
            if (!have_slot)
                slot = in->k;
            have_slot = true;
            if (in->k != slot)
                return 0;
            break;
        }
        if (t[r].code == T_JA) {
            if ((int64_t)h - (int64_t)(h + r + 1) != (int32_t)in->k)
                return 0;
        } else if (SBPF_CLASS(t[r].code) == SBPF_JMP) {
            unsigned jt = t[r].jt == TEND ? len : (unsigned)t[r].jt;
            unsigned jf = t[r].jf == TEND ? len : (unsigned)t[r].jf;
            if (r + 1u + in->jt != jt || r + 1u + in->jf != jf)
                return 0;
        }
    }
    return len;
}

/* Every backward jump must close a protochain loop, and nothing outside a loop may jump into
 * its middle (only its head is an entry). */
static int check_loops(const struct sbpf_insn *prog, unsigned n, char *err, size_t errlen)
{
    /* interior_of[i]: the head of the loop that insn i is inside of (its head excluded), else
     * UINT32_MAX; filled as loops are found. */
    uint32_t interior_of[SBPF_MAX_INSNS];
    for (unsigned i = 0; i < n; i++)
        interior_of[i] = UINT32_MAX;
    for (unsigned i = 0; i < n; i++) {
        if (prog[i].code != T_JA || (int32_t)prog[i].k >= 0)
            continue;
        unsigned h = (unsigned)((int64_t)i + 1 + (int32_t)prog[i].k);
        unsigned bad6 = 0, bad4 = 0;
        unsigned len = match_loop(prog, n, h, ip6_loop, NELEM(ip6_loop), &bad6);
        if (!len)
            len = match_loop(prog, n, h, ip_loop, NELEM(ip_loop), &bad4);
        if (!len) {
            unsigned bad = bad6 > bad4 ? bad6 : bad4;
            return reject(err, errlen,
                          "insn %u: backward jump to insn %u is not a protochain loop as libpcap "
                          "emits it (it differs at insn %u); no other loop is allowed, as it "
                          "could run on every packet until the budget stops it",
                          i, h, bad);
        }
        bool closes = false;
        for (unsigned r = 0; r < len; r++)
            if (prog[h + r].code == T_JA && h + r == i)
                closes = true;
        if (!closes)
            return reject(err, errlen, "insn %u: backward jump into the protochain loop at insn %u",
                          i, h);
        for (unsigned r = 1; r < len; r++)
            interior_of[h + r] = h;
    }
    for (unsigned i = 0; i < n; i++) {
        uint16_t code = prog[i].code;
        if (SBPF_CLASS(code) != SBPF_JMP)
            continue;
        uint64_t targets[2];
        unsigned nt = 0;
        if (SBPF_OP(code) == SBPF_JA) {
            targets[nt++] = (uint64_t)((int64_t)i + 1 + (int32_t)prog[i].k);
        } else {
            targets[nt++] = (uint64_t)i + 1 + prog[i].jt;
            targets[nt++] = (uint64_t)i + 1 + prog[i].jf;
        }
        for (unsigned t = 0; t < nt; t++) {
            uint32_t h = interior_of[targets[t]];
            if (h != UINT32_MAX && interior_of[i] != h && i != h)
                return reject(err, errlen,
                              "insn %u: jump into the middle of the protochain loop at insn %u "
                              "(insn %llu); a loop may only be entered at its head",
                              i, h, (unsigned long long)targets[t]);
        }
    }
    return 0;
}

/* ---- cost ---- */

static bool pow2(uint32_t k)
{
    return k && !(k & (k - 1));
}

unsigned sbpf_insn_cost(const struct sbpf_insn *in)
{
    uint16_t code = in->code;
    if (SBPF_CLASS(code) != SBPF_ALU)
        return 1;
    bool by_k_pow2 = SBPF_SRC(code) == SBPF_K && pow2(in->k);
    switch (SBPF_OP(code)) {
    case SBPF_MUL:
        return by_k_pow2 ? 1 : SBPF_COST_MUL;
    case SBPF_DIV:
    case SBPF_MOD:
        return by_k_pow2 ? 1 : SBPF_COST_DIV;
    }
    return 1;
}

/* The costliest path from the first instruction, each instruction counted once: backward
 * jumps are left out, the loops they close being bounded by the run-time budget instead. */
unsigned sbpf_worst_cost(const struct sbpf_insn *prog, unsigned n)
{
    uint32_t cost[SBPF_MAX_INSNS];
    if (n == 0 || n > SBPF_MAX_INSNS)
        return 0;
    for (unsigned i = n; i-- > 0;) {
        const struct sbpf_insn *in = &prog[i];
        uint32_t next = 0;
        if (SBPF_CLASS(in->code) == SBPF_RET) {
            next = 0;
        } else if (SBPF_CLASS(in->code) == SBPF_JMP && SBPF_OP(in->code) == SBPF_JA) {
            int64_t t = (int64_t)i + 1 + (int32_t)in->k;
            next = t > (int64_t)i && t < (int64_t)n ? cost[t] : 0;
        } else if (SBPF_CLASS(in->code) == SBPF_JMP) {
            unsigned a = i + 1 + in->jt, b = i + 1 + in->jf;
            uint32_t ca = a < n ? cost[a] : 0, cb = b < n ? cost[b] : 0;
            next = ca > cb ? ca : cb;
        } else if (i + 1 < n) {
            next = cost[i + 1];
        }
        cost[i] = next + sbpf_insn_cost(in);
    }
    return cost[0];
}

int sbpf_validate(const struct sbpf_insn *prog, unsigned n, char *err, size_t errlen)
{
    if (sbpf_validate_structure(prog, n, err, errlen) < 0)
        return -1;
    if (check_loops(prog, n, err, errlen) < 0)
        return -1;
    unsigned cost = sbpf_worst_cost(prog, n);
    if (cost > SBPF_MAX_COST)
        return reject(err, errlen,
                      "program may cost %u per packet, more than %u (each instruction counts 1, "
                      "a multiply %u, a divide or modulo %u, unless by a power of two)",
                      cost, SBPF_MAX_COST, SBPF_COST_MUL, SBPF_COST_DIV);
    return 0;
}

/* sbpf_validate.c - the gate a classic BPF program passes before the switch runs it: known
 * opcodes only, in-range jumps and scratch slots, no constant traps, loops only as protochain. */
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

int sbpf_validate(const struct sbpf_insn *prog, unsigned n, char *err, size_t errlen)
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

/* sbpf_jit_x86_64.c - compiles a validated classic BPF program to x86-64 machine code: a
 * per-packet function and a burst loop, bounds-checked loads, W^X mapping, sized jumps. */
#include "sbpf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void set_note(char *note, size_t notelen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_note(char *note, size_t notelen, const char *fmt, ...)
{
    if (!note || !notelen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(note, notelen, fmt, ap);
    va_end(ap);
}

void sbpf_jit_free(struct sbpf_jit_code *code)
{
    if (code->map)
        munmap(code->map, code->map_size);
    memset(code, 0, sizeof(*code));
}

#if defined(__x86_64__)

/* Register use. A and X live in eax and ecx (cl is the shift count); edx and r10 are
 * scratch (edx is also div's high half); the arguments stay where SysV puts them, except
 * caplen, which moves out of edx into r8. The burst loop keeps its state in callee-saved
 * registers. Scratch memory is 64 bytes of the red zone below rsp: the code calls nothing. */
enum reg {
    RAX = 0,
    RCX = 1,
    RDX = 2,
    RBX = 3,
    RSP = 4,
    RBP = 5,
    RSI = 6,
    RDI = 7,
    R8 = 8,
    R9 = 9,
    R10 = 10,
    R12 = 12,
    R13 = 13,
    R14 = 14,
    R15 = 15,
};
#define REG_A RAX
#define REG_X RCX
#define REG_TMP RDX
#define REG_TMP2 R10
#define REG_PKT RDI
#define REG_WIRELEN RSI
#define REG_CAPLEN R8
#define REG_BUDGET R9
#define BURST_PKTS RBX
#define BURST_WIRELENS RBP
#define BURST_CAPLENS R12
#define BURST_VERDICTS R13
#define BURST_INDEX R14
#define BURST_COUNT R15
#define SCRATCH_DISP(slot) (-64 + 4 * (int32_t)(slot))
#define NO_INDEX (-1)

/* Condition codes (the low nibble of Jcc). */
enum cc { CC_B = 0x2, CC_AE = 0x3, CC_E = 0x4, CC_NE = 0x5, CC_A = 0x7, CC_ALWAYS = -1 };

/* Sites that are not BPF instructions: targets past the n instruction slots. */
enum { T_RET0 = 0, T_LOOP = 1, T_DONE = 2, T_SPECIAL_COUNT = 3 };

/* At most: budget check, bounds or zero check, two branches (or a burst loop tail) per insn;
 * plus a few around. */
#define SITES_PER_INSN 4
#define SITES_EXTRA 8
#define MAX_PASSES 24
#define PASSES_BEFORE_ALL_NEAR 16

struct jit {
    const struct sbpf_insn *prog;
    unsigned n;
    bool burst;
    bool budgeted;
    uint16_t zero_slots;
    bool uses_wirelen, uses_packet, zero_a, zero_x;
    const int32_t *a_src;      /* the one insn whose A value reaches insn i, or < 0 */
    const uint8_t *raw_order;  /* raw_order[i]: load i leaves A in memory byte order */
    const uint8_t *leader;     /* leader[i]: insn i starts a straight-line block */
    const uint16_t *block_len; /* for leaders: insns in the block */

    uint8_t *buf;
    size_t cap;
    size_t len;
    bool overflow;

    uint32_t *addr;     /* code offset of each target, from the previous pass */
    uint32_t *addr_new; /* ...as laid out by this pass */
    unsigned *placed;   /* pass in which addr_new[target] was last set */
    unsigned pass;
    int64_t shift;      /* growth of this pass's layout over the previous one, so far */
    uint8_t *site_near; /* per jump site: must use a 32-bit displacement */
    unsigned nsites;
    unsigned site;
    bool first_pass; /* addresses are unknown: keep every site as it is */
    bool all_near;
    bool sites_changed;
    unsigned pass_serial; /* never 0, so a zeroed `placed` means "not this pass" */
    unsigned passes_total;
    unsigned short_jumps, near_jumps;
};

static void emit8(struct jit *j, unsigned byte)
{
    if (j->len >= j->cap) {
        j->overflow = true;
        return;
    }
    j->buf[j->len++] = (uint8_t)byte;
}

static void emit32(struct jit *j, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        emit8(j, (v >> (8 * i)) & 0xff);
}

static bool fits_imm8(int64_t v)
{
    return v >= -128 && v <= 127;
}

static void emit_rex(struct jit *j, int w, int reg, int index, int base)
{
    unsigned rex = 0x40 | (w ? 8 : 0) | ((reg & 8) ? 4 : 0) |
                   ((index != NO_INDEX && (index & 8)) ? 2 : 0) | ((base & 8) ? 1 : 0);
    if (rex != 0x40)
        emit8(j, rex);
}

static void emit_opcode(struct jit *j, unsigned opcode)
{
    if (opcode > 0xff)
        emit8(j, opcode >> 8);
    emit8(j, opcode & 0xff);
}

/* op reg, rm (register-direct). */
static void op_rr(struct jit *j, int w, unsigned opcode, int reg, int rm)
{
    emit_rex(j, w, reg, NO_INDEX, rm);
    emit_opcode(j, opcode);
    emit8(j, 0xc0 | ((reg & 7) << 3) | (rm & 7));
}

/* op reg, [base + index * 2^scale + disp]. */
static void op_rm(struct jit *j, int w, unsigned opcode, int reg, int base, int index, int scale,
                  int32_t disp)
{
    emit_rex(j, w, reg, index, base);
    emit_opcode(j, opcode);
    int mod = (disp == 0 && (base & 7) != RBP) ? 0 : fits_imm8(disp) ? 1 : 2;
    if (index == NO_INDEX && (base & 7) != RSP) {
        emit8(j, (unsigned)(mod << 6) | ((reg & 7) << 3) | (base & 7));
    } else {
        emit8(j, (unsigned)(mod << 6) | ((reg & 7) << 3) | 4);
        int idx = index == NO_INDEX ? 4 : (index & 7);
        emit8(j, (unsigned)(scale << 6) | (unsigned)(idx << 3) | (base & 7));
    }
    if (mod == 1)
        emit8(j, (uint8_t)disp);
    else if (mod == 2)
        emit32(j, (uint32_t)disp);
}

static void mov_rr(struct jit *j, int dst, int src)
{
    op_rr(j, 0, 0x89, src, dst);
}

static void mov_ri(struct jit *j, int dst, uint32_t imm)
{
    if (imm == 0) {
        op_rr(j, 0, 0x31, dst, dst); /* xor dst, dst */
        return;
    }
    emit_rex(j, 0, 0, NO_INDEX, dst);
    emit8(j, 0xb8 + (dst & 7));
    emit32(j, imm);
}

/* Group-1 ALU op (ext: add 0, or 1, and 4, sub 5, xor 6, cmp 7) of a 32-bit reg and imm. */
static void alu_ri(struct jit *j, unsigned ext, int dst, uint32_t imm)
{
    if (fits_imm8((int32_t)imm)) {
        op_rr(j, 0, 0x83, (int)ext, dst);
        emit8(j, imm & 0xff);
    } else {
        op_rr(j, 0, 0x81, (int)ext, dst);
        emit32(j, imm);
    }
}
enum { ALU_ADD = 0, ALU_OR = 1, ALU_AND = 4, ALU_SUB = 5, ALU_XOR = 6, ALU_CMP = 7 };

/* Shift group (ext: shl 4, shr 5) by an immediate count. */
static void shift_ri(struct jit *j, unsigned ext, int dst, unsigned count)
{
    op_rr(j, 0, 0xc1, (int)ext, dst);
    emit8(j, count);
}

static void load_scratch(struct jit *j, int dst, uint32_t slot)
{
    op_rm(j, 0, 0x8b, dst, RSP, NO_INDEX, 0, SCRATCH_DISP(slot));
}

static void store_scratch(struct jit *j, int src, uint32_t slot)
{
    op_rm(j, 0, 0x89, src, RSP, NO_INDEX, 0, SCRATCH_DISP(slot));
}

/* Where target lies in this pass's layout: exact if already placed (a backward jump),
 * else its previous place moved by the growth so far. */
static int64_t target_addr(const struct jit *j, unsigned target)
{
    if (j->placed[target] == j->pass)
        return j->addr_new[target];
    return (int64_t)j->addr[target] + j->shift;
}

static void place(struct jit *j, unsigned target)
{
    j->addr_new[target] = (uint32_t)j->len;
    j->placed[target] = j->pass;
    j->shift = (int64_t)j->len - (int64_t)j->addr[target];
}

/* A jump to a target (an insn index, or n + T_*). A site's width is chosen from the layout
 * estimate; a site only ever widens, so the passes settle, and the last pass (whose layout
 * equals the previous one) computes every displacement exactly. */
static void emit_jump(struct jit *j, int cc, unsigned target)
{
    unsigned site = j->site++;
    if (site >= j->nsites) { /* cannot happen: SITES_PER_INSN bounds it */
        j->overflow = true;
        return;
    }
    bool near = j->site_near[site] || j->all_near;
    if (!near) {
        int64_t disp = target_addr(j, target) - (int64_t)(j->len + 2);
        if (!fits_imm8(disp) && !j->first_pass) {
            j->site_near[site] = 1;
            j->sites_changed = true;
        }
        emit8(j, cc == CC_ALWAYS ? 0xeb : 0x70 + (unsigned)cc);
        emit8(j, fits_imm8(disp) ? (uint8_t)disp : 0);
        j->short_jumps++;
        return;
    }
    size_t size = cc == CC_ALWAYS ? 5 : 6;
    int64_t disp = target_addr(j, target) - (int64_t)(j->len + size);
    if (cc == CC_ALWAYS) {
        emit8(j, 0xe9);
    } else {
        emit8(j, 0x0f);
        emit8(j, 0x80 + (unsigned)cc);
    }
    emit32(j, (uint32_t)(int32_t)disp);
    j->near_jumps++;
}

static unsigned special(const struct jit *j, unsigned which)
{
    return j->n + which;
}

static void jump_ret0(struct jit *j, int cc)
{
    emit_jump(j, cc, special(j, T_RET0));
}

/* Loads size bytes (1, 2, 4) from [base + index + disp] into dst, in host order, or (raw)
 * as they lie in memory, zero-extended. */
static void load_packet(struct jit *j, int dst, unsigned size, int base, int index, int32_t disp,
                        bool raw)
{
    if (raw && size == 4) {
        op_rm(j, 0, 0x8b, dst, base, index, 0, disp);
        return;
    }
    if (raw && size == 2) {
        op_rm(j, 0, 0x0fb7, dst, base, index, 0, disp);
        return;
    }
    switch (size) {
    case 4:
        op_rm(j, 0, 0x8b, dst, base, index, 0, disp);
        emit_rex(j, 0, 0, NO_INDEX, dst);
        emit8(j, 0x0f);
        emit8(j, 0xc8 + (dst & 7)); /* bswap */
        break;
    case 2:
        /* Full-width ops only: a 16-bit rotate would merge into the old register value. */
        op_rm(j, 0, 0x0fb7, dst, base, index, 0, disp); /* movzx dst, word */
        emit_rex(j, 0, 0, NO_INDEX, dst);
        emit8(j, 0x0f);
        emit8(j, 0xc8 + (dst & 7)); /* bswap */
        shift_ri(j, 5, dst, 16);    /* shr dst, 16 */
        break;
    default:
        op_rm(j, 0, 0x0fb6, dst, base, index, 0, disp); /* movzx dst, byte */
        break;
    }
}

/* A = P[k:size] (or, for MSH, the byte at k into X): fails unless k + size <= caplen. */
static void emit_load_abs(struct jit *j, unsigned i, int dst, unsigned size, uint32_t k)
{
    uint64_t end = (uint64_t)k + size;
    if (end > UINT32_MAX) { /* past any caplen */
        jump_ret0(j, CC_ALWAYS);
        return;
    }
    alu_ri(j, ALU_CMP, REG_CAPLEN, (uint32_t)end);
    jump_ret0(j, CC_B);
    bool raw = j->raw_order[i];
    if (k <= INT32_MAX) {
        load_packet(j, dst, size, REG_PKT, NO_INDEX, (int32_t)k, raw);
    } else {
        mov_ri(j, REG_TMP, k);
        load_packet(j, dst, size, REG_PKT, REG_TMP, 0, raw);
    }
}

/* A = P[X + k:size]: the sum is formed in 64 bits (X is zero-extended), so it cannot wrap. */
static void emit_load_ind(struct jit *j, unsigned i, unsigned size, uint32_t k)
{
    uint64_t end = (uint64_t)k + size;
    if (end > UINT32_MAX) {
        jump_ret0(j, CC_ALWAYS);
        return;
    }
    if (end <= INT32_MAX) {
        op_rm(j, 1, 0x8d, REG_TMP, REG_X, NO_INDEX, 0, (int32_t)end); /* lea rdx, [rcx+end] */
    } else {
        mov_ri(j, REG_TMP, (uint32_t)end); /* zero-extends */
        op_rr(j, 1, 0x01, REG_X, REG_TMP); /* add rdx, rcx */
    }
    op_rr(j, 1, 0x39, REG_CAPLEN, REG_TMP); /* cmp rdx, r8 */
    jump_ret0(j, CC_A);
    load_packet(j, REG_A, size, REG_PKT, REG_TMP, -(int32_t)size, j->raw_order[i]);
}

static bool is_pow2(uint32_t v)
{
    return v && !(v & (v - 1));
}

static unsigned log2_u32(uint32_t v)
{
    return 31u - (unsigned)__builtin_clz(v);
}

static void emit_alu(struct jit *j, uint16_t code, uint32_t k)
{
    bool by_x = SBPF_SRC(code) == SBPF_X;
    switch (SBPF_OP(code)) {
    case SBPF_ADD:
        if (by_x)
            op_rr(j, 0, 0x01, REG_X, REG_A);
        else if (k)
            alu_ri(j, ALU_ADD, REG_A, k);
        break;
    case SBPF_SUB:
        if (by_x)
            op_rr(j, 0, 0x29, REG_X, REG_A);
        else if (k)
            alu_ri(j, ALU_SUB, REG_A, k);
        break;
    case SBPF_MUL:
        if (by_x) {
            op_rr(j, 0, 0x0faf, REG_A, REG_X); /* imul eax, ecx */
        } else if (k == 0) {
            mov_ri(j, REG_A, 0);
        } else if (is_pow2(k)) {
            if (k > 1)
                shift_ri(j, 4, REG_A, log2_u32(k));
        } else if (fits_imm8((int32_t)k)) {
            op_rr(j, 0, 0x6b, REG_A, REG_A);
            emit8(j, k & 0xff);
        } else {
            op_rr(j, 0, 0x69, REG_A, REG_A);
            emit32(j, k);
        }
        break;
    case SBPF_DIV:
    case SBPF_MOD: {
        bool mod = SBPF_OP(code) == SBPF_MOD;
        int divisor = REG_X;
        if (!by_x && is_pow2(k)) {
            if (mod)
                alu_ri(j, ALU_AND, REG_A, k - 1);
            else if (k > 1)
                shift_ri(j, 5, REG_A, log2_u32(k));
            break;
        }
        if (by_x) {
            op_rr(j, 0, 0x85, REG_X, REG_X); /* test ecx, ecx */
            jump_ret0(j, CC_E);
        } else {
            mov_ri(j, REG_TMP2, k); /* k != 0: validated */
            divisor = REG_TMP2;
        }
        op_rr(j, 0, 0x31, REG_TMP, REG_TMP); /* xor edx, edx */
        op_rr(j, 0, 0xf7, 6, divisor);       /* div */
        if (mod)
            mov_rr(j, REG_A, REG_TMP);
        break;
    }
    case SBPF_AND:
        if (by_x)
            op_rr(j, 0, 0x21, REG_X, REG_A);
        else
            alu_ri(j, ALU_AND, REG_A, k);
        break;
    case SBPF_OR:
        if (by_x)
            op_rr(j, 0, 0x09, REG_X, REG_A);
        else if (k)
            alu_ri(j, ALU_OR, REG_A, k);
        break;
    case SBPF_XOR:
        if (by_x)
            op_rr(j, 0, 0x31, REG_X, REG_A);
        else if (k)
            alu_ri(j, ALU_XOR, REG_A, k);
        break;
    case SBPF_LSH:
    case SBPF_RSH: {
        unsigned ext = SBPF_OP(code) == SBPF_LSH ? 4 : 5;
        if (!by_x) {
            if (k) /* k < 32: validated */
                shift_ri(j, ext, REG_A, k);
            break;
        }
        /* x86 masks the count to 5 bits; BPF gives 0 for counts of 32 and more. */
        op_rr(j, 0, 0xd3, (int)ext, REG_A);  /* shl/shr eax, cl */
        op_rr(j, 0, 0x31, REG_TMP, REG_TMP); /* xor edx, edx */
        alu_ri(j, ALU_CMP, REG_X, 32);       /* cmp ecx, 32 */
        op_rr(j, 0, 0x0f43, REG_A, REG_TMP); /* cmovae eax, edx */
        break;
    }
    case SBPF_NEG:
        op_rr(j, 0, 0xf7, 3, REG_A);
        break;
    }
}

/* The constant a test at insn i compares A with: k itself, or k in memory byte order when
 * A holds a load left unswapped. Only JEQ and JSET use it (byte order keeps equality and
 * bit tests, not magnitude). A halfword is at most 0xffff, so a larger k stays unmatched. */
static uint32_t raw_constant(const struct jit *j, unsigned i, uint32_t k)
{
    int32_t src = j->a_src[i];
    if (src < 0 || !j->raw_order[src])
        return k;
    if (SBPF_SIZE(j->prog[src].code) == SBPF_W)
        return __builtin_bswap32(k);
    if (SBPF_OP(j->prog[i].code) == SBPF_JSET)
        k &= 0xffff;
    return k > 0xffff ? k : __builtin_bswap16((uint16_t)k);
}

static void emit_cond_jump(struct jit *j, unsigned i, const struct sbpf_insn *in)
{
    unsigned next = i + 1;
    unsigned t_true = next + in->jt, t_false = next + in->jf;
    if (t_true == t_false) {
        if (t_true != next)
            emit_jump(j, CC_ALWAYS, t_true);
        return;
    }
    bool by_x = SBPF_SRC(in->code) == SBPF_X;
    uint32_t k = by_x ? 0 : raw_constant(j, i, in->k);
    int cc;
    switch (SBPF_OP(in->code)) {
    case SBPF_JSET:
        if (by_x) {
            op_rr(j, 0, 0x85, REG_X, REG_A);
        } else if (k <= 0xff) {
            emit8(j, 0xa8); /* test al, imm8 */
            emit8(j, k);
        } else {
            emit8(j, 0xa9); /* test eax, imm32 */
            emit32(j, k);
        }
        cc = CC_NE;
        break;
    default:
        if (by_x)
            op_rr(j, 0, 0x39, REG_X, REG_A); /* cmp eax, ecx */
        else if (SBPF_OP(in->code) == SBPF_JEQ && k == 0)
            op_rr(j, 0, 0x85, REG_A, REG_A);
        else
            alu_ri(j, ALU_CMP, REG_A, k);
        cc = SBPF_OP(in->code) == SBPF_JEQ ? CC_E : SBPF_OP(in->code) == SBPF_JGT ? CC_A : CC_AE;
        break;
    }
    if (t_true == next) {
        emit_jump(j, cc ^ 1, t_false);
    } else {
        emit_jump(j, cc, t_true);
        if (t_false != next)
            emit_jump(j, CC_ALWAYS, t_false);
    }
}

/* Next packet of the burst: back to the loop head, or out when the burst is done. */
static void emit_loop_tail(struct jit *j)
{
    op_rr(j, 1, 0xff, 0, BURST_INDEX);           /* inc r14 */
    op_rr(j, 0, 0x39, BURST_COUNT, BURST_INDEX); /* cmp r14d, r15d */
    emit_jump(j, CC_B, special(j, T_LOOP));
    emit_jump(j, CC_ALWAYS, special(j, T_DONE));
}

/* Stores the verdict (from eax, or an immediate) for the current packet of a burst. */
static void burst_store_verdict(struct jit *j, bool imm, uint32_t k)
{
    if (imm) {
        op_rm(j, 0, 0xc7, 0, BURST_VERDICTS, BURST_INDEX, 2, 0);
        emit32(j, k);
    } else {
        op_rm(j, 0, 0x89, REG_A, BURST_VERDICTS, BURST_INDEX, 2, 0);
    }
}

static void emit_ret(struct jit *j, bool imm, uint32_t k)
{
    if (!j->burst) {
        if (imm)
            mov_ri(j, REG_A, k);
        emit8(j, 0xc3);
        return;
    }
    /* The loop's back edge is repeated here rather than jumped to: one taken branch less
     * per packet. */
    burst_store_verdict(j, imm, k);
    emit_loop_tail(j);
}

static void emit_insn(struct jit *j, unsigned i)
{
    const struct sbpf_insn *in = &j->prog[i];
    uint32_t k = in->k;

    if (j->budgeted && j->leader[i]) {
        alu_ri(j, ALU_SUB, REG_BUDGET, j->block_len[i]);
        jump_ret0(j, CC_B);
    }
    switch (in->code) {
    case SBPF_RET | SBPF_K:
        emit_ret(j, true, k);
        break;
    case SBPF_RET | SBPF_A:
        emit_ret(j, false, 0);
        break;
    case SBPF_LD | SBPF_W | SBPF_ABS:
        emit_load_abs(j, i, REG_A, 4, k);
        break;
    case SBPF_LD | SBPF_H | SBPF_ABS:
        emit_load_abs(j, i, REG_A, 2, k);
        break;
    case SBPF_LD | SBPF_B | SBPF_ABS:
        emit_load_abs(j, i, REG_A, 1, k);
        break;
    case SBPF_LD | SBPF_W | SBPF_IND:
        emit_load_ind(j, i, 4, k);
        break;
    case SBPF_LD | SBPF_H | SBPF_IND:
        emit_load_ind(j, i, 2, k);
        break;
    case SBPF_LD | SBPF_B | SBPF_IND:
        emit_load_ind(j, i, 1, k);
        break;
    case SBPF_LDX | SBPF_MSH | SBPF_B:
        emit_load_abs(j, i, REG_X, 1, k);
        alu_ri(j, ALU_AND, REG_X, 0xf);
        shift_ri(j, 4, REG_X, 2);
        break;
    case SBPF_LD | SBPF_W | SBPF_LEN:
        mov_rr(j, REG_A, REG_WIRELEN);
        break;
    case SBPF_LDX | SBPF_W | SBPF_LEN:
        mov_rr(j, REG_X, REG_WIRELEN);
        break;
    case SBPF_LD | SBPF_IMM:
        mov_ri(j, REG_A, k);
        break;
    case SBPF_LDX | SBPF_IMM:
        mov_ri(j, REG_X, k);
        break;
    case SBPF_LD | SBPF_MEM:
        load_scratch(j, REG_A, k);
        break;
    case SBPF_LDX | SBPF_MEM:
        load_scratch(j, REG_X, k);
        break;
    case SBPF_ST:
        store_scratch(j, REG_A, k);
        break;
    case SBPF_STX:
        store_scratch(j, REG_X, k);
        break;
    case SBPF_JMP | SBPF_JA: {
        unsigned target = (unsigned)((int64_t)i + 1 + (int32_t)k);
        if (target != i + 1)
            emit_jump(j, CC_ALWAYS, target);
        break;
    }
    case SBPF_MISC | SBPF_TAX:
        mov_rr(j, REG_X, REG_A);
        break;
    case SBPF_MISC | SBPF_TXA:
        mov_rr(j, REG_A, REG_X);
        break;
    default:
        if (SBPF_CLASS(in->code) == SBPF_JMP)
            emit_cond_jump(j, i, in);
        else
            emit_alu(j, in->code, k);
        break;
    }
}

/* Per packet: A, X and the scratch slots start at 0 where some path reads them before
 * writing them, and a looping program gets its instruction budget. */
static void emit_packet_setup(struct jit *j)
{
    if (j->zero_a || j->zero_slots)
        mov_ri(j, REG_A, 0);
    if (j->zero_x)
        mov_ri(j, REG_X, 0);
    for (unsigned s = 0; s < SBPF_MEMWORDS; s++)
        if (j->zero_slots & (1u << s))
            store_scratch(j, REG_A, s);
    if (j->budgeted)
        mov_ri(j, REG_BUDGET, SBPF_INSN_BUDGET);
}

static void push_reg(struct jit *j, int r)
{
    emit_rex(j, 0, 0, NO_INDEX, r);
    emit8(j, 0x50 + (r & 7));
}

static void pop_reg(struct jit *j, int r)
{
    emit_rex(j, 0, 0, NO_INDEX, r);
    emit8(j, 0x58 + (r & 7));
}

static const int burst_saved[] = {RBX, RBP, R12, R13, R14, R15};
#define BURST_SAVED_COUNT (sizeof(burst_saved) / sizeof(burst_saved[0]))

static void emit_pass(struct jit *j)
{
    j->len = 0;
    j->site = 0;
    j->overflow = false;
    j->sites_changed = false;
    j->short_jumps = j->near_jumps = 0;
    j->shift = 0;

    /* endbr64: a no-op, but the valid target of an indirect call where the CPU tracks them. */
    emit8(j, 0xf3);
    emit8(j, 0x0f);
    emit8(j, 0x1e);
    emit8(j, 0xfa);
    if (!j->burst) {
        if (j->uses_packet)
            mov_rr(j, REG_CAPLEN, RDX);
        emit_packet_setup(j);
    } else {
        for (unsigned r = 0; r < BURST_SAVED_COUNT; r++)
            push_reg(j, burst_saved[r]);
        op_rr(j, 1, 0x89, RDI, BURST_PKTS);
        op_rr(j, 1, 0x89, RSI, BURST_WIRELENS);
        op_rr(j, 1, 0x89, RDX, BURST_CAPLENS);
        op_rr(j, 1, 0x89, RCX, BURST_VERDICTS);
        mov_rr(j, BURST_COUNT, R8);
        mov_ri(j, BURST_INDEX, 0);
        op_rr(j, 0, 0x85, BURST_COUNT, BURST_COUNT);
        emit_jump(j, CC_E, special(j, T_DONE));
        place(j, special(j, T_LOOP));
        /* Only the arguments the program looks at. */
        if (j->uses_packet) {
            op_rm(j, 1, 0x8b, REG_PKT, BURST_PKTS, BURST_INDEX, 3, 0);
            op_rm(j, 0, 0x8b, REG_CAPLEN, BURST_CAPLENS, BURST_INDEX, 2, 0);
        }
        if (j->uses_wirelen)
            op_rm(j, 0, 0x8b, REG_WIRELEN, BURST_WIRELENS, BURST_INDEX, 2, 0);
        emit_packet_setup(j);
    }

    for (unsigned i = 0; i < j->n; i++) {
        place(j, i);
        emit_insn(j, i);
    }

    place(j, special(j, T_RET0));
    if (!j->burst) {
        mov_ri(j, REG_A, 0);
        emit8(j, 0xc3);
        place(j, special(j, T_LOOP)); /* unused here; placed so every target has a place */
        place(j, special(j, T_DONE));
        return;
    }
    burst_store_verdict(j, true, 0);
    op_rr(j, 1, 0xff, 0, BURST_INDEX);           /* inc r14 */
    op_rr(j, 0, 0x39, BURST_COUNT, BURST_INDEX); /* cmp r14d, r15d */
    emit_jump(j, CC_B, special(j, T_LOOP));
    place(j, special(j, T_DONE));
    for (unsigned r = BURST_SAVED_COUNT; r-- > 0;)
        pop_reg(j, burst_saved[r]);
    emit8(j, 0xc3);
}

/* Lays out and emits one entry point; returns its size, or 0 with a note. */
static size_t compile_entry(struct jit *j, char *note, size_t notelen)
{
    size_t targets = j->n + T_SPECIAL_COUNT;
    memset(j->addr, 0, targets * sizeof(*j->addr));
    memset(j->site_near, 0, j->nsites);
    j->all_near = false;
    for (unsigned pass = 0; pass < MAX_PASSES; pass++) {
        j->first_pass = pass == 0;
        j->pass = ++j->pass_serial;
        if (pass == PASSES_BEFORE_ALL_NEAR)
            j->all_near = true;
        emit_pass(j);
        if (j->overflow) {
            set_note(note, notelen, "native code would exceed %zu bytes", j->cap);
            return 0;
        }
        bool settled = !j->first_pass && !j->sites_changed &&
                       memcmp(j->addr, j->addr_new, targets * sizeof(*j->addr)) == 0;
        memcpy(j->addr, j->addr_new, targets * sizeof(*j->addr));
        j->passes_total++;
        if (settled)
            return j->len;
    }
    set_note(note, notelen, "jump layout did not settle in %d passes", MAX_PASSES);
    return 0;
}

/* Marks block leaders: only a looping program needs them, for its instruction budget. */
static void find_blocks(const struct sbpf_insn *prog, unsigned n, uint8_t *leader,
                        uint16_t *block_len)
{
    memset(leader, 0, n);
    leader[0] = 1;
    for (unsigned i = 0; i < n; i++) {
        const struct sbpf_insn *in = &prog[i];
        unsigned cls = SBPF_CLASS(in->code);
        if (cls == SBPF_JMP) {
            if (SBPF_OP(in->code) == SBPF_JA) {
                leader[(int64_t)i + 1 + (int32_t)in->k] = 1;
            } else {
                leader[i + 1 + in->jt] = 1;
                leader[i + 1 + in->jf] = 1;
            }
        }
        if ((cls == SBPF_JMP || cls == SBPF_RET) && i + 1 < n)
            leader[i + 1] = 1;
    }
    unsigned start = 0;
    for (unsigned i = 1; i <= n; i++) {
        if (i == n || leader[i]) {
            block_len[start] = (uint16_t)(i - start);
            start = i;
        }
    }
}

/* For a packet load, k + its size; 0 for any other insn. */
static uint64_t load_end(const struct sbpf_insn *in)
{
    unsigned size;
    switch (in->code) {
    case SBPF_LD | SBPF_W | SBPF_ABS:
    case SBPF_LD | SBPF_W | SBPF_IND:
        size = 4;
        break;
    case SBPF_LD | SBPF_H | SBPF_ABS:
    case SBPF_LD | SBPF_H | SBPF_IND:
        size = 2;
        break;
    case SBPF_LD | SBPF_B | SBPF_ABS:
    case SBPF_LD | SBPF_B | SBPF_IND:
    case SBPF_LDX | SBPF_MSH | SBPF_B:
        size = 1;
        break;
    default:
        return 0;
    }
    return (uint64_t)in->k + size;
}

/* ---- loads that may skip their byte swap ---- */

#define A_SRC_NONE (-2) /* no path reaches the insn (yet) */
#define A_SRC_MANY (-1) /* A comes from more than one insn, or from the initial 0 */

static bool writes_a(uint16_t code)
{
    return SBPF_CLASS(code) == SBPF_LD || SBPF_CLASS(code) == SBPF_ALU ||
           code == (SBPF_MISC | SBPF_TXA);
}

static bool reads_a(uint16_t code)
{
    switch (SBPF_CLASS(code)) {
    case SBPF_LD:
    case SBPF_LDX:
    case SBPF_STX:
        return false;
    case SBPF_JMP:
        return SBPF_OP(code) != SBPF_JA;
    case SBPF_RET:
        return SBPF_RVAL(code) == SBPF_A;
    case SBPF_MISC:
        return code == (SBPF_MISC | SBPF_TAX);
    default: /* ST, ALU */
        return true;
    }
}

static unsigned cfg_successors(const struct sbpf_insn *prog, unsigned i, unsigned succ[2])
{
    const struct sbpf_insn *in = &prog[i];
    if (SBPF_CLASS(in->code) == SBPF_RET)
        return 0;
    if (SBPF_CLASS(in->code) != SBPF_JMP) {
        succ[0] = i + 1;
        return 1;
    }
    if (SBPF_OP(in->code) == SBPF_JA) {
        succ[0] = (unsigned)((int64_t)i + 1 + (int32_t)in->k);
        return 1;
    }
    succ[0] = i + 1 + in->jt;
    succ[1] = i + 1 + in->jf;
    return 2;
}

/* a_src[i]: the single insn that wrote the A that reaches insn i on every path, else
 * A_SRC_MANY (A_SRC_NONE where no path reaches). */
static void find_a_sources(const struct sbpf_insn *prog, unsigned n, int32_t *a_src)
{
    for (unsigned i = 0; i < n; i++)
        a_src[i] = A_SRC_NONE;
    a_src[0] = A_SRC_MANY; /* the initial 0 */
    bool changed = true;
    while (changed) {
        changed = false;
        for (unsigned i = 0; i < n; i++) {
            if (a_src[i] == A_SRC_NONE)
                continue;
            int32_t out = writes_a(prog[i].code) ? (int32_t)i : a_src[i];
            unsigned succ[2];
            unsigned ns = cfg_successors(prog, i, succ);
            for (unsigned s = 0; s < ns; s++) {
                int32_t *at = &a_src[succ[s]];
                int32_t met = *at == A_SRC_NONE ? out : *at == out ? out : A_SRC_MANY;
                if (met != *at) {
                    *at = met;
                    changed = true;
                }
            }
        }
    }
}

#define RAW_SEARCH_LIMIT 64

/* A halfword or word load may leave A unswapped when every insn its value reaches reads it
 * only as JEQ #k or JSET #k and gets A from this load alone. The search follows the program
 * until A is overwritten; past RAW_SEARCH_LIMIT insns it gives up (and swaps). */
static void find_raw_loads(const struct sbpf_insn *prog, unsigned n, const int32_t *a_src,
                           uint8_t *raw, uint32_t *seen, unsigned *stack)
{
    memset(raw, 0, n);
    memset(seen, 0, sizeof(*seen) * n);
    for (unsigned d = 0; d < n; d++) {
        uint16_t code = prog[d].code;
        if (SBPF_CLASS(code) != SBPF_LD || SBPF_SIZE(code) == SBPF_B ||
            (SBPF_MODE(code) != SBPF_ABS && SBPF_MODE(code) != SBPF_IND))
            continue;
        uint32_t stamp = d + 1;
        unsigned top = 0, visited = 0;
        bool ok = true;
        unsigned succ[2];
        unsigned ns = cfg_successors(prog, d, succ);
        for (unsigned s = 0; s < ns; s++)
            stack[top++] = succ[s];
        while (ok && top) {
            unsigned u = stack[--top];
            if (seen[u] == stamp)
                continue;
            seen[u] = stamp;
            if (++visited > RAW_SEARCH_LIMIT) {
                ok = false;
                break;
            }
            uint16_t c = prog[u].code;
            if (reads_a(c)) {
                bool test =
                    c == (SBPF_JMP | SBPF_JEQ | SBPF_K) || c == (SBPF_JMP | SBPF_JSET | SBPF_K);
                if (!test || a_src[u] != (int32_t)d) {
                    ok = false;
                    break;
                }
            }
            if (writes_a(c))
                continue; /* this value of A ends here */
            ns = cfg_successors(prog, u, succ);
            for (unsigned s = 0; s < ns; s++)
                stack[top++] = succ[s];
        }
        raw[d] = ok;
    }
}

int sbpf_jit_compile(const struct sbpf_insn *prog, unsigned n, size_t code_limit,
                     struct sbpf_jit_code *out, char *note, size_t notelen)
{
    char why[160];
    memset(out, 0, sizeof(*out));
    set_note(note, notelen, "%s", "");
    /* The structural rules are what the generated code's safety rests on; which programs a
     * capture may run is decided before (sbpf_filter_create). */
    if (sbpf_validate_structure(prog, n, why, sizeof(why)) < 0) {
        set_note(note, notelen, "not compiled: %s", why);
        return -1;
    }
    struct sbpf_prog_info info;
    sbpf_prog_info(prog, n, &info);

    struct jit j = {
        .prog = prog,
        .n = n,
        .budgeted = info.has_backward_jumps,
        .zero_slots = info.maybe_unset_slots,
        .cap = code_limit,
        .nsites = n * SITES_PER_INSN + SITES_EXTRA,
    };
    j.zero_a = info.a_maybe_unset;
    j.zero_x = info.x_maybe_unset;
    for (unsigned i = 0; i < n; i++) {
        uint16_t c = prog[i].code;
        if (c == (SBPF_LD | SBPF_W | SBPF_LEN) || c == (SBPF_LDX | SBPF_W | SBPF_LEN))
            j.uses_wirelen = true;
        if (load_end(&prog[i]))
            j.uses_packet = true;
    }
    int32_t *a_src = malloc(sizeof(*a_src) * n);
    uint8_t *raw_order = malloc(n);
    uint32_t *seen = malloc(sizeof(*seen) * n);
    unsigned *stack = malloc(sizeof(*stack) * (2 * RAW_SEARCH_LIMIT + 2));
    uint8_t *leader = calloc(n, 1);
    uint16_t *block_len = calloc(n, sizeof(*block_len));
    uint8_t *single_code = malloc(code_limit ? code_limit : 1);
    uint8_t *burst_code = malloc(code_limit ? code_limit : 1);
    j.addr = calloc(n + T_SPECIAL_COUNT, sizeof(*j.addr));
    j.addr_new = calloc(n + T_SPECIAL_COUNT, sizeof(*j.addr_new));
    j.site_near = calloc(j.nsites, 1);
    j.placed = calloc(n + T_SPECIAL_COUNT, sizeof(*j.placed));
    int rc = -1;
    if (!a_src || !raw_order || !seen || !stack || !leader || !block_len || !single_code ||
        !burst_code || !j.addr || !j.addr_new || !j.site_near || !j.placed) {
        set_note(note, notelen, "out of memory while compiling");
        goto out;
    }
    find_blocks(prog, n, leader, block_len);
    find_a_sources(prog, n, a_src);
    find_raw_loads(prog, n, a_src, raw_order, seen, stack);
    j.a_src = a_src;
    j.raw_order = raw_order;
    j.leader = leader;
    j.block_len = block_len;

    j.burst = false;
    j.buf = single_code;
    size_t single_len = compile_entry(&j, note, notelen);
    if (!single_len)
        goto out;
    unsigned short_jumps = j.short_jumps, near_jumps = j.near_jumps;

    j.burst = true;
    j.buf = burst_code;
    size_t burst_len = compile_entry(&j, note, notelen);
    if (!burst_len)
        goto out;
    short_jumps += j.short_jumps;
    near_jumps += j.near_jumps;

    size_t burst_off = (single_len + 15) & ~(size_t)15;
    size_t total = burst_off + burst_len;
    if (total > code_limit) {
        set_note(note, notelen, "native code needs %zu bytes, over the %zu-byte limit", total,
                 code_limit);
        goto out;
    }
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t map_size = (total + page - 1) & ~(page - 1);
    void *map = mmap(NULL, map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) {
        set_note(note, notelen, "mmap of %zu bytes failed: %s", map_size, strerror(errno));
        goto out;
    }
    memset(map, 0xcc, map_size); /* int3 around and between the entry points */
    memcpy(map, single_code, single_len);
    memcpy((uint8_t *)map + burst_off, burst_code, burst_len);
    if (mprotect(map, map_size, PROT_READ | PROT_EXEC) != 0) {
        set_note(note, notelen, "mprotect to read+execute failed: %s", strerror(errno));
        munmap(map, map_size);
        goto out;
    }
    out->map = map;
    out->map_size = map_size;
    out->code_size = total;
    out->fn = (sbpf_native_fn)(uintptr_t)map;
    out->burst = (sbpf_native_burst_fn)(uintptr_t)((uint8_t *)map + burst_off);
    out->short_jumps = short_jumps;
    out->near_jumps = near_jumps;
    out->passes = j.passes_total;
    rc = 0;
out:
    free(a_src);
    free(raw_order);
    free(seen);
    free(stack);
    free(leader);
    free(block_len);
    free(single_code);
    free(burst_code);
    free(j.addr);
    free(j.addr_new);
    free(j.site_near);
    free(j.placed);
    return rc;
}

#else /* !__x86_64__ */

int sbpf_jit_compile(const struct sbpf_insn *prog, unsigned n, size_t code_limit,
                     struct sbpf_jit_code *out, char *note, size_t notelen)
{
    (void)prog;
    (void)n;
    (void)code_limit;
    memset(out, 0, sizeof(*out));
    set_note(note, notelen, "no JIT for this architecture");
    return -1;
}

#endif

/* sbpf_analyze.c - static facts about a validated program: whether it loops, and which of
 * A, X and the scratch slots some path can read before writing (those must start at 0). */
#include "sbpf.h"

#include <stdlib.h>
#include <string.h>

/* State bits: scratch slots 0..15, then A and X. */
#define BIT_A (1u << SBPF_MEMWORDS)
#define BIT_X (1u << (SBPF_MEMWORDS + 1))
#define ALL_BITS (BIT_X | BIT_A | ((1u << SBPF_MEMWORDS) - 1))

static uint32_t slot_bit(uint32_t k)
{
    return k < SBPF_MEMWORDS ? 1u << k : 0;
}

/* What insn reads and writes among A, X and the slots. */
static void uses_defs(const struct sbpf_insn *in, uint32_t *uses, uint32_t *defs)
{
    uint16_t code = in->code;
    *uses = *defs = 0;
    switch (SBPF_CLASS(code)) {
    case SBPF_LD:
        *defs = BIT_A;
        if (SBPF_MODE(code) == SBPF_IND)
            *uses = BIT_X;
        if (SBPF_MODE(code) == SBPF_MEM)
            *uses = slot_bit(in->k);
        break;
    case SBPF_LDX:
        *defs = BIT_X;
        if (SBPF_MODE(code) == SBPF_MEM)
            *uses = slot_bit(in->k);
        break;
    case SBPF_ST:
        *uses = BIT_A;
        *defs = slot_bit(in->k);
        break;
    case SBPF_STX:
        *uses = BIT_X;
        *defs = slot_bit(in->k);
        break;
    case SBPF_ALU:
        *uses = BIT_A | (SBPF_OP(code) != SBPF_NEG && SBPF_SRC(code) == SBPF_X ? BIT_X : 0);
        *defs = BIT_A;
        break;
    case SBPF_JMP:
        if (SBPF_OP(code) != SBPF_JA)
            *uses = BIT_A | (SBPF_SRC(code) == SBPF_X ? BIT_X : 0);
        break;
    case SBPF_RET:
        if (SBPF_RVAL(code) == SBPF_A)
            *uses = BIT_A;
        break;
    case SBPF_MISC:
        if (code == (SBPF_MISC | SBPF_TAX)) {
            *uses = BIT_A;
            *defs = BIT_X;
        } else {
            *uses = BIT_X;
            *defs = BIT_A;
        }
        break;
    }
}

/* Successors of insn i; returns how many (0..2). */
static unsigned successors(const struct sbpf_insn *prog, unsigned i, unsigned succ[2])
{
    const struct sbpf_insn *in = &prog[i];
    switch (SBPF_CLASS(in->code)) {
    case SBPF_RET:
        return 0;
    case SBPF_JMP:
        if (SBPF_OP(in->code) == SBPF_JA) {
            succ[0] = (unsigned)((int64_t)i + 1 + (int32_t)in->k);
            return 1;
        }
        succ[0] = i + 1 + in->jt;
        succ[1] = i + 1 + in->jf;
        return succ[0] == succ[1] ? 1 : 2;
    default:
        succ[0] = i + 1;
        return 1;
    }
}

void sbpf_prog_info(const struct sbpf_insn *prog, unsigned n, struct sbpf_prog_info *info)
{
    memset(info, 0, sizeof(*info));
    for (unsigned i = 0; i < n; i++)
        if (prog[i].code == (SBPF_JMP | SBPF_JA) && (int32_t)prog[i].k < 0)
            info->has_backward_jumps = true;

    /* Must-be-written sets: what every path reaching each insn has written. Start from "all"
     * everywhere but the entry and shrink to the fixed point; a forward-only program gets
     * there in one sweep, a looping one in a few. */
    uint32_t *set_in = malloc(sizeof(*set_in) * (n ? n : 1));
    if (!set_in) { /* starting everything at 0 is always correct */
        info->maybe_unset_slots = 0xffff;
        info->a_maybe_unset = info->x_maybe_unset = true;
        return;
    }
    for (unsigned i = 0; i < n; i++)
        set_in[i] = ALL_BITS;
    if (n)
        set_in[0] = 0;
    bool changed = true;
    while (changed) {
        changed = false;
        for (unsigned i = 0; i < n; i++) {
            uint32_t uses, defs;
            uses_defs(&prog[i], &uses, &defs);
            uint32_t out = set_in[i] | defs;
            unsigned succ[2];
            unsigned ns = successors(prog, i, succ);
            for (unsigned s = 0; s < ns; s++) {
                if (succ[s] >= n)
                    continue;
                uint32_t next = set_in[succ[s]] & out;
                if (next != set_in[succ[s]]) {
                    set_in[succ[s]] = next;
                    changed = true;
                }
            }
        }
    }
    /* Unreachable insns keep "all" and so flag nothing: they never run. */
    uint32_t unset = 0;
    for (unsigned i = 0; i < n; i++) {
        uint32_t uses, defs;
        uses_defs(&prog[i], &uses, &defs);
        unset |= uses & ~set_in[i];
    }
    info->maybe_unset_slots = (uint16_t)(unset & 0xffff);
    info->a_maybe_unset = (unset & BIT_A) != 0;
    info->x_maybe_unset = (unset & BIT_X) != 0;
    free(set_in);
}

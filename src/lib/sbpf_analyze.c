/* sbpf_analyze.c - static facts about a validated program: whether it loops, and which
 * scratch slots some path can read before any store (those must start out zeroed). */
#include "sbpf.h"

#include <stdlib.h>
#include <string.h>

static uint16_t slots_stored(const struct sbpf_insn *in)
{
    if ((SBPF_CLASS(in->code) == SBPF_ST || SBPF_CLASS(in->code) == SBPF_STX) &&
        in->k < SBPF_MEMWORDS)
        return (uint16_t)(1u << in->k);
    return 0;
}

static int slot_loaded(const struct sbpf_insn *in)
{
    if ((in->code == (SBPF_LD | SBPF_MEM) || in->code == (SBPF_LDX | SBPF_MEM)))
        return (int)in->k;
    return -1;
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

    /* Must-be-stored sets: the slots written on every path reaching each insn. Start from
     * "all" everywhere but the entry and shrink to the fixed point; a forward-only program
     * reaches it in one sweep, a looping one in a few. */
    uint16_t *set_in = malloc(sizeof(*set_in) * (n ? n : 1));
    if (!set_in) {
        info->maybe_unset_slots = 0xffff; /* zeroing every slot is always correct */
        return;
    }
    for (unsigned i = 0; i < n; i++)
        set_in[i] = 0xffff;
    if (n)
        set_in[0] = 0;
    bool changed = true;
    while (changed) {
        changed = false;
        for (unsigned i = 0; i < n; i++) {
            uint16_t out = set_in[i] | slots_stored(&prog[i]);
            unsigned succ[2];
            unsigned ns = successors(prog, i, succ);
            for (unsigned s = 0; s < ns; s++) {
                if (succ[s] >= n)
                    continue;
                uint16_t next = set_in[succ[s]] & out;
                if (next != set_in[succ[s]]) {
                    set_in[succ[s]] = next;
                    changed = true;
                }
            }
        }
    }
    /* Unreachable insns keep "all" and so flag nothing: they never run. */
    for (unsigned i = 0; i < n; i++) {
        int slot = slot_loaded(&prog[i]);
        if (slot >= 0 && slot < SBPF_MEMWORDS && !(set_in[i] & (1u << slot)))
            info->maybe_unset_slots |= (uint16_t)(1u << slot);
    }
    free(set_in);
}

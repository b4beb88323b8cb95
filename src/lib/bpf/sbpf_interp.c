/* sbpf_interp.c - the reference classic BPF interpreter: verdicts equal to libpcap's
 * bpf_filter() for every validated program, plus an execution budget for looping programs. */
#include "sbpf.h"

#include <string.h>

#include "byteorder.h"

/* The bounds tests mirror libpcap's: each operand is compared before any sum is formed, so
 * no k + X can wrap around. */
uint32_t sbpf_interp_ex(const struct sbpf_insn *prog, unsigned n, const uint8_t *pkt,
                        uint32_t wirelen, uint32_t caplen, bool *out_of_budget)
{
    uint32_t A = 0, X = 0, k;
    uint32_t mem[SBPF_MEMWORDS] = {0};
    uint32_t budget = SBPF_INSN_BUDGET;
    unsigned pc = 0;

    if (out_of_budget)
        *out_of_budget = false;
    for (;;) {
        /* Validation already guarantees pc < n (jumps stay inside, the last insn returns);
         * the test keeps even a program that skipped validation inside its array. */
        if (__builtin_expect(pc >= n, 0))
            return 0;
        const struct sbpf_insn *in = &prog[pc++];
        if (__builtin_expect(budget == 0, 0)) {
            if (out_of_budget)
                *out_of_budget = true;
            return 0;
        }
        budget--;
        switch (in->code) {
        case SBPF_RET | SBPF_K:
            return in->k;
        case SBPF_RET | SBPF_A:
            return A;

        case SBPF_LD | SBPF_W | SBPF_ABS:
            k = in->k;
            if (k > caplen || 4 > caplen - k)
                return 0;
            A = load_be32(pkt + k);
            break;
        case SBPF_LD | SBPF_H | SBPF_ABS:
            k = in->k;
            if (k > caplen || 2 > caplen - k)
                return 0;
            A = load_be16(pkt + k);
            break;
        case SBPF_LD | SBPF_B | SBPF_ABS:
            k = in->k;
            if (k >= caplen)
                return 0;
            A = pkt[k];
            break;
        case SBPF_LD | SBPF_W | SBPF_IND:
            if (in->k > caplen || X > caplen - in->k || 4 > caplen - in->k - X)
                return 0;
            A = load_be32(pkt + X + in->k);
            break;
        case SBPF_LD | SBPF_H | SBPF_IND:
            if (in->k > caplen || X > caplen - in->k || 2 > caplen - in->k - X)
                return 0;
            A = load_be16(pkt + X + in->k);
            break;
        case SBPF_LD | SBPF_B | SBPF_IND:
            if (in->k >= caplen || X >= caplen - in->k)
                return 0;
            A = pkt[X + in->k];
            break;
        case SBPF_LDX | SBPF_MSH | SBPF_B:
            k = in->k;
            if (k >= caplen)
                return 0;
            X = (uint32_t)(pkt[k] & 0xf) << 2;
            break;
        case SBPF_LD | SBPF_W | SBPF_LEN:
            A = wirelen;
            break;
        case SBPF_LDX | SBPF_W | SBPF_LEN:
            X = wirelen;
            break;
        case SBPF_LD | SBPF_IMM:
            A = in->k;
            break;
        case SBPF_LDX | SBPF_IMM:
            X = in->k;
            break;
        case SBPF_LD | SBPF_MEM:
            A = mem[in->k & (SBPF_MEMWORDS - 1)];
            break;
        case SBPF_LDX | SBPF_MEM:
            X = mem[in->k & (SBPF_MEMWORDS - 1)];
            break;
        case SBPF_ST:
            mem[in->k & (SBPF_MEMWORDS - 1)] = A;
            break;
        case SBPF_STX:
            mem[in->k & (SBPF_MEMWORDS - 1)] = X;
            break;

        case SBPF_JMP | SBPF_JA:
            pc = (unsigned)((int64_t)pc + (int32_t)in->k);
            break;
        case SBPF_JMP | SBPF_JEQ | SBPF_K:
            pc += A == in->k ? in->jt : in->jf;
            break;
        case SBPF_JMP | SBPF_JGT | SBPF_K:
            pc += A > in->k ? in->jt : in->jf;
            break;
        case SBPF_JMP | SBPF_JGE | SBPF_K:
            pc += A >= in->k ? in->jt : in->jf;
            break;
        case SBPF_JMP | SBPF_JSET | SBPF_K:
            pc += (A & in->k) ? in->jt : in->jf;
            break;
        case SBPF_JMP | SBPF_JEQ | SBPF_X:
            pc += A == X ? in->jt : in->jf;
            break;
        case SBPF_JMP | SBPF_JGT | SBPF_X:
            pc += A > X ? in->jt : in->jf;
            break;
        case SBPF_JMP | SBPF_JGE | SBPF_X:
            pc += A >= X ? in->jt : in->jf;
            break;
        case SBPF_JMP | SBPF_JSET | SBPF_X:
            pc += (A & X) ? in->jt : in->jf;
            break;

        case SBPF_ALU | SBPF_ADD | SBPF_K:
            A += in->k;
            break;
        case SBPF_ALU | SBPF_SUB | SBPF_K:
            A -= in->k;
            break;
        case SBPF_ALU | SBPF_MUL | SBPF_K:
            A *= in->k;
            break;
        case SBPF_ALU | SBPF_DIV | SBPF_K:
            if (in->k == 0) /* rejected by validation; kept so no input can trap */
                return 0;
            A /= in->k;
            break;
        case SBPF_ALU | SBPF_MOD | SBPF_K:
            if (in->k == 0)
                return 0;
            A %= in->k;
            break;
        case SBPF_ALU | SBPF_AND | SBPF_K:
            A &= in->k;
            break;
        case SBPF_ALU | SBPF_OR | SBPF_K:
            A |= in->k;
            break;
        case SBPF_ALU | SBPF_XOR | SBPF_K:
            A ^= in->k;
            break;
        case SBPF_ALU | SBPF_LSH | SBPF_K:
            A = in->k < 32 ? A << in->k : 0;
            break;
        case SBPF_ALU | SBPF_RSH | SBPF_K:
            A = in->k < 32 ? A >> in->k : 0;
            break;
        case SBPF_ALU | SBPF_ADD | SBPF_X:
            A += X;
            break;
        case SBPF_ALU | SBPF_SUB | SBPF_X:
            A -= X;
            break;
        case SBPF_ALU | SBPF_MUL | SBPF_X:
            A *= X;
            break;
        case SBPF_ALU | SBPF_DIV | SBPF_X:
            if (X == 0)
                return 0;
            A /= X;
            break;
        case SBPF_ALU | SBPF_MOD | SBPF_X:
            if (X == 0)
                return 0;
            A %= X;
            break;
        case SBPF_ALU | SBPF_AND | SBPF_X:
            A &= X;
            break;
        case SBPF_ALU | SBPF_OR | SBPF_X:
            A |= X;
            break;
        case SBPF_ALU | SBPF_XOR | SBPF_X:
            A ^= X;
            break;
        case SBPF_ALU | SBPF_LSH | SBPF_X:
            A = X < 32 ? A << X : 0;
            break;
        case SBPF_ALU | SBPF_RSH | SBPF_X:
            A = X < 32 ? A >> X : 0;
            break;
        case SBPF_ALU | SBPF_NEG:
            A = 0u - A;
            break;

        case SBPF_MISC | SBPF_TAX:
            X = A;
            break;
        case SBPF_MISC | SBPF_TXA:
            A = X;
            break;

        default: /* rejected by validation */
            return 0;
        }
    }
}

uint32_t sbpf_interp(const struct sbpf_insn *prog, unsigned n, const uint8_t *pkt, uint32_t wirelen,
                     uint32_t caplen)
{
    return sbpf_interp_ex(prog, n, pkt, wirelen, caplen, NULL);
}

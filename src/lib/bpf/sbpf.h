/* sbpf.h - classic BPF filters for captures: validation, the reference interpreter, and
 * the x86-64 JIT, behind one filter object whose verdicts equal libpcap's bpf_filter(). */
#ifndef SLUICE_SBPF_H
#define SLUICE_SBPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SBPF_MAX_INSNS 4096
#define SBPF_MEMWORDS 16
/* Instructions one packet may execute. Only programs with backward jumps (the loops that
 * libpcap's `protochain` emits) can reach it; past it the verdict is 0. Equal to the longest
 * program, so a loop never costs more than a loop-free program may. */
#define SBPF_INSN_BUDGET 4096u
/* Bound on a program's costliest path, each instruction counted once: everything counts 1,
 * but multiply and divide/modulo (by X or a constant not a power of two) are several times
 * dearer in native code, so they count more. */
#define SBPF_MAX_COST 4096u
#define SBPF_COST_MUL 4u
#define SBPF_COST_DIV 8u
/* Upper bound on the native code of one filter (both entry points together). */
#define SBPF_JIT_MAX_CODE (1024u * 1024u)

/* Instruction code fields, the values of <pcap/bpf.h> (prefixed so both can be included). */
#define SBPF_CLASS(code) ((code)&0x07)
#define SBPF_LD 0x00
#define SBPF_LDX 0x01
#define SBPF_ST 0x02
#define SBPF_STX 0x03
#define SBPF_ALU 0x04
#define SBPF_JMP 0x05
#define SBPF_RET 0x06
#define SBPF_MISC 0x07
#define SBPF_SIZE(code) ((code)&0x18)
#define SBPF_W 0x00
#define SBPF_H 0x08
#define SBPF_B 0x10
#define SBPF_MODE(code) ((code)&0xe0)
#define SBPF_IMM 0x00
#define SBPF_ABS 0x20
#define SBPF_IND 0x40
#define SBPF_MEM 0x60
#define SBPF_LEN 0x80
#define SBPF_MSH 0xa0
#define SBPF_OP(code) ((code)&0xf0)
#define SBPF_ADD 0x00
#define SBPF_SUB 0x10
#define SBPF_MUL 0x20
#define SBPF_DIV 0x30
#define SBPF_OR 0x40
#define SBPF_AND 0x50
#define SBPF_LSH 0x60
#define SBPF_RSH 0x70
#define SBPF_NEG 0x80
#define SBPF_MOD 0x90
#define SBPF_XOR 0xa0
#define SBPF_JA 0x00
#define SBPF_JEQ 0x10
#define SBPF_JGT 0x20
#define SBPF_JGE 0x30
#define SBPF_JSET 0x40
#define SBPF_SRC(code) ((code)&0x08)
#define SBPF_K 0x00
#define SBPF_X 0x08
#define SBPF_RVAL(code) ((code)&0x18)
#define SBPF_A 0x10
#define SBPF_TAX 0x00
#define SBPF_TXA 0x80

/* Same layout as struct bpf_insn in <pcap/bpf.h> and <linux/filter.h>. */
struct sbpf_insn {
    uint16_t code;
    uint8_t jt;
    uint8_t jf;
    uint32_t k;
};

/* Returns 0 if the switch may run the program, else -1 with a message naming the
 * instruction: sbpf_validate_structure's rules, loops only as protochain emits them, and a
 * costliest path within SBPF_MAX_COST. */
int sbpf_validate(const struct sbpf_insn *prog, unsigned n, char *err, size_t errlen);
/* The rules the interpreter and native code need to run a program safely (they bound any
 * loop by SBPF_INSN_BUDGET); not enough to admit a capture's filter. */
int sbpf_validate_structure(const struct sbpf_insn *prog, unsigned n, char *err, size_t errlen);
/* An instruction's cost, and the costliest path of a structurally valid program. */
unsigned sbpf_insn_cost(const struct sbpf_insn *in);
unsigned sbpf_worst_cost(const struct sbpf_insn *prog, unsigned n);

/* Runs a validated program; wirelen is the frame's original length, caplen the bytes at pkt. */
uint32_t sbpf_interp(const struct sbpf_insn *prog, unsigned n, const uint8_t *pkt, uint32_t wirelen,
                     uint32_t caplen);

/* As sbpf_interp; *out_of_budget (if not NULL) tells whether the verdict is 0 because the
 * packet used up SBPF_INSN_BUDGET rather than because the program said so. */
uint32_t sbpf_interp_ex(const struct sbpf_insn *prog, unsigned n, const uint8_t *pkt,
                        uint32_t wirelen, uint32_t caplen, bool *out_of_budget);

/* Facts about a validated program that the JIT and the tests use. */
struct sbpf_prog_info {
    bool has_backward_jumps;
    uint16_t maybe_unset_slots; /* bit i: some path may read slot i before writing it */
    bool a_maybe_unset;         /* some path reads A before writing it (it starts at 0) */
    bool x_maybe_unset;         /* likewise X */
};
void sbpf_prog_info(const struct sbpf_insn *prog, unsigned n, struct sbpf_prog_info *info);

typedef uint32_t (*sbpf_native_fn)(const uint8_t *pkt, uint32_t wirelen, uint32_t caplen);
/* Runs the program on n packets: verdicts[i] for pkts[i], wirelens[i], caplens[i]. */
typedef void (*sbpf_native_burst_fn)(const uint8_t *const *pkts, const uint32_t *wirelens,
                                     const uint32_t *caplens, uint32_t *verdicts, uint32_t n);

/* Native code for one program: a per-packet entry and a burst entry in one mapping that is
 * written while read-write and then made read+execute (never writable and executable). */
struct sbpf_jit_code {
    sbpf_native_fn fn;
    sbpf_native_burst_fn burst;
    void *map;
    size_t map_size;
    size_t code_size;     /* bytes of machine code in the mapping */
    unsigned short_jumps; /* jumps emitted with an 8-bit displacement */
    unsigned near_jumps;  /* jumps emitted with a 32-bit displacement */
    unsigned passes;      /* layout passes the two entry points took together */
};

/* Compiles a validated program into at most code_limit bytes. Returns 0, or -1 with a note
 * saying why (the caller then uses the interpreter). */
int sbpf_jit_compile(const struct sbpf_insn *prog, unsigned n, size_t code_limit,
                     struct sbpf_jit_code *out, char *note, size_t notelen);
void sbpf_jit_free(struct sbpf_jit_code *code);

/* A validated program, compiled to native code when possible. */
struct sbpf_filter {
    struct sbpf_insn *prog;
    unsigned n;
    sbpf_native_fn native; /* NULL: run by the interpreter */
    void *code;            /* mapping that holds the native code */
    size_t code_size;
    sbpf_native_burst_fn native_burst; /* NULL exactly when native is NULL */
    struct sbpf_jit_code jit;
};

/* Validates and (if want_jit) compiles. On a JIT failure the filter still works through the
 * interpreter and jit_note explains why (for the switch's log). NULL with err on rejection. */
struct sbpf_filter *sbpf_filter_create(const struct sbpf_insn *prog, unsigned n, bool want_jit,
                                       char *err, size_t errlen, char *jit_note, size_t notelen);
/* As sbpf_filter_create, with the native code bounded by code_limit bytes. */
struct sbpf_filter *sbpf_filter_create_limited(const struct sbpf_insn *prog, unsigned n,
                                               bool want_jit, size_t code_limit, char *err,
                                               size_t errlen, char *jit_note, size_t notelen);
void sbpf_filter_destroy(struct sbpf_filter *f);

static inline uint32_t sbpf_filter_run(const struct sbpf_filter *f, const uint8_t *pkt,
                                       uint32_t wirelen, uint32_t caplen)
{
    if (f->native)
        return f->native(pkt, wirelen, caplen);
    return sbpf_interp(f->prog, f->n, pkt, wirelen, caplen);
}

/* verdicts[i] = the filter's verdict on pkts[i]; the native code loops over the burst itself. */
static inline void sbpf_filter_run_burst(const struct sbpf_filter *f, const uint8_t *const *pkts,
                                         const uint32_t *wirelens, const uint32_t *caplens,
                                         uint32_t *verdicts, unsigned n)
{
    if (f->native_burst) {
        f->native_burst(pkts, wirelens, caplens, verdicts, n);
        return;
    }
    for (unsigned i = 0; i < n; i++)
        verdicts[i] = sbpf_interp(f->prog, f->n, pkts[i], wirelens[i], caplens[i]);
}

#endif

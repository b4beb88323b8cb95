/* sbpf.h - classic BPF filters for captures: validation, the reference interpreter, and
 * the x86-64 JIT, behind one filter object whose verdicts equal libpcap's bpf_filter(). */
#ifndef SLUICE_SBPF_H
#define SLUICE_SBPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SBPF_MAX_INSNS 4096
#define SBPF_MEMWORDS 16

/* Same layout as struct bpf_insn in <pcap/bpf.h> and <linux/filter.h>. */
struct sbpf_insn {
    uint16_t code;
    uint8_t jt;
    uint8_t jf;
    uint32_t k;
};

/* Returns 0 if the program is safe to run, else -1 with a message naming the instruction. */
int sbpf_validate(const struct sbpf_insn *prog, unsigned n, char *err, size_t errlen);

/* Runs a validated program; wirelen is the frame's original length, caplen the bytes at pkt. */
uint32_t sbpf_interp(const struct sbpf_insn *prog, unsigned n, const uint8_t *pkt, uint32_t wirelen,
                     uint32_t caplen);

typedef uint32_t (*sbpf_native_fn)(const uint8_t *pkt, uint32_t wirelen, uint32_t caplen);

/* A validated program, compiled to native code when possible. */
struct sbpf_filter {
    struct sbpf_insn *prog;
    unsigned n;
    sbpf_native_fn native; /* NULL: run by the interpreter */
    void *code;            /* mapping that holds the native code */
    size_t code_size;
};

/* Validates and (if want_jit) compiles. On a JIT failure the filter still works through the
 * interpreter and jit_note explains why (for the switch's log). NULL with err on rejection. */
struct sbpf_filter *sbpf_filter_create(const struct sbpf_insn *prog, unsigned n, bool want_jit,
                                       char *err, size_t errlen, char *jit_note, size_t notelen);
void sbpf_filter_destroy(struct sbpf_filter *f);

static inline uint32_t sbpf_filter_run(const struct sbpf_filter *f, const uint8_t *pkt,
                                       uint32_t wirelen, uint32_t caplen)
{
    if (f->native)
        return f->native(pkt, wirelen, caplen);
    return sbpf_interp(f->prog, f->n, pkt, wirelen, caplen);
}

#endif

/* fuzz_sbpf_jit.c - a random valid BPF program and a packet built from the input, run by
 * the JIT (per packet and per burst, the packet ending at a guard page): its verdict must
 * equal the interpreter's and, where defined, libpcap's. Aborts on any difference. */
#include "../unit/test_sbpf_diff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void fail(const char *what, const struct sbpf_insn *prog, unsigned n, uint32_t got,
                 uint32_t want)
{
    fprintf(stderr, "%s: JIT %u, expected %u\n", what, got, want);
    diff_print_insn(prog, n);
    abort();
}

/* Input: mode byte, u16 length of the program part, the bytes that drive the program
 * generator, then the packet. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct diff_guard guard;
    static struct sbpf_insn prog[SBPF_MAX_INSNS];
    if (!guard.base)
        diff_guard_init(&guard, 65536);
    if (size < 3)
        return 0;
    unsigned mode = data[0] % 4;
    size_t prog_part = (size_t)data[1] | (size_t)data[2] << 8;
    data += 3;
    size -= 3;
    if (prog_part > size)
        prog_part = size;
    struct gen_rng r;
    gen_rng_from_bytes(&r, data, prog_part);
    unsigned n;
    if (mode == 3) { /* looping, like protochain */
        n = 24 + gen_below(&r, 100);
        gen_looping_program(&r, prog, n);
    } else {
        n = gen_program_len(&r);
        if (n < 2)
            n = 2;
        gen_program(&r, prog, n, mode != 2); /* mode 2: slots may be read unset */
    }
    /* The engines' own rules: loops of any shape and costly paths must still run safely. */
    if (sbpf_validate_structure(prog, n, NULL, 0) != 0) {
        if (mode != 3)
            abort(); /* the generator makes only valid forward programs */
        return 0;
    }
    const uint8_t *frame = data + prog_part;
    uint32_t len = (uint32_t)(size - prog_part);
    if (len > guard.usable)
        len = (uint32_t)guard.usable;

    char note[200];
    struct sbpf_jit_code code;
    if (sbpf_jit_compile(prog, n, SBPF_JIT_MAX_CODE, &code, note, sizeof(note)) != 0) {
        fprintf(stderr, "valid program not compiled: %s\n", note);
        abort();
    }
    struct sbpf_prog_info info;
    sbpf_prog_info(prog, n, &info);
    /* The whole packet, then cut short twice; wirelen from the mode byte's spare bits. */
    uint32_t caplens[3] = {len, len / 2, len ? len - 1 : 0};
    for (unsigned c = 0; c < 3; c++) {
        uint32_t caplen = caplens[c], wirelen = len + (uint32_t)(data[-3] >> 2);
        const uint8_t *p = diff_guard_place(&guard, frame, caplen);
        bool oob;
        uint32_t want = sbpf_interp_ex(prog, n, p, wirelen, caplen, &oob);
        uint32_t got = code.fn(p, wirelen, caplen);
        if (got != want)
            fail("per-packet entry vs interpreter", prog, n, got, want);
        const uint8_t *pkts[3] = {p, p, p};
        uint32_t wl[3] = {wirelen, wirelen, wirelen}, cl[3] = {caplen, caplen, caplen}, v[3];
        code.burst(pkts, wl, cl, v, 3);
        for (unsigned i = 0; i < 3; i++)
            if (v[i] != want)
                fail("burst entry vs interpreter", prog, n, v[i], want);
        if (!oob && !info.maybe_unset_slots) {
            uint32_t ref = diff_reference(prog, p, wirelen, caplen);
            if (got != ref)
                fail("vs libpcap", prog, n, got, ref);
        }
    }
    sbpf_jit_free(&code);
    return 0;
}

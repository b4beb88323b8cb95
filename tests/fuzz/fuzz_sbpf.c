/* fuzz_sbpf.c - arbitrary bytes as a BPF program and packet: the validator must never crash,
 * and every program it accepts must give the interpreter's verdict equal to libpcap's. */
#include "../unit/test_sbpf_diff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Input: u16 insn count (little-endian), u32 wirelen extra, the insns (8 bytes each, host
 * order), then the packet (caplen = what is left). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 6)
        return 0;
    unsigned n = (unsigned)data[0] | (unsigned)data[1] << 8;
    uint32_t extra;
    memcpy(&extra, data + 2, 4);
    data += 6;
    size -= 6;
    char err[256];
    if (n > SBPF_MAX_INSNS) {
        /* The length alone decides: the validator reads nothing. */
        struct sbpf_insn none;
        if (sbpf_validate(&none, n, err, sizeof(err)) != -1 || !strstr(err, "at most"))
            abort();
        return 0;
    }
    if ((size_t)n * sizeof(struct sbpf_insn) > size)
        n = (unsigned)(size / sizeof(struct sbpf_insn));
    struct sbpf_insn *prog = malloc(sizeof(*prog) * (n ? n : 1));
    if (!prog)
        return 0;
    memcpy(prog, data, sizeof(*prog) * n);
    size_t prog_bytes = sizeof(*prog) * n;
    uint32_t caplen = (uint32_t)(size - prog_bytes);
    /* The packet in an allocation of exactly caplen bytes, so ASan sees any over-read. */
    uint8_t *pkt = malloc(caplen ? caplen : 1);
    if (!pkt) {
        free(prog);
        return 0;
    }
    memcpy(pkt, data + prog_bytes, caplen);
    uint32_t wirelen = caplen + (extra & 0xffff);

    int rc = sbpf_validate(prog, n, err, sizeof(err));
    if (rc != 0 && (rc != -1 || (!strstr(err, "insn") && !strstr(err, "program"))))
        abort(); /* every rejection names an instruction or the program */
    if (rc == 0) {
        if (sbpf_worst_cost(prog, n) > SBPF_MAX_COST)
            abort(); /* an admitted program's costliest path is bounded */
        struct sbpf_prog_info info;
        sbpf_prog_info(prog, n, &info);
        bool oob;
        uint32_t got = sbpf_interp_ex(prog, n, pkt, wirelen, caplen, &oob);
        /* libpcap 1.10 reads unset slots from its stack and has no budget: only compare
         * where its answer is defined and it is sure to return. */
        if (!oob && !info.maybe_unset_slots) {
            uint32_t want = diff_reference(prog, pkt, wirelen, caplen);
            if (got != want) {
                fprintf(stderr, "interpreter %u, libpcap %u\n", got, want);
                diff_print_insn(prog, n);
                abort();
            }
        }
        if (oob && got != 0)
            abort();
    }
    free(pkt);
    free(prog);
    return 0;
}

/* fuzz_capture_open.c - a capture-open request end to end on the switch side: parameters
 * decoded, the program validated and compiled, and the filter run on a packet. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "capreq.h"
#include "json.h"
#include "sbpf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The first 64 bytes are the packet; the rest is the JSON request parameters. */
    size_t plen = size < 64 ? size : 64;
    char err[256], note[256];
    struct json *params = json_parse((const char *)data + plen, size - plen, err, sizeof(err));
    if (!params)
        return 0;
    struct capture_request cr;
    if (capreq_parse(params, &cr, err, sizeof(err)) == 0) {
        struct sbpf_filter *f =
            sbpf_filter_create(cr.prog, cr.ninsns, true, err, sizeof(err), note, sizeof(note));
        if (f) {
            uint32_t a = sbpf_filter_run(f, data, (uint32_t)plen, (uint32_t)plen);
            uint32_t b = sbpf_interp(f->prog, f->n, data, (uint32_t)plen, (uint32_t)plen);
            if (a != b)
                __builtin_trap();
            sbpf_filter_destroy(f);
        }
    }
    capreq_free(&cr);
    json_free(params);
    return 0;
}

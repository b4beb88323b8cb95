/* fuzz_control.c - the control-message decoder on arbitrary bytes: the JSON-RPC envelope and,
 * for capture.open, its parameters. Nothing may crash, leak or read out of bounds. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "capreq.h"
#include "rpc_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rpc_request req;
    char err[256];
    if (rpc_request_decode((const char *)data, size, &req, err, sizeof(err)) == 0) {
        struct capture_request cr;
        if (capreq_parse(req.params, &cr, err, sizeof(err)) == 0 && cr.ninsns == 0)
            __builtin_trap();
        capreq_free(&cr);
    }
    rpc_request_free(&req);
    return 0;
}

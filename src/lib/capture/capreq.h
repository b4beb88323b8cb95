/* capreq.h - the capture.open request, decoded and bounded before the switch acts on it:
 * port, direction, snaplen, ring size, the classic-BPF program and its source text. */
#ifndef SLUICE_CAPREQ_H
#define SLUICE_CAPREQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "sbpf.h"

#define CAPREQ_MAX_SNAPLEN 262144

struct capture_request {
    char port[32];
    bool on_rx, on_tx;
    uint32_t snaplen;
    uint64_t ring_size;
    struct sbpf_insn *prog; /* not yet validated: sbpf_filter_create does that */
    unsigned ninsns;
    char filter[256];
};

/* Returns 0, or -1 with a message naming the bad field. Free with capreq_free either way. */
int capreq_parse(const struct json *params, struct capture_request *req, char *err, size_t errlen);
void capreq_free(struct capture_request *req);

#endif

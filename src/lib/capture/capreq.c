/* capreq.c - decoding of capture.open parameters. Everything here comes from a client, so
 * every number is range-checked and every string bounded before use. */
#include "capreq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capring.h"

int capreq_parse(const struct json *params, struct capture_request *req, char *err, size_t errlen)
{
    memset(req, 0, sizeof(*req));
    const char *port = json_get_str(params, "port", NULL);
    if (!port || !*port || strlen(port) >= sizeof(req->port)) {
        snprintf(err, errlen, "port: expected a port name");
        return -1;
    }
    snprintf(req->port, sizeof(req->port), "%s", port);
    const char *dir = json_get_str(params, "direction", "inout");
    req->on_rx = strcmp(dir, "in") == 0 || strcmp(dir, "inout") == 0;
    req->on_tx = strcmp(dir, "out") == 0 || strcmp(dir, "inout") == 0;
    if (!req->on_rx && !req->on_tx) {
        snprintf(err, errlen, "direction must be in, out or inout");
        return -1;
    }
    int64_t v = CAPREQ_MAX_SNAPLEN;
    if (json_get(params, "snaplen") &&
        !json_get_int(params, "snaplen", 1, CAPREQ_MAX_SNAPLEN, &v)) {
        snprintf(err, errlen, "snaplen must be 1..%d", CAPREQ_MAX_SNAPLEN);
        return -1;
    }
    req->snaplen = (uint32_t)v;
    v = CAPRING_DEFAULT_SIZE;
    if (json_get(params, "ring_size") &&
        !json_get_int(params, "ring_size", CAPRING_MIN_SIZE, CAPRING_MAX_SIZE, &v)) {
        snprintf(err, errlen, "ring_size must be %d..%u bytes", CAPRING_MIN_SIZE, CAPRING_MAX_SIZE);
        return -1;
    }
    req->ring_size = (uint64_t)v;
    const struct json *filter = json_get(params, "filter");
    if (filter && (filter->type != JSON_STRING || strlen(filter->str) >= sizeof(req->filter))) {
        snprintf(err, errlen, "filter: expected a string under %zu bytes", sizeof(req->filter));
        return -1;
    }
    if (filter)
        snprintf(req->filter, sizeof(req->filter), "%s", filter->str);

    const struct json *prog = json_get(params, "program");
    if (!prog || prog->type != JSON_ARRAY || prog->n == 0 || prog->n > SBPF_MAX_INSNS) {
        snprintf(err, errlen, "program must be an array of 1 to %d instructions", SBPF_MAX_INSNS);
        return -1;
    }
    req->prog = calloc(prog->n, sizeof(*req->prog));
    if (!req->prog) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < prog->n; i++) {
        const struct json *in = prog->items[i];
        static const int64_t max[4] = {0xffff, 0xff, 0xff, 0xffffffffLL};
        int64_t f[4];
        bool ok = in->type == JSON_ARRAY && in->n == 4;
        for (int k = 0; ok && k < 4; k++)
            ok = json_as_int(in->items[k], 0, max[k], &f[k]);
        if (!ok) {
            snprintf(err, errlen, "program instruction %zu: expected [code, jt, jf, k] in range",
                     i);
            return -1;
        }
        req->prog[i] =
            (struct sbpf_insn){(uint16_t)f[0], (uint8_t)f[1], (uint8_t)f[2], (uint32_t)f[3]};
    }
    req->ninsns = (unsigned)prog->n;
    return 0;
}

void capreq_free(struct capture_request *req)
{
    free(req->prog);
    req->prog = NULL;
}

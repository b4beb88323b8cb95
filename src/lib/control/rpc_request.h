/* rpc_request.h - decoding one control request: JSON-RPC envelope checks (object, method,
 * params object, id kept to echo back) before any method sees it. */
#ifndef SLUICE_RPC_REQUEST_H
#define SLUICE_RPC_REQUEST_H

#include <stddef.h>

#include "json.h"

struct rpc_request {
    struct json *root;
    const char *method;
    const struct json *params; /* never NULL after a successful decode */
    char id_json[96];          /* the id re-encoded, "null" if absent or unusable */
};

/* Returns 0, or a JSON-RPC error code with a message in err. req->id_json is always set;
 * release with rpc_request_free in both cases. */
int rpc_request_decode(const char *msg, size_t len, struct rpc_request *req, char *err,
                       size_t errlen);
void rpc_request_free(struct rpc_request *req);

#endif

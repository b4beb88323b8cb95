/* rpc_request.c - the envelope of a control request, checked before dispatch. Method names
 * are bounded and printable so they can be logged and echoed safely. */
#include "rpc_request.h"

#include <stdio.h>
#include <string.h>

#include "rpc.h"

static const struct json empty_params = {.type = JSON_OBJECT};

static void encode_id(const struct json *id, char *buf, size_t len)
{
    snprintf(buf, len, "null");
    if (!id)
        return;
    if (id->type == JSON_NUMBER) {
        int64_t v;
        if (json_as_int(id, -(1LL << 53), 1LL << 53, &v))
            snprintf(buf, len, "%lld", (long long)v);
    } else if (id->type == JSON_STRING && strlen(id->str) < len / 2 - 4) {
        struct jw w;
        jw_init(&w);
        jw_str(&w, id->str);
        if (jw_text(&w) && strlen(jw_text(&w)) < len)
            snprintf(buf, len, "%s", jw_text(&w));
        jw_free(&w);
    }
}

int rpc_request_decode(const char *msg, size_t len, struct rpc_request *req, char *err,
                       size_t errlen)
{
    memset(req, 0, sizeof(*req));
    snprintf(req->id_json, sizeof(req->id_json), "null");
    char perr[160];
    req->root = json_parse(msg, len, perr, sizeof(perr));
    if (!req->root) {
        snprintf(err, errlen, "parse error: %s", perr);
        return RPC_ERR_PARSE;
    }
    if (req->root->type != JSON_OBJECT) {
        snprintf(err, errlen, "invalid request: expected an object");
        return RPC_ERR_INVALID;
    }
    encode_id(json_get(req->root, "id"), req->id_json, sizeof(req->id_json));
    const char *version = json_get_str(req->root, "jsonrpc", NULL);
    if (version && strcmp(version, "2.0") != 0) {
        snprintf(err, errlen, "invalid request: jsonrpc must be \"2.0\"");
        return RPC_ERR_INVALID;
    }
    req->method = json_get_str(req->root, "method", NULL);
    if (!req->method) {
        snprintf(err, errlen, "invalid request: no method");
        return RPC_ERR_INVALID;
    }
    size_t mlen = strlen(req->method);
    for (size_t i = 0; i < mlen; i++) {
        char c = req->method[i];
        if (mlen > 64 || !(c == '.' || c == '_' || c == '-' || (c >= 'a' && c <= 'z') ||
                           (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
            snprintf(err, errlen, "invalid request: bad method name");
            return RPC_ERR_INVALID;
        }
    }
    const struct json *params = json_get(req->root, "params");
    if (params && params->type != JSON_OBJECT) {
        snprintf(err, errlen, "params must be an object");
        return RPC_ERR_PARAMS;
    }
    req->params = params ? params : &empty_params;
    return 0;
}

void rpc_request_free(struct rpc_request *req)
{
    json_free(req->root);
    req->root = NULL;
}

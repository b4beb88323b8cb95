/* test_requests.c - control request decoding and capture.open parameters: each rejection
 * has its own case, and valid requests decode to exactly what was sent. */
#include <stdlib.h>

#include "capreq.h"
#include "check.h"
#include "rpc.h"
#include "rpc_request.h"

static int decode(const char *msg, char *err)
{
    struct rpc_request req;
    int rc = rpc_request_decode(msg, strlen(msg), &req, err, 256);
    rpc_request_free(&req);
    return rc;
}

static int capreq(const char *params, char *err)
{
    char perr[128];
    struct json *j = json_parse(params, strlen(params), perr, sizeof(perr));
    if (!j) {
        fprintf(stderr, "test JSON does not parse: %s\n", params);
        return -99;
    }
    struct capture_request req;
    int rc = capreq_parse(j, &req, err, 256);
    capreq_free(&req);
    json_free(j);
    return rc;
}

#define PROG "\"program\":[[6,0,0,262144]]"

int main(void)
{
    char err[256];
    struct rpc_request req;
    const char *good =
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"port.list\",\"params\":{\"a\":1}}";
    CHECK_EQ(rpc_request_decode(good, strlen(good), &req, err, sizeof(err)), 0);
    CHECK_STR(req.method, "port.list");
    CHECK_STR(req.id_json, "7");
    CHECK(json_get(req.params, "a") != NULL);
    rpc_request_free(&req);
    const char *noparams = "{\"id\":\"x\\\"y\",\"method\":\"m\"}";
    CHECK_EQ(rpc_request_decode(noparams, strlen(noparams), &req, err, sizeof(err)), 0);
    CHECK_STR(req.id_json, "\"x\\\"y\"");
    CHECK(req.params && req.params->type == JSON_OBJECT && req.params->n == 0);
    rpc_request_free(&req);

    CHECK_EQ(decode("not json", err), RPC_ERR_PARSE);
    CHECK_EQ(decode("[1]", err), RPC_ERR_INVALID);
    CHECK_EQ(decode("{\"id\":1}", err), RPC_ERR_INVALID);
    CHECK(strstr(err, "no method") != NULL);
    CHECK_EQ(decode("{\"method\":5}", err), RPC_ERR_INVALID);
    CHECK_EQ(decode("{\"method\":\"a b\"}", err), RPC_ERR_INVALID);
    CHECK_EQ(
        decode(
            "{\"method\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
            err),
        RPC_ERR_INVALID);
    CHECK_EQ(decode("{\"jsonrpc\":\"1.0\",\"method\":\"m\"}", err), RPC_ERR_INVALID);
    CHECK_EQ(decode("{\"method\":\"m\",\"params\":[1]}", err), RPC_ERR_PARAMS);
    CHECK_EQ(decode("{\"method\":\"m\",\"params\":\"x\"}", err), RPC_ERR_PARAMS);

    /* capture.open parameters */
    char *p = "{\"port\":\"p1\",\"direction\":\"in\",\"snaplen\":96,\"ring_size\":1048576,"
              "\"filter\":\"tcp\",\"program\":[[40,0,0,12],[21,0,1,2048],[6,0,0,96],[6,0,0,0]]}";
    struct json *j = json_parse(p, strlen(p), err, sizeof(err));
    struct capture_request cr;
    CHECK_EQ(capreq_parse(j, &cr, err, sizeof(err)), 0);
    CHECK_STR(cr.port, "p1");
    CHECK(cr.on_rx && !cr.on_tx);
    CHECK_EQ(cr.snaplen, 96);
    CHECK_EQ(cr.ring_size, 1048576);
    CHECK_EQ(cr.ninsns, 4);
    CHECK_EQ(cr.prog[1].code, 21);
    CHECK_EQ(cr.prog[1].jf, 1);
    CHECK_EQ(cr.prog[1].k, 2048);
    CHECK_STR(cr.filter, "tcp");
    capreq_free(&cr);
    json_free(j);
    CHECK_EQ(capreq("{\"port\":\"p1\"," PROG "}", err), 0);

    CHECK_EQ(capreq("{" PROG "}", err), -1);
    CHECK(strstr(err, "port") != NULL);
    CHECK_EQ(capreq("{\"port\":\"\"," PROG "}", err), -1);
    CHECK_EQ(capreq("{\"port\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"," PROG "}", err), -1);
    CHECK_EQ(capreq("{\"port\":\"p\",\"direction\":\"both\"," PROG "}", err), -1);
    CHECK(strstr(err, "direction") != NULL);
    CHECK_EQ(capreq("{\"port\":\"p\",\"snaplen\":0," PROG "}", err), -1);
    CHECK_EQ(capreq("{\"port\":\"p\",\"snaplen\":262145," PROG "}", err), -1);
    CHECK_EQ(capreq("{\"port\":\"p\",\"snaplen\":1.5," PROG "}", err), -1);
    CHECK(strstr(err, "snaplen") != NULL);
    CHECK_EQ(capreq("{\"port\":\"p\",\"ring_size\":4096," PROG "}", err), -1);
    CHECK_EQ(capreq("{\"port\":\"p\",\"ring_size\":4294967296," PROG "}", err), -1);
    CHECK(strstr(err, "ring_size") != NULL);
    CHECK_EQ(capreq("{\"port\":\"p\",\"filter\":7," PROG "}", err), -1);
    CHECK_EQ(capreq("{\"port\":\"p\"}", err), -1);
    CHECK(strstr(err, "program") != NULL);
    CHECK_EQ(capreq("{\"port\":\"p\",\"program\":[]}", err), -1);
    CHECK_EQ(capreq("{\"port\":\"p\",\"program\":[[6,0,0]]}", err), -1);
    CHECK_EQ(capreq("{\"port\":\"p\",\"program\":[[65536,0,0,0]]}", err), -1);
    CHECK_EQ(capreq("{\"port\":\"p\",\"program\":[[6,256,0,0]]}", err), -1);
    CHECK_EQ(capreq("{\"port\":\"p\",\"program\":[[6,0,0,4294967296]]}", err), -1);
    CHECK_EQ(capreq("{\"port\":\"p\",\"program\":[[6,0,0,-1]]}", err), -1);
    CHECK_EQ(capreq("{\"port\":\"p\",\"program\":[[6,0,0,\"1\"]]}", err), -1);
    CHECK(strstr(err, "instruction 0") != NULL);
    /* 4097 instructions is one too many. */
    size_t cap = 64 + 4097 * 12;
    char *big = malloc(cap), *w = big;
    w += sprintf(w, "{\"port\":\"p\",\"program\":[");
    for (int i = 0; i < 4097; i++)
        w += sprintf(w, "%s[6,0,0,1]", i ? "," : "");
    sprintf(w, "]}");
    CHECK_EQ(capreq(big, err), -1);
    free(big);
    return check_exit();
}

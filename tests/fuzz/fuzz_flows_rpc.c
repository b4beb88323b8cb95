/* fuzz_flows_rpc.c - libFuzzer target for the flows.* control methods and the stored `flows`
 * configuration section: the first byte picks the method and the client connection, the rest
 * is the JSON parameters. Runs against a live (port-less) data plane, so batches, dump cursors
 * and table versions carry over between inputs the way they do between client messages. */
#include <stdint.h>
#include <string.h>

#include "control.h"
#include "dataplane.h"
#include "mactable.h"
#include "flows.h"
#include "json.h"
#include "log.h"

static const char *const methods[] = {"flows.add", "flows.del", "flows.mod", "flows.dump",
                                      "flows.stats"};
#define NMETHODS (sizeof(methods) / sizeof(methods[0]))

static const struct rpc_method *find_method(const char *name)
{
    SLUICE_FOREACH(sluice_rpc, struct rpc_method, it)
    {
        if (strcmp((*it)->name, name) == 0)
            return *it;
    }
    return NULL;
}

static const struct config_section *flows_section(void)
{
    SLUICE_FOREACH(sluice_config, struct config_section, it)
    {
        if (strcmp((*it)->name, "flows") == 0)
            return *it;
    }
    return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    log_threshold = LOG_LVL_ERR;
    /* flows_rule_count (below) links the methods in; make sure they are there. */
    if (dp_start(MACTABLE_DEFAULT_AGING, MACTABLE_DEFAULT_MAX) < 0 || !find_method("flows.add") ||
        !flows_section())
        __builtin_trap();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    char err[256];
    struct json *params = json_parse((const char *)data + 1, size - 1, err, sizeof(err));
    if (!params)
        return 0;
    uint64_t conn = 1 + ((sel >> 4) & 3);
    unsigned pick = sel & 7;
    if (pick < NMETHODS) {
        struct jw out;
        jw_init(&out);
        struct rpc_ctx ctx = {.conn_id = conn, .out = &out};
        int rc = find_method(methods[pick])->fn(&ctx, params);
        /* A reply is one JSON value; an error has a message. */
        if (rc == 0) {
            struct json *r = json_parse(jw_text(&out), out.tb.len, err, sizeof(err));
            if (!r)
                __builtin_trap();
            json_free(r);
        } else if (!ctx.err[0]) {
            __builtin_trap();
        }
        jw_free(&out);
    } else if (pick == 5) {
        flows_section()->restore(params, err, sizeof(err));
    } else {
        SLUICE_FOREACH(sluice_rpc_close, struct rpc_close_hook, it)
        (*it)->fn(conn);
    }
    json_free(params);
    /* Keep the table small so inputs stay fast (this also links flows_rpc.c into the target). */
    if (flows_rule_count() > 2000) {
        const char *all = "{}";
        struct json *p = json_parse(all, strlen(all), err, sizeof(err));
        struct jw out;
        jw_init(&out);
        struct rpc_ctx ctx = {.conn_id = 99, .out = &out};
        find_method("flows.del")->fn(&ctx, p);
        jw_free(&out);
        json_free(p);
    }
    return 0;
}

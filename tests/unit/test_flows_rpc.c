/* test_flows_rpc.c - the flows.* control methods in process (the data plane running without
 * ports): every rejection of bad parameters, errors naming the line and token, batches across
 * calls, paged dumps that stay consistent while the table changes, the implied NORMAL rule,
 * and the stored `flows` section with ports renumbered on restore. */
#include <stdlib.h>

#include "check.h"
#include "control.h"
#include "dataplane.h"
#include "mactable.h"
#include "json.h"

static const struct rpc_method *method(const char *name)
{
    SLUICE_FOREACH(sluice_rpc, struct rpc_method, it)
    {
        if (strcmp((*it)->name, name) == 0)
            return *it;
    }
    return NULL;
}

/* Calls a method as connection conn_id; returns its status, the reply in *reply (or NULL),
 * the error message in err. */
static char last_err[512];
static int call(uint64_t conn_id, const char *name, const char *params_json, struct json **reply)
{
    const struct rpc_method *m = method(name);
    CHECK(m != NULL);
    if (!m)
        return -2;
    char perr[256];
    struct json *params = json_parse(params_json, strlen(params_json), perr, sizeof(perr));
    CHECK(params != NULL);
    struct jw out;
    jw_init(&out);
    struct rpc_ctx ctx = {.conn_id = conn_id, .out = &out};
    int rc = m->fn(&ctx, params);
    snprintf(last_err, sizeof(last_err), "%s", rc ? ctx.err : "");
    if (reply)
        *reply = rc == 0 ? json_parse(jw_text(&out), out.tb.len, perr, sizeof(perr)) : NULL;
    jw_free(&out);
    json_free(params);
    return rc;
}

static void close_conn(uint64_t conn_id)
{
    SLUICE_FOREACH(sluice_rpc_close, struct rpc_close_hook, it)
    (*it)->fn(conn_id);
}

static int64_t num(const struct json *j, const char *key)
{
    int64_t v = -1;
    json_get_int(j, key, INT64_MIN / 2, INT64_MAX / 2, &v);
    return v;
}

static int64_t rules_now(void)
{
    struct json *r;
    CHECK_EQ(call(1, "flows.stats", "{}", &r), 0);
    int64_t n = num(r, "rules");
    json_free(r);
    return n;
}

static void expect_fail(const char *name, const char *params, const char *msg)
{
    CHECK(call(1, name, params, NULL) != 0);
    if (!strstr(last_err, msg)) {
        fprintf(stderr, "%s %s: error \"%s\" does not contain \"%s\"\n", name, params, last_err,
                msg);
        CHECK(0);
    }
}

static void test_rejections(void)
{
    expect_fail("flows.add", "{}", "needs flows");
    expect_fail("flows.add", "{\"flows\": \"actions=drop\"}", "needs flows");
    expect_fail("flows.add", "{\"flows\": [1]}", "flows must be strings");
    expect_fail("flows.add", "{\"flows\": [\"actions=drop\"], \"lines\": [1, 2]}",
                "lines must be an array as long as flows");
    expect_fail("flows.add", "{\"flows\": [\"actions=drop\"], \"lines\": [0]}",
                "lines must hold line numbers");
    expect_fail("flows.add", "{\"flows\": [\"actions=drop\"], \"lines\": [\"x\"]}",
                "lines must hold line numbers");
    expect_fail("flows.add", "{\"flows\": [\"tp_src=70000,actions=drop\"]}",
                "tp_src=70000: value out of range");
    expect_fail("flows.add", "{\"flows\": [\"in_port=nosuchport,actions=drop\"]}", "nosuchport");
    expect_fail("flows.add",
                "{\"flows\": [\"ip,actions=drop\", \"udp,tp_dst=5,actions=bogus\"], "
                "\"lines\": [3, 7], \"commands\": true}",
                "line 7: bogus");
    /* A command word is a flow of its own only in files (commands: true). */
    expect_fail("flows.add", "{\"flows\": [\"delete ip\"]}", "delete");
    expect_fail("flows.mod", "{}", "needs flow");
    expect_fail("flows.mod", "{\"flow\": \"ip\"}", "actions");
    expect_fail("flows.del", "{\"match\": \"priority=5,ip\"}", "priority");
    expect_fail("flows.del", "{\"match\": \"ip,actions=drop\"}", "actions");
    expect_fail("flows.dump", "{\"match\": \"nw_src=1.2.3.4\"}", "nw_src");
    expect_fail("flows.dump", "{\"cursor\": 12345}", "no such dump");
    expect_fail("flows.dump", "{\"cursor\": \"x\"}", "no such dump");
    /* Nothing of the failed calls took effect: still no table, the implied rule only. */
    struct json *r;
    CHECK_EQ(call(1, "flows.stats", "{}", &r), 0);
    CHECK(json_get_bool(r, "implied", false));
    CHECK_EQ(num(r, "rules"), 1);
    json_free(r);
}

static void test_batches(void)
{
    struct json *r;
    /* Two calls of one batch: nothing is published until the last. */
    CHECK_EQ(call(1, "flows.add",
                  "{\"flows\": [\"priority=10,ip,nw_dst=10.0.0.1,actions=drop\", \"# note\", "
                  "\"\"], \"lines\": [1, 2, 3], \"commands\": true, \"more\": true}",
                  &r),
             0);
    CHECK_EQ(num(r, "pending"), 1);
    json_free(r);
    CHECK_EQ(rules_now(), 1);
    /* Another connection's batch is separate and is dropped when it closes. */
    CHECK_EQ(call(2, "flows.add", "{\"flows\": [\"ip,actions=drop\"], \"more\": true}", NULL), 0);
    close_conn(2);
    CHECK_EQ(call(1, "flows.add",
                  "{\"flows\": [\"priority=10,ip,nw_dst=10.0.0.2,actions=drop\", "
                  "\"delete_strict priority=10,ip,nw_dst=10.0.0.1\"], \"lines\": [4, 5], "
                  "\"commands\": true}",
                  &r),
             0);
    CHECK_EQ(num(r, "commands"), 3);
    CHECK_EQ(num(r, "rules"), 2); /* NORMAL and 10.0.0.2 */
    json_free(r);
    CHECK_EQ(rules_now(), 2);
    /* An error anywhere in a batch discards all of it. */
    CHECK_EQ(call(1, "flows.add",
                  "{\"flows\": [\"ip,nw_dst=10.0.0.3,actions=drop\"], \"more\": true}", NULL),
             0);
    CHECK(call(1, "flows.add", "{\"flows\": [\"ip,nw_dst=10.0.0.300,actions=drop\"]}", NULL) != 0);
    CHECK_EQ(call(1, "flows.add", "{\"flows\": [\"ip,nw_dst=10.0.0.4,actions=drop\"]}", &r), 0);
    CHECK_EQ(num(r, "commands"), 1);
    json_free(r);
    CHECK_EQ(rules_now(), 3);
    CHECK_EQ(call(1, "flows.del", "{\"match\": \"ip\"}", &r), 0);
    CHECK_EQ(num(r, "deleted"), 2);
    json_free(r);
    CHECK_EQ(call(1, "flows.mod", "{\"flow\": \"actions=drop\"}", &r), 0);
    CHECK_EQ(num(r, "modified"), 1); /* the NORMAL rule, now drop */
    json_free(r);
}

/* A dump of many rules comes in pages; rules deleted meanwhile still appear in it (it reads
 * the version it started on) and a new dump sees the new version. */
static void test_paged_dump(void)
{
    struct jw w;
    jw_init(&w);
    jw_obj_begin(&w);
    jw_key(&w, "flows");
    jw_arr_begin(&w);
    char flow[128];
    for (int i = 0; i < 5000; i++) {
        snprintf(flow, sizeof(flow), "priority=%d,tcp,nw_dst=10.1.%d.%d,tp_dst=80,actions=output:3",
                 100 + i % 7, i / 256, i % 256);
        jw_str(&w, flow);
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
    CHECK_EQ(call(1, "flows.add", jw_text(&w), NULL), 0);
    jw_free(&w);
    CHECK_EQ(rules_now(), 5001);
    struct json *r;
    CHECK_EQ(call(1, "flows.dump", "{\"match\": \"tcp\"}", &r), 0);
    int64_t total = num(r, "total"), cursor = num(r, "cursor");
    CHECK_EQ(total, 5000);
    CHECK(cursor > 0);
    size_t seen = json_get(r, "flows")->n;
    CHECK(seen > 0 && seen < 5000);
    int last_priority = 65536;
    json_free(r);
    /* The table changes under the dump. */
    CHECK_EQ(call(3, "flows.del", "{\"match\": \"tcp\"}", NULL), 0);
    CHECK_EQ(rules_now(), 1);
    char params[64];
    int pages = 1;
    bool ordered = true;
    while (cursor > 0) {
        snprintf(params, sizeof(params), "{\"cursor\": %lld}", (long long)cursor);
        CHECK_EQ(call(1, "flows.dump", params, &r), 0);
        if (!r)
            break;
        const struct json *flows = json_get(r, "flows");
        for (size_t i = 0; i < flows->n; i++) {
            int p = (int)num(flows->items[i], "priority");
            ordered &= p <= last_priority;
            last_priority = p;
            CHECK(strncmp(json_get_str(flows->items[i], "line", ""),
                          " cookie=0x0, duration=", 22) == 0);
        }
        seen += flows->n;
        cursor = json_get(r, "cursor") ? num(r, "cursor") : 0;
        pages++;
        json_free(r);
    }
    CHECK_EQ(seen, 5000);
    CHECK(pages > 1);
    CHECK(ordered);
    /* The cursor is gone once read to the end. */
    snprintf(params, sizeof(params), "{\"cursor\": %lld}", (long long)1);
    CHECK(call(1, "flows.dump", params, NULL) != 0);
    CHECK_EQ(call(1, "flows.dump", "{}", &r), 0);
    CHECK_EQ(num(r, "total"), 1);
    CHECK(json_get(r, "cursor") == NULL);
    json_free(r);
    /* A dump left unfinished is released when its connection closes (ASan checks the leak). */
    CHECK_EQ(call(1, "flows.add", "{\"flows\": [\"priority=9,ip,actions=drop\"]}", NULL), 0);
    CHECK_EQ(call(4, "flows.dump", "{}", NULL), 0);
    CHECK_EQ(call(1, "flows.del", "{\"match\": \"ip\"}", NULL), 0);
    close_conn(4);
}

static const struct config_section *section(const char *name)
{
    SLUICE_FOREACH(sluice_config, struct config_section, it)
    {
        if (strcmp((*it)->name, name) == 0)
            return *it;
    }
    return NULL;
}

static void test_stored_section(void)
{
    const struct config_section *s = section("flows");
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK(s->order > section("ports")->order);
    char err[256];
    /* Rules saved when ports 4 and 7 were "ghost" and "gone"; neither exists now, so rules
     * naming them point at no port; numbers no saved port had stay as they are. */
    const char *stored = "{\"ports\": {\"4\": \"ghost\", \"7\": \"gone\"}, \"rules\": ["
                         "\"priority=5,in_port=4,actions=output:7,output:2\", "
                         "\"priority=5,ip,actions=drop\", \"priority=5,ip,actions=output:2\", "
                         "\"not a flow\"]}";
    struct json *v = json_parse(stored, strlen(stored), err, sizeof(err));
    CHECK(s->restore(v, err, sizeof(err)) < 0); /* one rule did not parse */
    CHECK(strstr(err, "1 stored rule(s) not restored") != NULL);
    json_free(v);
    struct json *r;
    CHECK_EQ(call(1, "flows.dump", "{}", &r), 0);
    const struct json *flows = json_get(r, "flows");
    CHECK_EQ(flows->n, 2);
    CHECK_STR(json_get_str(flows->items[0], "match", ""), "in_port=8192");
    CHECK_STR(json_get_str(flows->items[0], "actions", ""), "output:8192,output:2");
    /* Equal match and priority: the later one replaced the earlier, as add-flow does. */
    CHECK_STR(json_get_str(flows->items[1], "actions", ""), "output:2");
    json_free(r);
    /* Saving writes the rules in the order added, with the port names of the day. */
    struct jw w;
    jw_init(&w);
    s->save(&w);
    v = json_parse(jw_text(&w), w.tb.len, err, sizeof(err));
    jw_free(&w);
    const struct json *rules = json_get(v, "rules");
    CHECK(rules && rules->n == 2);
    CHECK_STR(rules->items[0]->str, "priority=5,in_port=8192,actions=output:8192,output:2");
    CHECK(json_get(v, "ports") && json_get(v, "ports")->n == 0);
    /* An empty table restores as one: not the implied NORMAL rule. */
    const char *empty_text = "{\"ports\": {}, \"rules\": []}";
    struct json *empty = json_parse(empty_text, strlen(empty_text), err, sizeof(err));
    CHECK_EQ(s->restore(empty, err, sizeof(err)), 0);
    CHECK_EQ(rules_now(), 0);
    json_free(empty);
    struct json *bad = json_parse("[1]", 3, err, sizeof(err));
    CHECK(s->restore(bad, err, sizeof(err)) < 0);
    json_free(bad);
    json_free(v);
}

int main(void)
{
    CHECK_EQ(dp_start(MACTABLE_DEFAULT_AGING, MACTABLE_DEFAULT_MAX), 0);
    test_rejections();
    test_batches();
    test_paged_dump();
    test_stored_section();
    dp_stop();
    return check_exit();
}

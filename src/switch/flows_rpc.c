/* flows_rpc.c - the flow table on the management thread: control methods (flows.add, .del,
 * .mod, .dump, .stats), publishing versions to the data plane, timeouts, and the `flows`
 * section of the stored configuration.
 *
 * Until the first flow command the switch has no table: every packet takes `normal`, which is
 * what the implied rule priority=0,actions=NORMAL says (dumps show it, counting every received
 * packet). The first command starts from that rule. Every command, and every batch of
 * flows.add calls, is built into a new version off the data plane and published once. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "daemon.h"
#include "dataplane.h"
#include "flowpath.h"
#include "flows.h"
#include "flowtable.h"
#include "log.h"
#include "mainloop.h"
#include "ofparse.h"
#include "ports.h"

/* A dump page stops growing at this many bytes of reply (the protocol's limit is 256 KiB). */
#define DUMP_PAGE_BYTES (192 * 1024)
/* Rules one batch may hold before it is committed. */
#define BATCH_MAX_MODS (2u * FLOWTABLE_MAX_RULES)
#define EXPIRY_INTERVAL_MS 500
#define EXPIRE_CHUNK 4096
/* Where rules naming a port that did not come back after a restart point: no port. */
#define PORT_GONE PORT_MAX

static struct flow_table *published; /* NULL: no table, every packet takes normal */
static struct flow_table *implied;   /* the implied rule, for dumps while published is NULL */
static uint64_t start_ns;
static bool expiry_timer_on;

__attribute__((constructor)) static void note_start(void)
{
    start_ns = dp_now_ns();
}

static bool resolve_port(void *arg, const char *name, uint32_t *index)
{
    (void)arg;
    struct port *p = ports_find(name);
    if (!p)
        return false;
    *index = p->index;
    return true;
}
static const struct ofp_ports port_names = {resolve_port, NULL};

/* ---- versions that dumps still read ---- */

struct dump_cursor {
    uint64_t conn_id;
    uint64_t id;
    struct flow_table *table;
    const struct flow_rule **rules;
    size_t n, pos;
    uint64_t now_ns;
    struct dump_cursor *next;
};
static struct dump_cursor *cursors;
static uint64_t last_cursor_id;

struct retired {
    struct flow_table *table;
    struct retired *next;
};
static struct retired *retired_tables; /* replaced, but a dump cursor still reads them */

static bool table_in_use(const struct flow_table *t)
{
    for (struct dump_cursor *c = cursors; c; c = c->next)
        if (c->table == t)
            return true;
    return false;
}

/* Frees a version the data plane no longer sees, unless a dump is still reading it. */
static void retire(struct flow_table *t)
{
    if (!t)
        return;
    if (!table_in_use(t)) {
        flowtable_free(t);
        return;
    }
    struct retired *r = malloc(sizeof(*r));
    if (!r) {
        log_err("out of memory keeping a flow table version for a dump");
        abort();
    }
    *r = (struct retired){t, retired_tables};
    retired_tables = r;
}

static void cursor_free(struct dump_cursor *c)
{
    for (struct dump_cursor **pp = &cursors; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    struct flow_table *t = c->table;
    free(c->rules);
    free(c);
    if (table_in_use(t))
        return;
    for (struct retired **pp = &retired_tables; *pp; pp = &(*pp)->next)
        if ((*pp)->table == t) {
            struct retired *r = *pp;
            *pp = r->next;
            free(r);
            flowtable_free(t);
            return;
        }
}

/* ---- the table as commands see it ---- */

static uint64_t rd(const uint64_t *v)
{
    return __atomic_load_n(v, __ATOMIC_RELAXED);
}

/* The implied rule counts every received packet, as long as no table exists. */
static struct flow_table *implied_table(void)
{
    if (!implied)
        implied = flowtable_create_default(start_ns);
    uint64_t packets = 0, bytes = 0;
    const struct dp_config *c = dp_current();
    for (uint32_t i = 0; i < c->nslots; i++)
        if (c->slots[i].port) {
            packets += rd(&c->slots[i].port->stats.rx_packets);
            bytes += rd(&c->slots[i].port->stats.rx_bytes);
        }
    const struct flow_rule **rules;
    size_t n = flowtable_collect(implied, NULL, false, FLOW_ORDER_ADDED, &rules);
    for (size_t i = 0; i < n; i++) {
        atomic_store_explicit(&rules[i]->stats->n_packets, packets, memory_order_relaxed);
        atomic_store_explicit(&rules[i]->stats->n_bytes, bytes, memory_order_relaxed);
        atomic_store_explicit(&rules[i]->stats->used_ns, packets ? dp_now_ns() : 0,
                              memory_order_relaxed);
    }
    free(rules);
    return implied;
}

/* The version commands start from: the published one, or the implied rule. */
static const struct flow_table *current(void)
{
    return published ? published : implied_table();
}

size_t flows_rule_count(void)
{
    return published ? flowtable_count(published) : 1;
}

uint64_t flows_version(void)
{
    return published ? published->version : 0;
}

static void expire_tick(void *arg);

/* Makes next (NULL: no table) the data plane's table and returns the one it replaced, which
 * the data plane no longer uses but which is kept, so that a change can be taken back. */
static struct flow_table *swap_in(struct flow_table *next)
{
    struct flow_table *old = published;
    struct dp_config *draft = dp_config_copy();
    draft->flows = next;
    dp_config_commit(draft);
    published = next;
    bool want_timer = next && next->n_timeouts > 0;
    if (want_timer && !expiry_timer_on)
        mainloop_every(EXPIRY_INTERVAL_MS, expire_tick, &expiry_timer_on);
    else if (!want_timer && expiry_timer_on)
        mainloop_cancel(&expiry_timer_on);
    expiry_timer_on = want_timer;
    return old;
}

/* Frees the version a kept change replaced. */
static void settle(struct flow_table *old)
{
    retire(old);
    if (implied && published) {
        /* The first table took over the implied rule (and its counts). */
        retire(implied);
        implied = NULL;
    }
}

/* Makes next the data plane's table. Returns once the data plane no longer uses the old one. */
static void publish(struct flow_table *next)
{
    settle(swap_in(next));
}

/* Keeps a change whose version replaced old once it is stored; otherwise puts old back and
 * fails the call, so that the live table never differs from the stored one. */
static int save_or_undo(struct rpc_ctx *ctx, struct flow_table *old)
{
    char err[512];
    if (config_save_err(err, sizeof(err)) == 0) {
        settle(old);
        return 0;
    }
    retire(swap_in(old));
    return rpc_fail(ctx, RPC_ERR_FAILED, "configuration not saved: %s; change rolled back", err);
}

/* Applies mods in order to a new version and publishes it; *old is the version it replaced,
 * for save_or_undo. On an error nothing changes and *failed is the index of the command that
 * failed. Returns rules added, changed or removed. */
static long apply_and_publish(const struct flow_mod *mods, size_t n, size_t *failed,
                              struct flow_table **old, char *err, size_t errlen)
{
    uint64_t now = dp_now_ns();
    struct flow_edit *e = flowtable_edit_begin(current());
    long total = 0;
    for (size_t i = 0; i < n; i++) {
        long r = flowtable_edit_apply(e, &mods[i], now, err, errlen);
        if (r < 0) {
            flowtable_edit_abort(e);
            *failed = i;
            return -1;
        }
        total += r;
    }
    struct flow_table *next = flowtable_edit_commit(e);
    uint64_t built = dp_now_ns();
    *old = swap_in(next);
    if (n > 1000)
        log_info("flows: %zu commands applied in %.0f ms, published in %.1f ms (%zu rules)", n,
                 (double)(built - now) / 1e6, (double)(dp_now_ns() - built) / 1e6,
                 flowtable_count(next));
    return total;
}

static void expire_tick(void *arg)
{
    (void)arg;
    if (!published || !published->n_timeouts)
        return;
    const struct flow_rule *gone[EXPIRE_CHUNK];
    uint64_t now = dp_now_ns();
    size_t n = flowtable_expired(published, now, gone, EXPIRE_CHUNK);
    if (!n)
        return;
    struct flow_edit *e = flowtable_edit_begin(published);
    for (size_t i = 0; i < n; i++)
        flowtable_edit_remove(e, gone[i]);
    publish(flowtable_edit_commit(e));
    log_debug("flows: %zu rule(s) timed out", n);
    config_save();
}

/* ---- flows.add: one or many flows; a batch spans calls until one without `more` ---- */

struct batch {
    uint64_t conn_id;
    struct flow_mod *mods;
    uint32_t *lines; /* line number of each command in the client's file, 0 if none */
    size_t n, cap;
    struct batch *next;
};
static struct batch *batches;

static struct batch *batch_find(uint64_t conn_id, bool create)
{
    for (struct batch *b = batches; b; b = b->next)
        if (b->conn_id == conn_id)
            return b;
    if (!create)
        return NULL;
    struct batch *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->conn_id = conn_id;
    b->next = batches;
    batches = b;
    return b;
}

static void batch_free(struct batch *b)
{
    if (!b)
        return;
    for (struct batch **pp = &batches; *pp; pp = &(*pp)->next)
        if (*pp == b) {
            *pp = b->next;
            break;
        }
    for (size_t i = 0; i < b->n; i++)
        flow_mod_release(&b->mods[i]);
    free(b->mods);
    free(b->lines);
    free(b);
}

static bool batch_reserve(struct batch *b, size_t more)
{
    if (b->n + more <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->n + more)
        cap *= 2;
    struct flow_mod *m = realloc(b->mods, cap * sizeof(*m));
    if (m)
        b->mods = m;
    uint32_t *l = realloc(b->lines, cap * sizeof(*l));
    if (l)
        b->lines = l;
    if (!m || !l)
        return false;
    b->cap = cap;
    return true;
}

/* "line 12: " when the client numbered its lines, nothing for a lone flow. */
static void where(char *buf, size_t size, uint32_t line)
{
    if (line)
        snprintf(buf, size, "line %u: ", line);
    else
        buf[0] = '\0';
}

static int m_flows_add(struct rpc_ctx *ctx, const struct json *params)
{
    const struct json *flows = json_get(params, "flows");
    const struct json *lines = json_get(params, "lines");
    bool commands = json_get_bool(params, "commands", false);
    bool more = json_get_bool(params, "more", false);
    if (!flows || flows->type != JSON_ARRAY)
        return rpc_fail(ctx, RPC_ERR_PARAMS, "flows.add needs flows (an array of strings)");
    if (lines && (lines->type != JSON_ARRAY || lines->n != flows->n))
        return rpc_fail(ctx, RPC_ERR_PARAMS, "lines must be an array as long as flows");
    struct batch *b = batch_find(ctx->conn_id, true);
    if (!b || b->n + flows->n > BATCH_MAX_MODS || !batch_reserve(b, flows->n)) {
        batch_free(b);
        return rpc_fail(ctx, RPC_ERR_FAILED, "too many flows in one batch (at most %u)",
                        BATCH_MAX_MODS);
    }
    char err[512], at[32];
    for (size_t i = 0; i < flows->n; i++) {
        int64_t line = 0;
        if (lines && !json_as_int(lines->items[i], 1, UINT32_MAX, &line)) {
            batch_free(b);
            return rpc_fail(ctx, RPC_ERR_PARAMS, "lines must hold line numbers");
        }
        where(at, sizeof(at), (uint32_t)line);
        const struct json *f = flows->items[i];
        if (f->type != JSON_STRING) {
            batch_free(b);
            return rpc_fail(ctx, RPC_ERR_PARAMS, "%sflows must be strings", at);
        }
        struct flow_mod *fm = &b->mods[b->n];
        int r = commands ? ofp_parse_flow_line(f->str, &port_names, fm, err, sizeof(err))
                         : ofp_parse_flow(f->str, FLOW_CMD_ADD, &port_names, fm, err, sizeof(err));
        if (r < 0) {
            flow_mod_release(fm);
            batch_free(b);
            return rpc_fail(ctx, RPC_ERR_PARAMS, "%s%s", at, err);
        }
        if (r == 1) { /* blank or comment */
            flow_mod_release(fm);
            continue;
        }
        b->lines[b->n++] = (uint32_t)line;
    }
    if (more) {
        jw_obj_begin(ctx->out);
        jw_kuint(ctx->out, "pending", b->n);
        jw_obj_end(ctx->out);
        return 0;
    }
    size_t failed = 0;
    struct flow_table *old = NULL;
    long changed = apply_and_publish(b->mods, b->n, &failed, &old, err, sizeof(err));
    if (changed < 0) {
        where(at, sizeof(at), b->lines[failed]);
        batch_free(b);
        return rpc_fail(ctx, RPC_ERR_FAILED, "%s%s", at, err);
    }
    size_t commands_applied = b->n;
    batch_free(b);
    uint64_t save_start = dp_now_ns();
    if (save_or_undo(ctx, old) < 0)
        return -1;
    if (commands_applied > 1000)
        log_info("flows: configuration saved in %.0f ms", (double)(dp_now_ns() - save_start) / 1e6);
    jw_obj_begin(ctx->out);
    jw_kuint(ctx->out, "commands", commands_applied);
    jw_kuint(ctx->out, "changed", (uint64_t)changed);
    jw_kuint(ctx->out, "rules", flowtable_count(published));
    jw_kuint(ctx->out, "version", published->version);
    jw_obj_end(ctx->out);
    return 0;
}
RPC_METHOD(rpc_flows_add, {"flows.add", m_flows_add, RPC_F_CONFIG});

/* ---- flows.del, flows.mod ---- */

static int one_command(struct rpc_ctx *ctx, const char *text, enum flow_cmd cmd,
                       const char *result_key)
{
    struct flow_mod fm;
    char err[512];
    if (ofp_parse_flow(text, cmd, &port_names, &fm, err, sizeof(err)) < 0) {
        flow_mod_release(&fm);
        return rpc_fail(ctx, RPC_ERR_PARAMS, "%s", err);
    }
    size_t failed;
    struct flow_table *old = NULL;
    long changed = apply_and_publish(&fm, 1, &failed, &old, err, sizeof(err));
    flow_mod_release(&fm);
    if (changed < 0)
        return rpc_fail(ctx, RPC_ERR_FAILED, "%s", err);
    if (save_or_undo(ctx, old) < 0)
        return -1;
    jw_obj_begin(ctx->out);
    jw_kuint(ctx->out, result_key, (uint64_t)changed);
    jw_kuint(ctx->out, "rules", flowtable_count(published));
    jw_kuint(ctx->out, "version", published->version);
    jw_obj_end(ctx->out);
    return 0;
}

static int m_flows_del(struct rpc_ctx *ctx, const struct json *params)
{
    const char *match = json_get_str(params, "match", "");
    bool strict = json_get_bool(params, "strict", false);
    return one_command(ctx, match, strict ? FLOW_CMD_DELETE_STRICT : FLOW_CMD_DELETE, "deleted");
}
RPC_METHOD(rpc_flows_del, {"flows.del", m_flows_del, RPC_F_CONFIG});

static int m_flows_mod(struct rpc_ctx *ctx, const struct json *params)
{
    const char *flow = json_get_str(params, "flow", NULL);
    if (!flow)
        return rpc_fail(ctx, RPC_ERR_PARAMS, "flows.mod needs flow (MATCH,actions=...)");
    bool strict = json_get_bool(params, "strict", false);
    return one_command(ctx, flow, strict ? FLOW_CMD_MODIFY_STRICT : FLOW_CMD_MODIFY, "modified");
}
RPC_METHOD(rpc_flows_mod, {"flows.mod", m_flows_mod, RPC_F_CONFIG});

/* ---- flows.dump: pages of one version, so a large table is read consistently ---- */

static void write_rule(struct jw *w, const struct flow_rule *r, uint64_t now_ns)
{
    char line[OFP_LINE_MAX], text[OFP_LINE_MAX];
    const struct flow_stats *s = r->stats;
    jw_obj_begin(w);
    ofp_format_flow_stats(r, now_ns, line, sizeof(line));
    jw_kstr(w, "line", line);
    snprintf(text, sizeof(text), "0x%llx", (unsigned long long)r->cookie);
    jw_kstr(w, "cookie", text);
    jw_key(w, "duration");
    jw_double(w, now_ns > s->created_ns ? (double)(now_ns - s->created_ns) / 1e9 : 0);
    jw_kuint(w, "table", 0);
    jw_kuint(w, "n_packets", flow_rule_packets(r));
    jw_kuint(w, "n_bytes", flow_rule_bytes(r));
    if (r->idle_timeout)
        jw_kuint(w, "idle_timeout", r->idle_timeout);
    if (r->hard_timeout)
        jw_kuint(w, "hard_timeout", r->hard_timeout);
    uint64_t used = flow_rule_used(r);
    if (used < s->created_ns)
        used = s->created_ns;
    jw_kuint(w, "idle_age", now_ns > used ? (now_ns - used) / 1000000000ull : 0);
    jw_kuint(w, "priority", r->cr.priority);
    ofp_format_match(&r->cr.value, &r->cr.mask, FLOW_DEFAULT_PRIORITY, text, sizeof(text));
    jw_kstr(w, "match", text);
    ofp_format_actions(r->actions, text, sizeof(text));
    jw_kstr(w, "actions", text);
    jw_obj_end(w);
}

static struct dump_cursor *cursor_find(uint64_t conn_id)
{
    for (struct dump_cursor *c = cursors; c; c = c->next)
        if (c->conn_id == conn_id)
            return c;
    return NULL;
}

static int m_flows_dump(struct rpc_ctx *ctx, const struct json *params)
{
    int64_t want = 0;
    struct dump_cursor *c = cursor_find(ctx->conn_id);
    if (json_get(params, "cursor")) {
        if (!json_get_int(params, "cursor", 1, INT64_MAX, &want) || !c || c->id != (uint64_t)want)
            return rpc_fail(ctx, RPC_ERR_NOT_FOUND, "no such dump in progress");
    } else {
        if (c)
            cursor_free(c);
        const char *match = json_get_str(params, "match", "");
        struct flow_mod fm;
        char err[512];
        if (ofp_parse_flow(match, FLOW_CMD_DELETE, &port_names, &fm, err, sizeof(err)) < 0) {
            flow_mod_release(&fm);
            return rpc_fail(ctx, RPC_ERR_PARAMS, "%s", err);
        }
        c = calloc(1, sizeof(*c));
        if (!c) {
            flow_mod_release(&fm);
            return rpc_fail(ctx, RPC_ERR_INTERNAL, "out of memory");
        }
        c->conn_id = ctx->conn_id;
        c->id = ++last_cursor_id;
        c->table = (struct flow_table *)current();
        c->now_ns = dp_now_ns();
        c->n = flowtable_collect(c->table, &fm, false, FLOW_ORDER_PRIORITY, &c->rules);
        flow_mod_release(&fm);
        c->next = cursors;
        cursors = c;
    }
    struct jw *w = ctx->out;
    jw_obj_begin(w);
    jw_kuint(w, "version", c->table == implied ? 0 : c->table->version);
    jw_kbool(w, "implied", c->table == implied);
    jw_kuint(w, "total", c->n);
    jw_key(w, "flows");
    jw_arr_begin(w);
    while (c->pos < c->n && w->tb.len < DUMP_PAGE_BYTES)
        write_rule(w, c->rules[c->pos++], c->now_ns);
    jw_arr_end(w);
    bool done = c->pos == c->n;
    if (!done)
        jw_kuint(w, "cursor", c->id);
    jw_obj_end(w);
    if (done)
        cursor_free(c);
    return 0;
}
RPC_METHOD(rpc_flows_dump, {"flows.dump", m_flows_dump, 0});

/* ---- flows.stats: the table and the data plane's flow caches ---- */

static int m_flows_stats(struct rpc_ctx *ctx, const struct json *params)
{
    (void)params;
    struct flowpath_stats st[FLOWPATH_MAX_THREADS];
    unsigned n = flowpath_get_stats(st, FLOWPATH_MAX_THREADS);
    uint64_t hits = 0, misses = 0, reval = 0;
    struct jw *w = ctx->out;
    jw_obj_begin(w);
    jw_kbool(w, "implied", published == NULL);
    jw_kuint(w, "version", published ? published->version : 0);
    jw_kuint(w, "rules", flowtable_count(current()));
    jw_key(w, "threads");
    jw_arr_begin(w);
    for (unsigned i = 0; i < n; i++) {
        jw_obj_begin(w);
        jw_kuint(w, "cache_hits", st[i].hits);
        jw_kuint(w, "cache_misses", st[i].misses);
        jw_kuint(w, "cache_revalidated", st[i].revalidated);
        jw_obj_end(w);
        hits += st[i].hits;
        misses += st[i].misses;
        reval += st[i].revalidated;
    }
    jw_arr_end(w);
    jw_kuint(w, "cache_hits", hits);
    jw_kuint(w, "cache_misses", misses);
    jw_kuint(w, "cache_revalidated", reval);
    jw_obj_end(w);
    return 0;
}
RPC_METHOD(rpc_flows_stats, {"flows.stats", m_flows_stats, 0});

static void on_conn_closed(uint64_t conn_id)
{
    batch_free(batch_find(conn_id, false));
    struct dump_cursor *c = cursor_find(conn_id);
    if (c)
        cursor_free(c);
}
RPC_CLOSE_HOOK(flows_close_hook, {on_conn_closed});

/* ---- stored configuration ----
 * "flows": null while the switch has no table; otherwise the rules in the order they were
 * added (so ties resolve the same way after a restart) and the names of the ports their
 * numbers referred to, since ports may come back at other indexes. */

static void flows_save(struct jw *w)
{
    if (!published) {
        jw_null(w);
        return;
    }
    jw_obj_begin(w);
    jw_key(w, "ports");
    jw_obj_begin(w);
    const struct dp_config *c = dp_current();
    for (uint32_t i = 0; i < c->nslots; i++)
        if (c->slots[i].port) {
            char idx[16];
            snprintf(idx, sizeof(idx), "%u", i);
            jw_kstr(w, idx, c->slots[i].port->name);
        }
    jw_obj_end(w);
    jw_key(w, "rules");
    jw_arr_begin(w);
    const struct flow_rule **rules;
    size_t n = flowtable_collect(published, NULL, false, FLOW_ORDER_ADDED, &rules);
    char text[OFP_LINE_MAX];
    for (size_t i = 0; i < n; i++) {
        ofp_format_flow(rules[i], text, sizeof(text));
        jw_str(w, text);
    }
    free(rules);
    jw_arr_end(w);
    jw_obj_end(w);
}

/* The index the port saved as `old` has now (by name), PORT_GONE if it did not come back,
 * or old itself when no port had that index then. */
static uint32_t remap_port(const struct json *saved_ports, uint32_t old, const char *rule,
                           size_t rule_no)
{
    char idx[16];
    snprintf(idx, sizeof(idx), "%u", old);
    const char *name = json_get_str(saved_ports, idx, NULL);
    if (!name)
        return old;
    struct port *p = ports_find(name);
    if (!p) {
        log_warn("flows: rule %zu (%s) names port %s, which is not configured", rule_no, rule,
                 name);
        return PORT_GONE;
    }
    return p->index;
}

static int flows_restore(const struct json *v, char *err, size_t errlen)
{
    if (v->type == JSON_NULL)
        return 0;
    const struct json *rules = json_get(v, "rules");
    const struct json *saved_ports = json_get(v, "ports");
    if (!rules || rules->type != JSON_ARRAY) {
        snprintf(err, errlen, "expected {\"ports\": {...}, \"rules\": [...]}");
        return -1;
    }
    struct flow_mod *mods = calloc(rules->n ? rules->n : 1, sizeof(*mods));
    if (!mods) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t n = 0;
    int failures = 0;
    for (size_t i = 0; i < rules->n; i++) {
        const struct json *r = rules->items[i];
        char perr[512];
        struct flow_mod *fm = &mods[n];
        if (r->type != JSON_STRING ||
            ofp_parse_flow(r->str, FLOW_CMD_ADD, NULL, fm, perr, sizeof(perr)) < 0) {
            log_err("flows: stored rule %zu not restored: %s", i + 1,
                    r->type == JSON_STRING ? perr : "not a string");
            flow_mod_release(fm);
            failures++;
            continue;
        }
        if (fm->mask.in_port) {
            uint32_t now_idx = remap_port(saved_ports, fm->value.in_port, r->str, i + 1);
            fm->value.in_port = now_idx & fm->mask.in_port;
        }
        for (uint32_t k = 0; fm->actions && k < fm->actions->n; k++)
            if (fm->actions->a[k].type == FA_OUTPUT)
                fm->actions->a[k].arg.port =
                    remap_port(saved_ports, fm->actions->a[k].arg.port, r->str, i + 1);
        n++;
    }
    /* Start from an empty table: the stored rules are the whole table. */
    struct flow_table *empty = flowtable_create();
    struct flow_edit *e = flowtable_edit_begin(empty);
    uint64_t now = dp_now_ns();
    char aerr[512] = "";
    for (size_t i = 0; i < n; i++)
        if (flowtable_edit_apply(e, &mods[i], now, aerr, sizeof(aerr)) < 0) {
            log_err("flows: stored rule not restored: %s", aerr);
            failures++;
        }
    publish(flowtable_edit_commit(e));
    flowtable_free(empty);
    for (size_t i = 0; i < n; i++)
        flow_mod_release(&mods[i]);
    free(mods);
    log_info("flows: %zu rule(s) restored", flowtable_count(published));
    if (failures) {
        snprintf(err, errlen, "%d stored rule(s) not restored (see above)", failures);
        return -1;
    }
    return 0;
}
CONFIG_SECTION(cfg_flows, {"flows", flows_save, flows_restore, 10});

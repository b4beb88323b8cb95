/* port_rpc.c - control methods for ports and the MAC table (port.add, port.del, port.list,
 * fdb.show, fdb.flush) and the `ports` section of the stored configuration. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "control.h"
#include "daemon.h"
#include "dataplane.h"
#include "l2switch.h"
#include "log.h"
#include "port_client.h"
#include "ports.h"
#include "vnic.h"

static uint64_t rd(const uint64_t *v)
{
    return __atomic_load_n(v, __ATOMIC_RELAXED);
}

static int args_from_json(const struct json *opts, struct port_args *a, bool allow_internal,
                          char *err, size_t errlen)
{
    memset(a, 0, sizeof(*a));
    if (!opts)
        return 0;
    if (opts->type != JSON_OBJECT) {
        snprintf(err, errlen, "options must be an object of strings");
        return -1;
    }
    for (size_t i = 0; i < opts->n; i++) {
        const struct json *v = opts->items[i];
        char num[32];
        const char *val = NULL;
        if (v->type == JSON_STRING) {
            val = v->str;
        } else if (v->type == JSON_NUMBER) {
            snprintf(num, sizeof(num), "%.0f", v->num);
            val = num;
        }
        if (!val) {
            snprintf(err, errlen, "option %s: expected a string", opts->keys[i]);
            return -1;
        }
        if (!allow_internal && opts->keys[i][0] == '_') {
            snprintf(err, errlen, "unknown option %s", opts->keys[i]);
            return -1;
        }
        if (port_args_set(a, opts->keys[i], val) < 0) {
            snprintf(err, errlen, "option %s is too long or there are too many", opts->keys[i]);
            return -1;
        }
    }
    return 0;
}

static int add_port(const char *name, const char *type, const struct json *opts,
                    bool allow_internal, const struct port_args *client, char *err, size_t errlen)
{
    struct port_args args;
    if (args_from_json(opts, &args, allow_internal, err, errlen) < 0)
        return -1;
    for (unsigned i = 0; i < client->n; i++) {
        if (port_args_set(&args, client->key[i], client->val[i]) < 0) {
            snprintf(err, errlen, "too many options");
            return -1;
        }
    }
    struct dp_config *draft = dp_config_copy();
    if (!port_create(draft, name, type, &args, err, errlen)) {
        dp_config_free(draft);
        return -1;
    }
    dp_config_commit(draft);
    return 0;
}

static int m_port_add(struct rpc_ctx *ctx, const struct json *params)
{
    const char *name = json_get_str(params, "name", NULL);
    const char *type = json_get_str(params, "type", NULL);
    if (!name || !type)
        return rpc_fail(ctx, RPC_ERR_PARAMS, "port.add needs name and type");
    if (ports_find(name))
        return rpc_fail(ctx, RPC_ERR_EXISTS, "port exists: %s", name);
    char err[512];
    struct port_args client;
    if (port_client_args(ctx, type, params, &client, err, sizeof(err)) < 0)
        return rpc_fail(ctx, RPC_ERR_PARAMS, "%s", err);
    if (add_port(name, type, json_get(params, "options"), false, &client, err, sizeof(err)) < 0)
        return rpc_fail(ctx, RPC_ERR_FAILED, "%s", err);
    if (config_save_err(err, sizeof(err)) < 0) {
        /* A port that would not come back after a restart is not added at all. */
        char rerr[256];
        struct dp_config *undo = dp_config_copy();
        if (port_remove(undo, name, rerr, sizeof(rerr)) < 0) {
            dp_config_free(undo);
            return rpc_fail(ctx, RPC_ERR_FAILED,
                            "configuration not saved: %s; port %s is live, but the stored "
                            "configuration does not have it (%s)",
                            err, name, rerr);
        }
        dp_config_commit(undo);
        return rpc_fail(ctx, RPC_ERR_FAILED, "configuration not saved: %s; change rolled back",
                        err);
    }
    jw_obj_begin(ctx->out);
    jw_kstr(ctx->out, "name", name);
    jw_kuint(ctx->out, "index", ports_find(name)->index);
    jw_obj_end(ctx->out);
    return 0;
}
RPC_METHOD(rpc_port_add, {"port.add", m_port_add, RPC_F_CONFIG});

static int m_port_del(struct rpc_ctx *ctx, const struct json *params)
{
    const char *name = json_get_str(params, "name", NULL);
    if (!name)
        return rpc_fail(ctx, RPC_ERR_PARAMS, "port.del needs name");
    struct port *p = ports_find(name);
    if (!p)
        return rpc_fail(ctx, RPC_ERR_NOT_FOUND, "no such port: %s", name);
    if (p->args.n && port_arg(&p->args, "_vnic"))
        return rpc_fail(ctx, RPC_ERR_FAILED, "%s belongs to a virtual NIC: use vnic-del", name);
    uint32_t index = p->index;
    capture_port_removed(index);
    struct dp_config *draft = dp_config_copy();
    char err[512];
    if (port_remove(draft, name, err, sizeof(err)) < 0) {
        dp_config_free(draft);
        return rpc_fail(ctx, RPC_ERR_FAILED, "%s", err);
    }
    dp_config_commit(draft);
    l2_fdb_del_port(index);
    if (config_save_err(err, sizeof(err)) < 0)
        return rpc_fail(ctx, RPC_ERR_FAILED,
                        "configuration not saved: %s; port %s is removed, but the stored "
                        "configuration still has it",
                        err, name);
    jw_obj_begin(ctx->out);
    jw_kstr(ctx->out, "removed", name);
    jw_obj_end(ctx->out);
    return 0;
}
RPC_METHOD(rpc_port_del, {"port.del", m_port_del, RPC_F_CONFIG});

bool port_is_up(struct port *p)
{
    if (__atomic_load_n(&p->failed, __ATOMIC_RELAXED))
        return false;
    return p->kind->link_up ? p->kind->link_up(p) : true;
}

static void write_stats(struct jw *w, const struct port_stats *s)
{
    jw_kuint(w, "rx_packets", rd(&s->rx_packets));
    jw_kuint(w, "rx_bytes", rd(&s->rx_bytes));
    jw_kuint(w, "tx_packets", rd(&s->tx_packets));
    jw_kuint(w, "tx_bytes", rd(&s->tx_bytes));
    jw_key(w, "rx_drops");
    jw_obj_begin(w);
    for (int r = 0; r < DROP_MAX; r++)
        jw_kuint(w, drop_reason_names[r], rd(&s->rx_drops[r]));
    jw_obj_end(w);
    jw_key(w, "tx_drops");
    jw_obj_begin(w);
    for (int r = 0; r < DROP_MAX; r++)
        jw_kuint(w, drop_reason_names[r], rd(&s->tx_drops[r]));
    jw_obj_end(w);
}

static void write_class(struct jw *w, const char *key, const char *const *names, unsigned n,
                        const uint64_t *packets, const uint64_t *bytes)
{
    jw_key(w, key);
    jw_obj_begin(w);
    for (unsigned i = 0; i < n; i++) {
        jw_key(w, names[i]);
        if (bytes) {
            jw_obj_begin(w);
            jw_kuint(w, "packets", rd(&packets[i]));
            jw_kuint(w, "bytes", rd(&bytes[i]));
            jw_obj_end(w);
        } else {
            jw_uint(w, rd(&packets[i]));
        }
    }
    jw_obj_end(w);
}

void port_write_traffic(struct jw *w, const struct traf_counters *t)
{
    jw_obj_begin(w);
    write_class(w, "l3", ts_l3_names, TS_L3_MAX, t->l3_packets, t->l3_bytes);
    write_class(w, "l4", ts_l4_names, TS_L4_MAX, t->l4_packets, t->l4_bytes);
    write_class(w, "cast", ts_cast_names, TS_CAST_MAX, t->cast_packets, NULL);
    write_class(w, "size", ts_size_names, TS_SIZE_BUCKETS, t->size_packets, NULL);
    jw_obj_end(w);
}

static void write_vlan(struct jw *w, const struct port *p)
{
    if (p->tag)
        jw_kuint(w, "tag", p->tag);
    if (p->trunk) {
        jw_key(w, "trunks");
        jw_arr_begin(w);
        for (unsigned v = 0; v < 4096; v++)
            if (port_trunk_allows(p, (uint16_t)v))
                jw_uint(w, v);
        jw_arr_end(w);
    }
}

/* Options whose value is a credential: replies say only whether one is set. */
static bool secret_option(const char *key)
{
    return strcmp(key, "secret") == 0;
}

/* with_secrets: for the stored configuration only; no reply carries a secret. */
static void write_options(struct jw *w, const struct port *p, bool with_secrets)
{
    jw_key(w, "options");
    jw_obj_begin(w);
    for (unsigned i = 0; i < p->args.n; i++) {
        const char *key = p->args.key[i], *val = p->args.val[i];
        if (key[0] == '_')
            continue;
        if (!with_secrets && secret_option(key) && val[0])
            val = "set";
        jw_kstr(w, key, val);
    }
    jw_obj_end(w);
}

static int m_port_list(struct rpc_ctx *ctx, const struct json *params)
{
    const char *only = json_get_str(params, "name", NULL);
    if (only && !ports_find(only))
        return rpc_fail(ctx, RPC_ERR_NOT_FOUND, "no such port: %s", only);
    const struct dp_config *c = dp_current();
    struct jw *w = ctx->out;
    jw_obj_begin(w);
    jw_key(w, "ports");
    jw_arr_begin(w);
    for (uint32_t i = 0; i < c->nslots; i++) {
        struct port *p = c->slots[i].port;
        if (!p || (only && strcmp(only, p->name) != 0))
            continue;
        jw_obj_begin(w);
        jw_kstr(w, "name", p->name);
        jw_kuint(w, "index", p->index);
        jw_kstr(w, "type", p->kind->name);
        jw_kbool(w, "up", port_is_up(p));
        write_vlan(w, p);
        write_options(w, p, false);
        if (p->kind->describe)
            p->kind->describe(p, w);
        jw_kuint(w, "captures", c->slots[i].ncaps[0] + c->slots[i].ncaps[1]);
        jw_key(w, "stats");
        jw_obj_begin(w);
        write_stats(w, &p->stats);
        jw_key(w, "traffic_rx");
        port_write_traffic(w, &p->traffic[0]);
        jw_key(w, "traffic_tx");
        port_write_traffic(w, &p->traffic[1]);
        jw_obj_end(w);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
    return 0;
}
RPC_METHOD(rpc_port_list, {"port.list", m_port_list, 0});

/* ---- stored configuration: the ports a user added (not those owned by other features) ---- */

static void ports_save(struct jw *w)
{
    const struct dp_config *c = dp_current();
    jw_arr_begin(w);
    for (uint32_t i = 0; i < c->nslots; i++) {
        struct port *p = c->slots[i].port;
        if (!p || port_arg(&p->args, "_vnic"))
            continue;
        jw_obj_begin(w);
        jw_kstr(w, "name", p->name);
        jw_kstr(w, "type", p->kind->name);
        write_options(w, p, true);
        port_client_save(w, p);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

static int ports_restore(const struct json *v, char *err, size_t errlen)
{
    if (v->type != JSON_ARRAY) {
        snprintf(err, errlen, "expected an array");
        return -1;
    }
    int failures = 0;
    for (size_t i = 0; i < v->n; i++) {
        const char *name = json_get_str(v->items[i], "name", NULL);
        const char *type = json_get_str(v->items[i], "type", NULL);
        char perr[512];
        struct port_args client;
        port_client_restore(v->items[i], &client);
        if (!name || !type ||
            add_port(name, type, json_get(v->items[i], "options"), false, &client, perr,
                     sizeof(perr)) < 0) {
            /* Each port's reason is logged: one error reply could only name the last. */
            log_err("port %s not restored: %s", name ? name : "?",
                    name && type ? perr : "bad entry");
            failures++;
        }
    }
    if (failures)
        snprintf(err, errlen, "%d of %zu ports not restored (see above)", failures, v->n);
    return failures ? -1 : 0;
}
CONFIG_SECTION(cfg_ports, {"ports", ports_save, ports_restore, 0});

void daemon_shutdown(void)
{
    capture_close_all();
    vnic_shutdown();
    struct dp_config *draft = dp_config_copy();
    char err[256];
    for (uint32_t i = 0; i < draft->nslots; i++)
        if (draft->slots[i].port)
            port_remove(draft, draft->slots[i].port->name, err, sizeof(err));
    dp_config_commit(draft);
}

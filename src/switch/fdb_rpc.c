/* fdb_rpc.c - the MAC table's management half: static entries, flushes and dumps run on the
 * data-plane thread through dp_call, and the fdb.show and fdb.flush methods. */
#include "l2switch.h"

#include <stdlib.h>
#include <time.h>

#include "control.h"
#include "dataplane.h"
#include "mactable.h"
#include "ports.h"

struct static_req {
    const uint8_t *mac;
    uint16_t vlan;
    uint32_t port;
    int rc;
};

static void add_static_dp(void *arg)
{
    struct static_req *r = arg;
    r->rc = mactable_add_static(dp_current()->fdb, r->mac, r->vlan, r->port);
}

int l2_fdb_add_static(const uint8_t mac[ETH_ADDR_LEN], uint16_t vlan, uint32_t port_index)
{
    struct static_req r = {mac, vlan, port_index, 0};
    dp_call(add_static_dp, &r);
    return r.rc;
}

struct static_many_req {
    const uint8_t (*macs)[ETH_ADDR_LEN];
    const uint32_t *ports;
    unsigned n, added;
    uint16_t vlan;
};

static void add_static_many_dp(void *arg)
{
    struct static_many_req *r = arg;
    while (r->added < r->n && mactable_add_static(dp_current()->fdb, r->macs[r->added], r->vlan,
                                                  r->ports[r->added]) == 0)
        r->added++;
}

unsigned l2_fdb_add_static_many(const uint8_t (*macs)[ETH_ADDR_LEN], const uint32_t *ports,
                                unsigned n, uint16_t vlan)
{
    struct static_many_req r = {macs, ports, n, 0, vlan};
    dp_call(add_static_many_dp, &r);
    return r.added;
}

struct flush_req {
    uint32_t port;
    bool include_static;
    unsigned removed;
};

static void flush_dp(void *arg)
{
    struct flush_req *r = arg;
    r->removed = mactable_flush(dp_current()->fdb, r->port, r->include_static);
}

unsigned l2_fdb_flush(uint32_t port_index, bool include_static)
{
    struct flush_req r = {port_index, include_static, 0};
    dp_call(flush_dp, &r);
    return r.removed;
}

void l2_fdb_del_port(uint32_t port_index)
{
    l2_fdb_flush(port_index, true);
}

struct del_ports_req {
    const uint32_t *ports;
    unsigned n;
};

static void del_ports_dp(void *arg)
{
    struct del_ports_req *r = arg;
    for (unsigned i = 0; i < r->n; i++)
        mactable_flush(dp_current()->fdb, r->ports[i], true);
}

void l2_fdb_del_ports(const uint32_t *port_indexes, unsigned n)
{
    struct del_ports_req r = {port_indexes, n};
    dp_call(del_ports_dp, &r);
}

struct dump_req {
    struct mac_entry_info *entries;
    unsigned n, cap;
    uint32_t now;
};

static void dump_cb(const struct mac_entry_info *e, void *arg)
{
    struct dump_req *r = arg;
    if (r->n < r->cap)
        r->entries[r->n++] = *e;
}

static void dump_dp(void *arg)
{
    struct dump_req *r = arg;
    r->cap = mactable_count(dp_current()->fdb);
    r->entries = malloc((r->cap ? r->cap : 1) * sizeof(*r->entries));
    if (!r->entries)
        r->cap = 0;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    r->now = (uint32_t)ts.tv_sec;
    mactable_foreach(dp_current()->fdb, r->now, dump_cb, r);
}

struct mac_entry_info *l2_fdb_dump(unsigned *n)
{
    struct dump_req r = {0};
    dp_call(dump_dp, &r);
    *n = r.n;
    return r.entries;
}

static void aging_dp(void *arg)
{
    mactable_set_aging(dp_current()->fdb, *(uint32_t *)arg);
}

void l2_set_aging(uint32_t aging_s)
{
    dp_call(aging_dp, &aging_s);
}

/* ---- control methods ---- */

static int m_fdb_show(struct rpc_ctx *ctx, const struct json *params)
{
    (void)params;
    unsigned n;
    struct mac_entry_info *e = l2_fdb_dump(&n);
    struct jw *w = ctx->out;
    jw_obj_begin(w);
    jw_key(w, "entries");
    jw_arr_begin(w);
    for (unsigned i = 0; i < n; i++) {
        char mac[18];
        struct port *p = ports_by_index(e[i].port);
        jw_obj_begin(w);
        jw_kstr(w, "port", p ? p->name : "?");
        jw_kuint(w, "port_index", e[i].port);
        jw_kuint(w, "vlan", e[i].vlan);
        jw_kstr(w, "mac", eth_addr_format(e[i].mac, mac));
        jw_kuint(w, "age", e[i].age_s);
        jw_kbool(w, "static", e[i].is_static);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
    free(e);
    return 0;
}
RPC_METHOD(rpc_fdb_show, {"fdb.show", m_fdb_show, 0});

static int m_fdb_flush(struct rpc_ctx *ctx, const struct json *params)
{
    const char *name = json_get_str(params, "port", NULL);
    uint32_t index = UINT32_MAX;
    if (name) {
        struct port *p = ports_find(name);
        if (!p)
            return rpc_fail(ctx, RPC_ERR_NOT_FOUND, "no such port: %s", name);
        index = p->index;
    }
    unsigned n = l2_fdb_flush(index, false);
    jw_obj_begin(ctx->out);
    jw_kuint(ctx->out, "flushed", n);
    jw_obj_end(ctx->out);
    return 0;
}
RPC_METHOD(rpc_fdb_flush, {"fdb.flush", m_fdb_flush, RPC_F_CONFIG});

/* capture.c - the capture management methods (capture.ports, .open, .close, .list): the
 * registry of open captures, their rings and filters, and hooking agents onto port points. */
#include "capture.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capreq.h"
#include "capture_agent.h"
#include "capring.h"
#include "control.h"
#include "dataplane.h"
#include "log.h"
#include "mainloop.h"
#include "ports.h"
#include "sbpf.h"

#define MAX_CAPTURES 128
#define MAX_SNAPLEN 262144

static struct capture_agent *agents[MAX_CAPTURES];
static uint64_t next_id = 1;
static bool want_jit = true;
/* Ring memory is the switch's, shared with the reader: without a bound one client could ask
 * for 128 rings of 1 GiB. */
static uint64_t mem_per_client = CAPTURE_MEM_PER_CLIENT_DEFAULT;
static uint64_t mem_total = CAPTURE_MEM_TOTAL_DEFAULT;

void capture_set_jit(bool on)
{
    want_jit = on;
}

void capture_set_mem_limits(uint64_t per_client, uint64_t total)
{
    mem_per_client = per_client;
    mem_total = total;
}

/* Summed from the open captures, so closing one gives its memory back with nothing to update. */
static uint64_t ring_mem_in_use(bool one_conn, uint64_t conn_id)
{
    uint64_t sum = 0;
    for (int i = 0; i < MAX_CAPTURES; i++)
        if (agents[i] && (!one_conn || agents[i]->conn_id == conn_id))
            sum += agents[i]->ring.map_size;
    return sum;
}

#define MIB(b) ((double)(b) / (1u << 20))

static int check_ring_mem(struct rpc_ctx *ctx, uint64_t ring_size)
{
    uint64_t want = capring_map_size_for(ring_size);
    uint64_t mine = ring_mem_in_use(true, ctx->conn_id), all = ring_mem_in_use(false, 0);
    if (mine + want > mem_per_client)
        return rpc_fail(ctx, RPC_ERR_FAILED,
                        "capture ring memory limit: %.1f MiB in use by this client, %.1f MiB "
                        "more asked, at most %.0f MiB per client (sluiced "
                        "--capture-mem-per-client)",
                        MIB(mine), MIB(want), MIB(mem_per_client));
    if (all + want > mem_total)
        return rpc_fail(ctx, RPC_ERR_FAILED,
                        "capture ring memory limit: %.1f MiB in use, %.1f MiB more asked, at "
                        "most %.0f MiB in total (sluiced --capture-mem-total)",
                        MIB(all), MIB(want), MIB(mem_total));
    return 0;
}

/* ---- management thread ---- */

static void unhook(struct dp_config *draft, struct capture_agent *a)
{
    if (a->port_index >= draft->nslots)
        return;
    struct dp_port *dport = &draft->slots[a->port_index];
    for (int point = 0; point < 2; point++) {
        unsigned k = 0;
        for (unsigned i = 0; i < dport->ncaps[point]; i++)
            if (dport->caps[point][i] != a)
                dport->caps[point][k++] = dport->caps[point][i];
        dport->ncaps[point] = (uint8_t)k;
    }
}

static void agent_free(struct capture_agent *a)
{
    capring_destroy(&a->ring);
    sbpf_filter_destroy(a->filter);
    free(a);
}

/* Closes every capture for which `match` is true, with one configuration change. */
static unsigned close_where(bool (*match)(const struct capture_agent *, uint64_t), uint64_t key,
                            const char *why)
{
    struct capture_agent *doomed[MAX_CAPTURES];
    unsigned n = 0;
    for (int i = 0; i < MAX_CAPTURES; i++) {
        if (agents[i] && match(agents[i], key)) {
            doomed[n++] = agents[i];
            agents[i] = NULL;
        }
    }
    if (!n)
        return 0;
    struct dp_config *draft = dp_config_copy();
    for (unsigned i = 0; i < n; i++)
        unhook(draft, doomed[i]);
    dp_config_commit(draft);
    for (unsigned i = 0; i < n; i++) {
        struct capture_agent *a = doomed[i];
        log_info("capture %llu on %s closed (%s): seen %llu, matched %llu, dropped %llu",
                 (unsigned long long)a->id, a->port_name, why, (unsigned long long)a->seen,
                 (unsigned long long)a->matched,
                 (unsigned long long)__atomic_load_n(&a->ring.hdr->dropped_full, __ATOMIC_RELAXED));
        agent_free(a);
    }
    return n;
}

static bool by_id(const struct capture_agent *a, uint64_t id)
{
    return a->id == id;
}
static bool by_conn(const struct capture_agent *a, uint64_t conn)
{
    return a->conn_id == conn;
}
static bool by_port(const struct capture_agent *a, uint64_t port)
{
    return a->port_index == port;
}
static bool is_broken(const struct capture_agent *a, uint64_t unused)
{
    (void)unused;
    return atomic_load(&a->broken);
}

void capture_port_removed(uint32_t port_index)
{
    close_where(by_port, port_index, "port removed");
}

static void on_conn_closed(uint64_t conn_id)
{
    close_where(by_conn, conn_id, "client gone");
}
RPC_CLOSE_HOOK(capture_close_hook, {on_conn_closed});

static void check_broken(void *arg)
{
    (void)arg;
    close_where(is_broken, 0, "reader wrote an impossible consumer index");
}

void capture_close_all(void)
{
    for (int i = 0; i < MAX_CAPTURES; i++)
        if (agents[i])
            close_where(by_id, agents[i]->id, "switch stopping");
}

static int m_capture_ports(struct rpc_ctx *ctx, const struct json *params)
{
    (void)params;
    const struct dp_config *c = dp_current();
    jw_obj_begin(ctx->out);
    jw_key(ctx->out, "ports");
    jw_arr_begin(ctx->out);
    for (uint32_t i = 0; i < c->nslots; i++) {
        struct port *p = c->slots[i].port;
        if (!p)
            continue;
        jw_obj_begin(ctx->out);
        jw_kstr(ctx->out, "name", p->name);
        jw_kuint(ctx->out, "index", p->index);
        jw_kstr(ctx->out, "kind", p->kind->name);
        jw_kbool(ctx->out, "up", port_is_up(p));
        jw_obj_end(ctx->out);
    }
    jw_arr_end(ctx->out);
    jw_obj_end(ctx->out);
    return 0;
}
RPC_METHOD(rpc_capture_ports, {"capture.ports", m_capture_ports, 0});

static int open_capture(struct rpc_ctx *ctx, const struct capture_request *req, char *err,
                        size_t errlen, char *note, size_t notelen)
{
    const char *port_name = req->port;
    struct port *port = ports_find(port_name);
    if (!port)
        return rpc_fail(ctx, RPC_ERR_NOT_FOUND, "no such port: %s", port_name);
    bool on_rx = req->on_rx, on_tx = req->on_tx;
    int slot = -1;
    for (int i = 0; i < MAX_CAPTURES && slot < 0; i++)
        if (!agents[i])
            slot = i;
    if (slot < 0)
        return rpc_fail(ctx, RPC_ERR_FAILED, "too many captures (at most %d)", MAX_CAPTURES);
    const struct dp_port *dport = &dp_current()->slots[port->index];
    if ((on_rx && dport->ncaps[0] >= DP_MAX_CAPTURES_PER_POINT) ||
        (on_tx && dport->ncaps[1] >= DP_MAX_CAPTURES_PER_POINT))
        return rpc_fail(ctx, RPC_ERR_FAILED, "too many captures on %s (at most %d)", port_name,
                        DP_MAX_CAPTURES_PER_POINT);

    if (check_ring_mem(ctx, req->ring_size) < 0)
        return -1;

    struct capture_agent *a = calloc(1, sizeof(*a));
    if (!a)
        return rpc_fail(ctx, RPC_ERR_INTERNAL, "out of memory");
    a->filter = sbpf_filter_create(req->prog, req->ninsns, want_jit, err, errlen, note, notelen);
    if (!a->filter) {
        free(a);
        return rpc_fail(ctx, RPC_ERR_PARAMS, "filter rejected: %s", err);
    }
    if (want_jit && !a->filter->native)
        log_warn("capture on %s: filter runs in the interpreter: %s", port_name, note);
    if (capring_create(&a->ring, req->ring_size, req->snaplen, port->index, err, errlen) < 0) {
        sbpf_filter_destroy(a->filter);
        free(a);
        return rpc_fail(ctx, RPC_ERR_FAILED, "cannot create the capture ring: %s", err);
    }
    int memfd, efd;
    if (capring_dup_fds(&a->ring, &memfd, &efd) < 0) {
        agent_free(a);
        return rpc_fail(ctx, RPC_ERR_FAILED, "out of descriptors");
    }
    a->id = next_id++;
    a->conn_id = ctx->conn_id;
    a->pid = ctx->pid;
    a->port_index = port->index;
    snprintf(a->port_name, sizeof(a->port_name), "%s", port->name);
    snprintf(a->filter_text, sizeof(a->filter_text), "%s", req->filter);
    a->on_rx = on_rx;
    a->on_tx = on_tx;
    a->snaplen = req->snaplen;
    agents[slot] = a;

    struct dp_config *draft = dp_config_copy();
    struct dp_port *dp_port = &draft->slots[port->index];
    if (on_rx)
        dp_port->caps[0][dp_port->ncaps[0]++] = a;
    if (on_tx)
        dp_port->caps[1][dp_port->ncaps[1]++] = a;
    dp_config_commit(draft);
    mainloop_every(250, check_broken, check_broken);

    ctx->fds[0] = memfd;
    ctx->fds[1] = efd;
    ctx->nfds = 2;
    struct jw *w = ctx->out;
    jw_obj_begin(w);
    jw_kuint(w, "id", a->id);
    jw_kstr(w, "port", a->port_name);
    jw_kuint(w, "port_index", a->port_index);
    jw_kuint(w, "snaplen", a->snaplen);
    jw_kuint(w, "ring_size", a->ring.hdr->data_size);
    jw_kbool(w, "jit", a->filter->native != NULL);
    jw_obj_end(w);
    log_info("capture %llu opened on %s (%s, snaplen %u, ring %llu bytes, %u instructions%s) by "
             "pid %d",
             (unsigned long long)a->id, a->port_name,
             on_rx && on_tx ? "inout"
             : on_rx        ? "in"
                            : "out",
             a->snaplen, (unsigned long long)a->ring.hdr->data_size, req->ninsns,
             a->filter->native ? ", compiled" : "", (int)a->pid);
    return 0;
}

static int m_capture_open(struct rpc_ctx *ctx, const struct json *params)
{
    struct capture_request req;
    char err[256], note[256] = "";
    if (capreq_parse(params, &req, err, sizeof(err)) < 0) {
        capreq_free(&req);
        return rpc_fail(ctx, RPC_ERR_PARAMS, "%s", err);
    }
    int rc = open_capture(ctx, &req, err, sizeof(err), note, sizeof(note));
    capreq_free(&req);
    return rc;
}
RPC_METHOD(rpc_capture_open, {"capture.open", m_capture_open, RPC_F_CAPTURE});

static void write_agent(struct jw *w, const struct capture_agent *a)
{
    jw_obj_begin(w);
    jw_kuint(w, "id", a->id);
    jw_kstr(w, "port", a->port_name);
    jw_kstr(w, "direction", a->on_rx && a->on_tx ? "inout" : a->on_rx ? "in" : "out");
    jw_kuint(w, "snaplen", a->snaplen);
    jw_kuint(w, "ring_size", a->ring.hdr->data_size);
    jw_kint(w, "pid", a->pid);
    jw_kstr(w, "filter", a->filter_text);
    jw_kuint(w, "instructions", a->filter->n);
    jw_kbool(w, "jit", a->filter->native != NULL);
    jw_kuint(w, "seen", __atomic_load_n(&a->ring.hdr->seen, __ATOMIC_RELAXED));
    jw_kuint(w, "matched", __atomic_load_n(&a->ring.hdr->matched, __ATOMIC_RELAXED));
    jw_kuint(w, "dropped", __atomic_load_n(&a->ring.hdr->dropped_full, __ATOMIC_RELAXED));
    jw_obj_end(w);
}

static int m_capture_list(struct rpc_ctx *ctx, const struct json *params)
{
    (void)params;
    jw_obj_begin(ctx->out);
    jw_key(ctx->out, "captures");
    jw_arr_begin(ctx->out);
    for (int i = 0; i < MAX_CAPTURES; i++)
        if (agents[i])
            write_agent(ctx->out, agents[i]);
    jw_arr_end(ctx->out);
    jw_obj_end(ctx->out);
    return 0;
}
RPC_METHOD(rpc_capture_list, {"capture.list", m_capture_list, 0});

static int m_capture_close(struct rpc_ctx *ctx, const struct json *params)
{
    int64_t id;
    if (!json_get_int(params, "id", 1, INT64_MAX, &id))
        return rpc_fail(ctx, RPC_ERR_PARAMS, "capture.close needs id");
    struct capture_agent *a = NULL;
    for (int i = 0; i < MAX_CAPTURES && !a; i++)
        if (agents[i] && agents[i]->id == (uint64_t)id)
            a = agents[i];
    if (!a)
        return rpc_fail(ctx, RPC_ERR_NOT_FOUND, "no such capture: %lld", (long long)id);
    if (a->conn_id != ctx->conn_id && ctx->uid != 0)
        return rpc_fail(ctx, RPC_ERR_PERM, "capture %lld belongs to another client", (long long)id);
    jw_obj_begin(ctx->out);
    jw_kuint(ctx->out, "seen", __atomic_load_n(&a->ring.hdr->seen, __ATOMIC_RELAXED));
    jw_kuint(ctx->out, "matched", __atomic_load_n(&a->ring.hdr->matched, __ATOMIC_RELAXED));
    jw_kuint(ctx->out, "dropped", __atomic_load_n(&a->ring.hdr->dropped_full, __ATOMIC_RELAXED));
    jw_obj_end(ctx->out);
    close_where(by_id, (uint64_t)id, "closed by the client");
    return 0;
}
RPC_METHOD(rpc_capture_close, {"capture.close", m_capture_close, RPC_F_CAPTURE});

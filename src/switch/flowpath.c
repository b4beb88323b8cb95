/* flowpath.c - the flow-rule path of a data-plane thread: flow key, cache, classifier, rule
 * counters, actions; outputs go into the switch's queues through the action callbacks. */
#include "flowpath.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "actions.h"
#include "flowcache.h"
#include "flowkey.h"
#include "flowtable.h"
#include "l2switch_dp.h"
#include "transmit.h"

struct flowpath {
    struct flowcache *cache;
    /* Published after every burst with relaxed stores, read by the management thread. */
    _Atomic uint64_t hits, misses, revalidated;
};

/* Management side: every thread's flow path, for the counters (not used on the packet path). */
static struct flowpath *threads[FLOWPATH_MAX_THREADS];
static _Atomic unsigned nthreads;

struct flowpath *flowpath_create(void)
{
    unsigned slot = atomic_fetch_add(&nthreads, 1);
    if (slot >= FLOWPATH_MAX_THREADS) {
        atomic_fetch_sub(&nthreads, 1);
        return NULL;
    }
    struct flowpath *fp = calloc(1, sizeof(*fp));
    if (fp)
        fp->cache = flowcache_create(FLOWCACHE_DEFAULT_ENTRIES);
    if (!fp || !fp->cache) {
        free(fp);
        threads[slot] = NULL;
        return NULL;
    }
    threads[slot] = fp;
    return fp;
}

unsigned flowpath_get_stats(struct flowpath_stats *out, unsigned max)
{
    unsigned n = atomic_load(&nthreads);
    if (n > FLOWPATH_MAX_THREADS)
        n = FLOWPATH_MAX_THREADS;
    unsigned k = 0;
    for (unsigned i = 0; i < n && k < max; i++) {
        const struct flowpath *fp = threads[i];
        if (!fp)
            continue;
        out[k].hits = atomic_load_explicit(&fp->hits, memory_order_relaxed);
        out[k].misses = atomic_load_explicit(&fp->misses, memory_order_relaxed);
        out[k].revalidated = atomic_load_explicit(&fp->revalidated, memory_order_relaxed);
        k++;
    }
    return k;
}

/* What one packet's actions did, for the drop accounting after them. */
struct exec_ctx {
    struct dp_thread *t;
    const struct dp_config *cfg;
    unsigned handed_on; /* outputs queued, plus normal/flood calls (they count their drops) */
    bool no_buffer;     /* a copy for normal/flood could not be made */
};

static void on_output(void *arg, struct pkt *p, uint32_t out_port, bool last)
{
    struct exec_ctx *x = arg;
    const struct dp_config *cfg = x->cfg;
    if (out_port >= cfg->nslots || !cfg->slots[out_port].port)
        return; /* a port the rule names but the switch does not have */
    struct pkt *out = p;
    if (last) {
        p->refcnt++;
    } else if (!(out = pkt_clone(p))) {
        cfg->slots[out_port].port->stats.tx_drops[DROP_NO_BUFFER]++;
        x->handed_on++; /* counted on the output port */
        return;
    }
    dp_output(x->t, cfg, out_port, out);
    x->handed_on++;
}

/* normal and flood queue references to the packet they are given: when a later action
 * changes it, they get a copy of their own, which they release when done. */
static struct pkt *shared_or_copy(struct exec_ctx *x, struct pkt *p, bool last)
{
    if (last)
        return p;
    struct pkt *c = pkt_clone(p);
    if (!c)
        x->no_buffer = true;
    return c;
}

static void on_normal(void *arg, struct pkt *p, bool last)
{
    struct exec_ctx *x = arg;
    struct pkt *use = shared_or_copy(x, p, last);
    if (!use)
        return;
    l2_normal(x->t, x->cfg, use);
    x->handed_on++;
    if (use != p)
        pkt_free(use);
}

static void on_flood(void *arg, struct pkt *p, bool all, bool last)
{
    struct exec_ctx *x = arg;
    struct pkt *use = shared_or_copy(x, p, last);
    if (!use)
        return;
    l2_flood(x->t, x->cfg, use, all);
    x->handed_on++;
    if (use != p)
        pkt_free(use);
}

static const struct flow_output_ops output_ops = {
    .output = on_output,
    .normal = on_normal,
    .flood = on_flood,
};

static void publish_stats(struct flowpath *fp)
{
    struct flowcache_stats s = flowcache_get_stats(fp->cache);
    atomic_store_explicit(&fp->hits, s.hits, memory_order_relaxed);
    atomic_store_explicit(&fp->misses, s.misses, memory_order_relaxed);
    atomic_store_explicit(&fp->revalidated, s.revalidated, memory_order_relaxed);
}

void flowpath_process_burst(struct dp_thread *t, const struct dp_config *cfg, struct pkt **pkts,
                            unsigned n, uint64_t now_ns)
{
    struct flowpath *fp = t->flowpath;
    const struct flow_table *table = cfg->flows;
    struct exec_ctx x = {.t = t, .cfg = cfg};
    for (unsigned i = 0; i < n; i++) {
        struct pkt *p = pkts[i];
        struct flow_key key;
        flowkey_extract(p->data, p->len, p->in_port, &key, NULL);
        const struct flow_rule *rule = flowcache_classify(fp->cache, table, &key);
        if (!rule) {
            dp_drop_rx(cfg, p, DROP_FLOW);
            continue;
        }
        flow_rule_hit(rule, p->len, now_ns);
        x.handed_on = 0;
        x.no_buffer = false;
        enum flow_verdict v = flow_actions_execute(rule->actions, p, &output_ops, &x);
        if (v == FLOW_TTL_EXPIRED)
            dp_drop_rx(cfg, p, DROP_TTL);
        else if (v == FLOW_NO_ROOM || x.no_buffer)
            dp_drop_rx(cfg, p, DROP_NO_BUFFER);
        else if (v == FLOW_DROPPED)
            dp_drop_rx(cfg, p, DROP_FLOW);
        else if (x.handed_on == 0)
            dp_drop_rx(cfg, p, DROP_NO_OUTPUT);
    }
    publish_stats(fp);
}

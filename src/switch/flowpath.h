/* flowpath.h - the flow-rule path of the data plane: per-thread exact-match cache, the
 * classifier on a miss, rule counters, and the rule's actions sent into the output queues.
 *
 * process_burst uses it when the configuration has a flow table (cfg->flows); without one
 * every packet takes the `normal` action directly. Drop reasons: no matching rule or an action
 * list without output -> flow; dec_ttl at TTL 0 or 1 -> ttl; no room for a tag or no buffer
 * for a copy -> no_buffer; outputs only to ports that do not exist -> no_output. */
#ifndef SLUICE_FLOWPATH_H
#define SLUICE_FLOWPATH_H

#include <stdint.h>

#include "dataplane.h"
#include "dp_thread.h"

#define FLOWPATH_MAX_THREADS 64

struct flowpath;

/* One data-plane thread's flow cache and its counters (t->flowpath), registered so that
 * flowpath_get_stats finds it. Called once per thread before it runs. NULL if out of memory or
 * FLOWPATH_MAX_THREADS exist. */
struct flowpath *flowpath_create(void);

/* Data-plane thread: every packet of the burst through cfg->flows (not NULL). The caller
 * still owns the packets (outputs take their own references) and flushes the queues after. */
void flowpath_process_burst(struct dp_thread *t, const struct dp_config *cfg, struct pkt **pkts,
                            unsigned n, uint64_t now_ns);

struct flowpath_stats {
    uint64_t hits;        /* rule found in the cache */
    uint64_t misses;      /* not cached: classifier lookup, then cached */
    uint64_t revalidated; /* cached from an older table version: looked up again */
};

/* Any thread: the cache counters of each data-plane thread (updated after every burst), in
 * out[0..max). Returns the number of data-plane threads with a flow path. */
unsigned flowpath_get_stats(struct flowpath_stats *out, unsigned max);

#endif

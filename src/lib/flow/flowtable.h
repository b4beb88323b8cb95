/* flowtable.h - the flow table: OpenFlow-style rules (match, priority, cookie, timeouts,
 * actions, counters) in immutable, numbered versions that the data plane looks up.
 *
 * Management thread: start an edit from the published version, apply add/modify/delete
 * commands (with ovs-ofctl semantics), commit to get the next version, publish it with one
 * atomic pointer store, and free the old version once the data plane has stopped using it:
 *     struct flow_edit *e = flowtable_edit_begin(cur);
 *     flowtable_edit_apply(e, &mod, now_ns, err, sizeof(err));   // any number of times
 *     struct flow_table *next = flowtable_edit_commit(e);
 *     publish(next); wait_for_quiescence(); flowtable_free(cur);
 * Data-plane thread (per packet; see flowcache.h for the cached path):
 *     const struct flow_rule *r = flowtable_lookup(table, &key);
 *     if (r) { flow_rule_hit(r, pkt->len, now_ns); flow_actions_execute(r->actions, ...); }
 *
 * Rule objects are shared by the versions that contain them. A modification makes a new rule
 * object that shares the old one's counters (struct flow_stats), so counts survive mod-flows and
 * any number of version changes. Counters are written by the one data-plane thread without
 * atomic read-modify-write (relaxed loads and stores) and read by others with relaxed loads.
 * Version numbers are unique in the process and increase, so a cache can tag entries with them. */
#ifndef SLUICE_FLOWTABLE_H
#define SLUICE_FLOWTABLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "actions.h"
#include "classifier.h"
#include "flowkey.h"

#define FLOW_DEFAULT_PRIORITY 32768
#define FLOW_PORT_ANY UINT32_MAX       /* no out_port filter */
#define FLOWTABLE_MAX_RULES (1u << 20) /* default bound: about 300 bytes per rule */

struct flow_stats {
    _Atomic uint64_t n_packets;
    _Atomic uint64_t n_bytes;
    _Atomic uint64_t used_ns; /* last hit, 0 if never */
    uint64_t created_ns;
    uint32_t refcnt; /* rule objects sharing these counters (management thread) */
};

struct flow_rule {
    struct cls_rule cr; /* match (value, mask), priority, sequence */
    uint64_t cookie;
    uint16_t idle_timeout; /* seconds, 0: none */
    uint16_t hard_timeout;
    uint64_t modified_ns; /* added or last modified: the hard timeout counts from here */
    struct flow_actions *actions;
    struct flow_stats *stats;
};

/* Data-plane thread: counts one packet of `bytes` for the rule. */
static inline void flow_rule_hit(const struct flow_rule *r, uint32_t bytes, uint64_t now_ns)
{
    struct flow_stats *s = r->stats;
    atomic_store_explicit(&s->n_packets,
                          atomic_load_explicit(&s->n_packets, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    atomic_store_explicit(&s->n_bytes,
                          atomic_load_explicit(&s->n_bytes, memory_order_relaxed) + bytes,
                          memory_order_relaxed);
    atomic_store_explicit(&s->used_ns, now_ns, memory_order_relaxed);
}

static inline uint64_t flow_rule_packets(const struct flow_rule *r)
{
    return atomic_load_explicit(&r->stats->n_packets, memory_order_relaxed);
}

static inline uint64_t flow_rule_bytes(const struct flow_rule *r)
{
    return atomic_load_explicit(&r->stats->n_bytes, memory_order_relaxed);
}

static inline uint64_t flow_rule_used(const struct flow_rule *r)
{
    return atomic_load_explicit(&r->stats->used_ns, memory_order_relaxed);
}

struct flow_table {
    uint64_t version;
    struct classifier *cls;
    uint64_t next_seq;
    size_t n_timeouts; /* rules with an idle or hard timeout */
    size_t max_rules;  /* adds beyond this fail; inherited by later versions */
};

/* An empty table (every packet misses: the switch drops it). */
struct flow_table *flowtable_create(void);
/* The initial table of a switch: one rule, priority=0,actions=normal. */
struct flow_table *flowtable_create_default(uint64_t now_ns);
/* Frees a version; rules still in other versions stay. NULL is ignored. */
void flowtable_free(struct flow_table *t);

static inline const struct flow_rule *flowtable_lookup(const struct flow_table *t,
                                                       const struct flow_key *key)
{
    return (const struct flow_rule *)cls_lookup(t->cls, key);
}

static inline size_t flowtable_count(const struct flow_table *t)
{
    return cls_count(t->cls);
}

enum flow_cmd {
    FLOW_CMD_ADD,
    FLOW_CMD_MODIFY,
    FLOW_CMD_MODIFY_STRICT,
    FLOW_CMD_DELETE,
    FLOW_CMD_DELETE_STRICT,
};

/* One command, as parsed from ovs-ofctl syntax (see ofparse.h). */
struct flow_mod {
    enum flow_cmd cmd;
    struct flow_key value; /* the match; masked */
    struct flow_key mask;
    uint16_t priority;
    uint64_t cookie_match; /* modify/delete/dump: rules whose cookie & mask equals this */
    uint64_t cookie_mask;  /* 0: any cookie */
    bool set_cookie;       /* add: always; modify: give matched rules new_cookie */
    uint64_t new_cookie;
    uint16_t idle_timeout, hard_timeout;
    uint32_t out_port; /* delete/dump: rules that output to this port; FLOW_PORT_ANY: any */
    struct flow_actions *actions; /* add/modify; owned by the flow_mod */
};

void flow_mod_init(struct flow_mod *fm, enum flow_cmd cmd);
/* Frees what the flow_mod owns (its actions). */
void flow_mod_release(struct flow_mod *fm);

/* Does the rule pass the filter of a modify/delete/dump command? Non-strict: the rule's match
 * is at least as specific as fm's (every field fm matches, the rule matches to the same value);
 * strict: identical match and priority. Cookie and out_port filters apply in both. */
bool flow_rule_selected(const struct flow_rule *r, const struct flow_mod *fm, bool strict);

struct flow_edit;
struct flow_edit *flowtable_edit_begin(const struct flow_table *base);
/* Applies one command in order with the ones before it:
 *  - add: a rule with identical match and priority is replaced (its counters start over);
 *  - modify[_strict]: matched rules get fm's actions (and cookie if set_cookie); counters and
 *    duration stay, the hard timeout restarts; if nothing matched and fm has no cookie filter,
 *    the flow is added, as ovs-ofctl's OpenFlow 1.0 mod-flows does;
 *  - delete[_strict]: matched rules are removed.
 * Returns how many rules were added, changed or removed; -1 with err if an add would exceed
 * the table's max_rules (nothing of this command is applied then). */
long flowtable_edit_apply(struct flow_edit *e, const struct flow_mod *fm, uint64_t now_ns,
                          char *err, size_t errlen);
/* Removes one rule of the base version (used for expiry). */
void flowtable_edit_remove(struct flow_edit *e, const struct flow_rule *r);
size_t flowtable_edit_count(const struct flow_edit *e);
/* The new version (a fresh version number); the edit is gone. */
struct flow_table *flowtable_edit_commit(struct flow_edit *e);
void flowtable_edit_abort(struct flow_edit *e);

enum flow_order {
    FLOW_ORDER_PRIORITY, /* the order lookups prefer them: priority, then added first */
    FLOW_ORDER_ADDED,    /* the order they were added: keeps the tie order across a restore */
};
/* The rules passing filter (NULL: all), in the given order; *out is malloc'd (free it). */
size_t flowtable_collect(const struct flow_table *t, const struct flow_mod *filter, bool strict,
                         enum flow_order order, const struct flow_rule ***out);

/* Rules whose idle or hard timeout has passed at now_ns (up to max of them). */
size_t flowtable_expired(const struct flow_table *t, uint64_t now_ns, const struct flow_rule **out,
                         size_t max);

#endif

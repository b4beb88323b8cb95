/* flowcache.h - the exact-match flow cache of one data-plane thread: the fast path in front
 * of the flow table's classifier.
 *
 * A fixed-size, 4-way set-associative table from complete flow keys to the rule the classifier
 * chose for them (or "no rule"). Nothing is allocated after creation. Entries carry the version
 * of the flow table that produced them; a key whose entry is from an older version is looked up
 * again in the current version and the entry refreshed in place (revalidation). An entry's rule
 * is only used when its version is the current one, so entries of freed versions are harmless.
 *
 * Use, per packet on the owning thread:
 *     const struct flow_rule *r = flowcache_classify(cache, table, &key);
 * The cache belongs to one thread: no locking, no sharing. */
#ifndef SLUICE_FLOWCACHE_H
#define SLUICE_FLOWCACHE_H

#include <stdint.h>

#include "flowkey.h"
#include "flowtable.h"

#define FLOWCACHE_WAYS 4
#define FLOWCACHE_DEFAULT_ENTRIES 8192

struct flowcache_stats {
    uint64_t hits;        /* answered from the cache */
    uint64_t misses;      /* key not cached: classifier, then inserted */
    uint64_t revalidated; /* cached from an older table version: classifier, refreshed */
};

struct flowcache;

/* A cache of at least `entries` entries (rounded up to a power of two, minimum 4). */
struct flowcache *flowcache_create(unsigned entries);
void flowcache_destroy(struct flowcache *c);
unsigned flowcache_capacity(const struct flowcache *c);

/* The rule of table t for key (NULL: no rule matches), through the cache. */
const struct flow_rule *flowcache_classify(struct flowcache *c, const struct flow_table *t,
                                           const struct flow_key *key);

/* The pieces of flowcache_classify, for callers that batch or measure them. find returns true
 * and sets *rule on a hit for version; insert records the classifier's answer. */
bool flowcache_find(struct flowcache *c, uint64_t version, const struct flow_key *key,
                    uint32_t hash, const struct flow_rule **rule);
void flowcache_insert(struct flowcache *c, uint64_t version, const struct flow_key *key,
                      uint32_t hash, const struct flow_rule *rule);

/* Forgets every entry. */
void flowcache_flush(struct flowcache *c);
struct flowcache_stats flowcache_get_stats(const struct flowcache *c);

#endif

/* flowcache.c - exact-match cache of classifier answers, tagged with the table version.
 * Sets of four ways; the four hashes of a set share one cache line so a miss reads one line. */
#include "flowcache.h"

#include <stdlib.h>
#include <string.h>

struct fc_entry {
    uint64_t version; /* 0: empty */
    const struct flow_rule *rule;
    struct flow_key key;
};

struct fc_set {
    uint32_t hash[FLOWCACHE_WAYS];
    struct fc_entry e[FLOWCACHE_WAYS];
};

struct flowcache {
    uint32_t set_mask;
    uint32_t clock; /* picks the way to replace when every way is current */
    struct flowcache_stats stats;
    struct fc_set *sets;
};

struct flowcache *flowcache_create(unsigned entries)
{
    unsigned nsets = 1;
    while (nsets * FLOWCACHE_WAYS < entries && nsets < (1u << 24))
        nsets <<= 1;
    struct flowcache *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    size_t size = (nsets * sizeof(struct fc_set) + 63) & ~(size_t)63;
    c->sets = aligned_alloc(64, size);
    if (!c->sets) {
        free(c);
        return NULL;
    }
    memset(c->sets, 0, size);
    c->set_mask = nsets - 1;
    return c;
}

void flowcache_destroy(struct flowcache *c)
{
    if (!c)
        return;
    free(c->sets);
    free(c);
}

unsigned flowcache_capacity(const struct flowcache *c)
{
    return (c->set_mask + 1) * FLOWCACHE_WAYS;
}

void flowcache_flush(struct flowcache *c)
{
    memset(c->sets, 0, (c->set_mask + 1) * sizeof(struct fc_set));
}

struct flowcache_stats flowcache_get_stats(const struct flowcache *c)
{
    return c->stats;
}

static inline struct fc_entry *find_key(struct fc_set *s, const struct flow_key *key, uint32_t hash)
{
    for (int w = 0; w < FLOWCACHE_WAYS; w++)
        if (s->hash[w] == hash && s->e[w].version && flowkey_equal(&s->e[w].key, key))
            return &s->e[w];
    return NULL;
}

bool flowcache_find(struct flowcache *c, uint64_t version, const struct flow_key *key,
                    uint32_t hash, const struct flow_rule **rule)
{
    struct fc_entry *e = find_key(&c->sets[hash & c->set_mask], key, hash);
    if (!e || e->version != version)
        return false;
    *rule = e->rule;
    return true;
}

void flowcache_insert(struct flowcache *c, uint64_t version, const struct flow_key *key,
                      uint32_t hash, const struct flow_rule *rule)
{
    struct fc_set *s = &c->sets[hash & c->set_mask];
    struct fc_entry *e = find_key(s, key, hash);
    int way = e ? (int)(e - s->e) : -1;
    for (int w = 0; way < 0 && w < FLOWCACHE_WAYS; w++)
        if (s->e[w].version != version)
            way = w;
    if (way < 0)
        way = (int)(c->clock++ % FLOWCACHE_WAYS);
    s->hash[way] = hash;
    s->e[way].version = version;
    s->e[way].rule = rule;
    s->e[way].key = *key;
}

const struct flow_rule *flowcache_classify(struct flowcache *c, const struct flow_table *t,
                                           const struct flow_key *key)
{
    uint32_t hash = flowkey_hash(key);
    struct fc_set *s = &c->sets[hash & c->set_mask];
    struct fc_entry *e = find_key(s, key, hash);
    if (e && e->version == t->version) {
        c->stats.hits++;
        return e->rule;
    }
    const struct flow_rule *rule = flowtable_lookup(t, key);
    if (e) {
        /* Cached by an older version: refresh in place. */
        c->stats.revalidated++;
        e->version = t->version;
        e->rule = rule;
        return rule;
    }
    c->stats.misses++;
    flowcache_insert(c, t->version, key, hash, rule);
    return rule;
}

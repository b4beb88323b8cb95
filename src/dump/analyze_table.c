/* analyze_table.c - conversations for --analyze: an open-addressing hash table keyed by
 * both endpoints in canonical order, bounded in size, and the top entries by bytes. */
#include <stdlib.h>
#include <string.h>

#include "analyze.h"

void an_table_init(struct an_table *t, size_t max)
{
    memset(t, 0, sizeof(*t));
    t->max = max;
}

void an_table_free(struct an_table *t)
{
    free(t->slots);
    an_table_init(t, t->max);
}

void an_table_clear(struct an_table *t)
{
    if (t->slots)
        memset(t->slots, 0, t->cap * sizeof(*t->slots));
    t->n = 0;
    t->untracked_packets = t->untracked_bytes = 0;
}

static uint64_t hash_key(const struct an_key *k)
{
    /* FNV-1a over the key, then a final mix so that low bits are usable. */
    const uint8_t *b = (const uint8_t *)k;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < sizeof(*k); i++)
        h = (h ^ b[i]) * 1099511628211ull;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 32);
}

static struct an_entry *find_slot(struct an_entry *slots, size_t cap, const struct an_key *k)
{
    size_t i = hash_key(k) & (cap - 1);
    while (slots[i].used && memcmp(&slots[i].key, k, sizeof(*k)) != 0)
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static bool grow(struct an_table *t)
{
    size_t cap = t->cap ? t->cap * 2 : 1024;
    struct an_entry *slots = calloc(cap, sizeof(*slots));
    if (!slots)
        return false;
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i].used)
            *find_slot(slots, cap, &t->slots[i].key) = t->slots[i];
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return true;
}

void an_table_add(struct an_table *t, const struct an_key *k, uint32_t bytes)
{
    /* Kept at most half full so that probes stay short. */
    if (t->n * 2 >= t->cap && t->n < t->max && !grow(t)) {
        t->untracked_packets++;
        t->untracked_bytes += bytes;
        return;
    }
    struct an_entry *e = t->cap ? find_slot(t->slots, t->cap, k) : NULL;
    if (!e || (!e->used && t->n >= t->max)) {
        t->untracked_packets++;
        t->untracked_bytes += bytes;
        return;
    }
    if (!e->used) {
        e->used = true;
        e->key = *k;
        t->n++;
    }
    e->packets++;
    e->bytes += bytes;
}

static bool before(const struct an_entry *a, const struct an_entry *b)
{
    if (a->bytes != b->bytes)
        return a->bytes > b->bytes;
    if (a->packets != b->packets)
        return a->packets > b->packets;
    return memcmp(&a->key, &b->key, sizeof(a->key)) < 0;
}

unsigned an_table_top(const struct an_table *t, const struct an_entry **top, unsigned n)
{
    if (n > AN_TOP)
        n = AN_TOP;
    unsigned have = 0;
    for (size_t i = 0; i < t->cap; i++) {
        const struct an_entry *e = &t->slots[i];
        if (!e->used || (have == n && !before(e, top[n - 1])))
            continue;
        unsigned j = have < n ? have++ : n - 1;
        while (j > 0 && before(e, top[j - 1])) {
            top[j] = top[j - 1];
            j--;
        }
        top[j] = e;
    }
    return have;
}

/* Endpoints in canonical order: the lower (address, port) first. */
static void order(struct an_key *k, const uint8_t *src, uint16_t sport, const uint8_t *dst,
                  uint16_t dport)
{
    int c = memcmp(src, dst, 16);
    if (c < 0 || (c == 0 && sport <= dport)) {
        memcpy(k->addr_a, src, 16);
        memcpy(k->addr_b, dst, 16);
        k->port_a = sport;
        k->port_b = dport;
    } else {
        memcpy(k->addr_a, dst, 16);
        memcpy(k->addr_b, src, 16);
        k->port_a = dport;
        k->port_b = sport;
    }
}

bool an_pair_key(const struct an_pkt *p, struct an_key *k)
{
    memset(k, 0, sizeof(*k));
    if (!p->family)
        return false;
    k->family = p->family;
    order(k, p->src, 0, p->dst, 0);
    return true;
}

bool an_flow_key(const struct an_pkt *p, struct an_key *k)
{
    memset(k, 0, sizeof(*k));
    if (!p->family)
        return false;
    k->family = p->family;
    k->proto = p->proto;
    order(k, p->src, p->has_ports ? p->sport : 0, p->dst, p->has_ports ? p->dport : 0);
    return true;
}

/* mactable.c - open-addressing hash of entry indexes plus a least-recently-seen list.
 * A refresh moves an entry only when its second changes, so the per-packet cost is a compare. */
#include "mactable.h"

#include <stdlib.h>
#include <string.h>

#define NIL UINT32_MAX

struct mac_entry {
    uint64_t key; /* MAC in the low 48 bits, VLAN above */
    uint32_t port;
    uint32_t last_seen;
    uint32_t prev, next; /* age list (learned entries only) */
    bool is_static;
    bool used;
};

struct mactable {
    uint32_t max, count, aging;
    uint32_t mask;   /* slots - 1 */
    uint32_t *slots; /* entry index + 1, 0 = empty */
    struct mac_entry *entries;
    uint32_t *free_list;
    uint32_t nfree;
    uint32_t oldest, newest;
    uint64_t evictions;
};

static inline uint64_t make_key(const uint8_t *mac, uint16_t vlan)
{
    uint64_t k = 0;
    for (int i = 0; i < 6; i++)
        k = k << 8 | mac[i];
    return k | (uint64_t)(vlan & 0xfff) << 48;
}

static inline uint32_t slot_of(const struct mactable *t, uint64_t key)
{
    return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & t->mask;
}

struct mactable *mactable_create(uint32_t max_entries, uint32_t aging_s)
{
    if (max_entries == 0 || max_entries > (1u << 24))
        return NULL;
    struct mactable *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    uint32_t nslots = 16;
    while (nslots < max_entries * 2)
        nslots <<= 1;
    t->max = max_entries;
    t->aging = aging_s;
    t->mask = nslots - 1;
    t->slots = calloc(nslots, sizeof(*t->slots));
    t->entries = calloc(max_entries, sizeof(*t->entries));
    t->free_list = malloc(max_entries * sizeof(*t->free_list));
    if (!t->slots || !t->entries || !t->free_list) {
        mactable_destroy(t);
        return NULL;
    }
    for (uint32_t i = 0; i < max_entries; i++)
        t->free_list[i] = max_entries - 1 - i;
    t->nfree = max_entries;
    t->oldest = t->newest = NIL;
    return t;
}

void mactable_destroy(struct mactable *t)
{
    if (!t)
        return;
    free(t->slots);
    free(t->entries);
    free(t->free_list);
    free(t);
}

void mactable_set_aging(struct mactable *t, uint32_t aging_s)
{
    t->aging = aging_s;
}

static uint32_t find_slot(const struct mactable *t, uint64_t key)
{
    for (uint32_t s = slot_of(t, key);; s = (s + 1) & t->mask) {
        uint32_t e = t->slots[s];
        if (e == 0 || t->entries[e - 1].key == key)
            return s;
    }
}

static void list_unlink(struct mactable *t, uint32_t i)
{
    struct mac_entry *e = &t->entries[i];
    if (e->prev != NIL)
        t->entries[e->prev].next = e->next;
    else
        t->oldest = e->next;
    if (e->next != NIL)
        t->entries[e->next].prev = e->prev;
    else
        t->newest = e->prev;
    e->prev = e->next = NIL;
}

static void list_append(struct mactable *t, uint32_t i)
{
    struct mac_entry *e = &t->entries[i];
    e->prev = t->newest;
    e->next = NIL;
    if (t->newest != NIL)
        t->entries[t->newest].next = i;
    else
        t->oldest = i;
    t->newest = i;
}

/* Deletes the entry in slot s, shifting later members of its probe run back so that
 * lookups never need tombstones. */
static void remove_slot(struct mactable *t, uint32_t s)
{
    uint32_t i = t->slots[s] - 1;
    struct mac_entry *e = &t->entries[i];
    if (!e->is_static)
        list_unlink(t, i);
    e->used = false;
    t->free_list[t->nfree++] = i;
    t->count--;
    t->slots[s] = 0;
    for (uint32_t hole = s, n = (s + 1) & t->mask; t->slots[n]; n = (n + 1) & t->mask) {
        uint32_t home = slot_of(t, t->entries[t->slots[n] - 1].key);
        /* Move n into the hole unless its home lies cyclically in (hole, n]. */
        bool home_after_hole = hole <= n ? (home > hole && home <= n) : (home > hole || home <= n);
        if (!home_after_hole) {
            t->slots[hole] = t->slots[n];
            t->slots[n] = 0;
            hole = n;
        }
    }
}

bool mactable_lookup(const struct mactable *t, const uint8_t *mac, uint16_t vlan, uint32_t now,
                     uint32_t *port)
{
    uint32_t s = find_slot(t, make_key(mac, vlan));
    if (t->slots[s] == 0)
        return false;
    const struct mac_entry *e = &t->entries[t->slots[s] - 1];
    if (!e->is_static && now - e->last_seen >= t->aging)
        return false;
    *port = e->port;
    return true;
}

static int insert(struct mactable *t, uint64_t key, uint32_t port, uint32_t now, bool is_static)
{
    if (t->nfree == 0) {
        if (t->oldest == NIL)
            return -1; /* full of static entries */
        remove_slot(t, find_slot(t, t->entries[t->oldest].key));
        t->evictions++;
    }
    uint32_t i = t->free_list[--t->nfree];
    struct mac_entry *e = &t->entries[i];
    e->key = key;
    e->port = port;
    e->last_seen = now;
    e->is_static = is_static;
    e->used = true;
    e->prev = e->next = NIL;
    if (!is_static)
        list_append(t, i);
    t->slots[find_slot(t, key)] = i + 1;
    t->count++;
    return 0;
}

void mactable_learn(struct mactable *t, const uint8_t *mac, uint16_t vlan, uint32_t port,
                    uint32_t now)
{
    uint64_t key = make_key(mac, vlan);
    uint32_t s = find_slot(t, key);
    if (t->slots[s] == 0) {
        insert(t, key, port, now, false);
        return;
    }
    uint32_t i = t->slots[s] - 1;
    struct mac_entry *e = &t->entries[i];
    if (e->is_static)
        return;
    e->port = port;
    if (e->last_seen != now) {
        e->last_seen = now;
        list_unlink(t, i);
        list_append(t, i);
    }
}

int mactable_add_static(struct mactable *t, const uint8_t *mac, uint16_t vlan, uint32_t port)
{
    uint64_t key = make_key(mac, vlan);
    uint32_t s = find_slot(t, key);
    if (t->slots[s])
        remove_slot(t, s);
    return insert(t, key, port, 0, true);
}

unsigned mactable_expire(struct mactable *t, uint32_t now)
{
    unsigned n = 0;
    while (t->oldest != NIL && now - t->entries[t->oldest].last_seen >= t->aging) {
        remove_slot(t, find_slot(t, t->entries[t->oldest].key));
        n++;
    }
    return n;
}

unsigned mactable_flush(struct mactable *t, uint32_t port, bool include_static)
{
    unsigned n = 0;
    for (uint32_t i = 0; i < t->max; i++) {
        struct mac_entry *e = &t->entries[i];
        if (!e->used || (e->is_static && !include_static))
            continue;
        if (port != UINT32_MAX && e->port != port)
            continue;
        remove_slot(t, find_slot(t, e->key));
        n++;
    }
    return n;
}

uint32_t mactable_count(const struct mactable *t)
{
    return t->count;
}

uint64_t mactable_evictions(const struct mactable *t)
{
    return t->evictions;
}

static void fill_info(const struct mac_entry *e, uint32_t now, struct mac_entry_info *info)
{
    for (int b = 0; b < 6; b++)
        info->mac[b] = (uint8_t)(e->key >> (40 - 8 * b));
    info->vlan = (uint16_t)(e->key >> 48);
    info->port = e->port;
    info->is_static = e->is_static;
    info->age_s = e->is_static ? 0 : now - e->last_seen;
}

void mactable_foreach(const struct mactable *t, uint32_t now,
                      void (*fn)(const struct mac_entry_info *e, void *arg), void *arg)
{
    struct mac_entry_info info;
    for (uint32_t i = t->oldest; i != NIL; i = t->entries[i].next) {
        fill_info(&t->entries[i], now, &info);
        fn(&info, arg);
    }
    for (uint32_t i = 0; i < t->max; i++) {
        if (t->entries[i].used && t->entries[i].is_static) {
            fill_info(&t->entries[i], now, &info);
            fn(&info, arg);
        }
    }
}

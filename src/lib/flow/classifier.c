/* classifier.c - tuple space search with copy-on-write versions.
 * A subtable is a directory of pages, each an open-addressing hash table; edits copy pages. */
#include "classifier.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A page holds about this many rules on average before its subtable's directory doubles: small
 * enough that copying one page per change is cheap, large enough to keep directories small. */
#define PAGE_TARGET 64
#define MAX_PAGE_BITS 16

struct cls_slot {
    uint32_t hash;
    const struct cls_rule *rule; /* NULL: empty slot */
};

struct cls_page {
    uint32_t refcnt;
    uint32_t n;
    uint32_t slot_mask;
    uint64_t max_rank;
    struct cls_slot slots[];
};

/* What a lookup needs of a page, kept in the subtable so that probing a page touches only the
 * slot's cache line. */
struct cls_dirent {
    const struct cls_slot *slots; /* NULL: empty page */
    uint64_t max_rank;
    uint32_t slot_mask;
};

struct cls_subtable {
    uint32_t refcnt;
    uint32_t mask_hash;
    size_t n_rules;
    uint64_t max_rank;
    uint8_t nwords;
    uint8_t page_bits;
    uint8_t words[FLOW_KEY_WORDS]; /* indexes of the mask's non-zero words */
    struct flow_key mask;
    struct cls_page **pages; /* 1 << page_bits entries; NULL for an empty page */
    struct cls_dirent *dir;  /* the same pages, for lookups */
};

struct classifier {
    cls_release_fn release;
    size_t n_rules;
    unsigned n_subtables;
    struct cls_subtable **subtables; /* by max_rank, highest first */
};

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "classifier: out of memory (%zu bytes)\n", n);
        abort();
    }
    return p;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fprintf(stderr, "classifier: out of memory (%zu x %zu bytes)\n", n, size);
        abort();
    }
    return p;
}

static void *xrealloc(void *old, size_t n)
{
    void *p = realloc(old, n ? n : 1);
    if (!p) {
        fprintf(stderr, "classifier: out of memory (%zu bytes)\n", n);
        abort();
    }
    return p;
}

/* ---- hashing ---- */

static unsigned mask_words(const struct flow_key *mask, uint8_t words[FLOW_KEY_WORDS])
{
    unsigned n = 0;
    for (unsigned i = 0; i < FLOW_KEY_WORDS; i++)
        if (mask->w[i])
            words[n++] = (uint8_t)i;
    return n;
}

static uint32_t hash_mask(const struct flow_key *mask)
{
    uint64_t h = 0x5eed;
    for (int i = 0; i < FLOW_KEY_WORDS; i++)
        h = flowkey_mix(h, mask->w[i]);
    return flowkey_finish(h);
}

/* Hash of key & mask over the given words; value words are left in masked[]. */
static inline uint32_t hash_masked(const struct flow_key *key, const struct flow_key *mask,
                                   const uint8_t *words, unsigned nwords, uint64_t *masked)
{
    uint64_t h = nwords;
    for (unsigned i = 0; i < nwords; i++) {
        unsigned w = words[i];
        masked[i] = key->w[w] & mask->w[w];
        h = flowkey_mix(h, masked[i]);
    }
    return flowkey_finish(h);
}

static inline bool value_equal(const struct cls_rule *r, const uint8_t *words, unsigned nwords,
                               const uint64_t *masked)
{
    uint64_t diff = 0;
    for (unsigned i = 0; i < nwords; i++)
        diff |= r->value.w[words[i]] ^ masked[i];
    return diff == 0;
}

static bool mask_equal(const struct flow_key *a, const struct flow_key *b)
{
    return flowkey_equal(a, b);
}

/* ---- pages ---- */

static void rule_unref(struct cls_rule *r, cls_release_fn release)
{
    if (--r->refcnt == 0 && release)
        release(r);
}

static struct cls_page *page_build(const struct cls_rule *const *rules, size_t n,
                                   unsigned page_bits)
{
    if (n == 0)
        return NULL;
    uint32_t nslots = 4;
    while (nslots < 2 * n)
        nslots <<= 1;
    struct cls_page *pg = xcalloc(1, sizeof(*pg) + nslots * sizeof(struct cls_slot));
    pg->refcnt = 1;
    pg->n = (uint32_t)n;
    pg->slot_mask = nslots - 1;
    for (size_t i = 0; i < n; i++) {
        struct cls_rule *r = (struct cls_rule *)rules[i];
        uint32_t idx = (r->hash >> page_bits) & pg->slot_mask;
        while (pg->slots[idx].rule)
            idx = (idx + 1) & pg->slot_mask;
        pg->slots[idx].hash = r->hash;
        pg->slots[idx].rule = r;
        r->refcnt++;
        uint64_t rank = cls_rank(r);
        if (rank > pg->max_rank)
            pg->max_rank = rank;
    }
    return pg;
}

static void page_unref(struct cls_page *pg, cls_release_fn release)
{
    if (!pg || --pg->refcnt)
        return;
    for (uint32_t i = 0; i <= pg->slot_mask; i++)
        if (pg->slots[i].rule)
            rule_unref((struct cls_rule *)pg->slots[i].rule, release);
    free(pg);
}

static void subtable_unref(struct cls_subtable *st, cls_release_fn release)
{
    if (!st || --st->refcnt)
        return;
    for (size_t i = 0; i < (1u << st->page_bits); i++)
        page_unref(st->pages[i], release);
    free(st->pages);
    free(st->dir);
    free(st);
}

/* ---- versions ---- */

struct classifier *cls_create(cls_release_fn release)
{
    struct classifier *c = xcalloc(1, sizeof(*c));
    c->release = release;
    return c;
}

void cls_free(struct classifier *c)
{
    if (!c)
        return;
    for (unsigned i = 0; i < c->n_subtables; i++)
        subtable_unref(c->subtables[i], c->release);
    free(c->subtables);
    free(c);
}

size_t cls_count(const struct classifier *c)
{
    return c->n_rules;
}

unsigned cls_subtable_count(const struct classifier *c)
{
    return c->n_subtables;
}

const struct cls_rule *cls_lookup(const struct classifier *c, const struct flow_key *key)
{
    const struct cls_rule *best = NULL;
    uint64_t best_rank = 0;
    uint64_t masked[FLOW_KEY_WORDS];
    for (unsigned s = 0; s < c->n_subtables; s++) {
        const struct cls_subtable *st = c->subtables[s];
        /* Sorted by max_rank: nothing further on can win. */
        if (st->max_rank <= best_rank)
            break;
        uint32_t h = hash_masked(key, &st->mask, st->words, st->nwords, masked);
        const struct cls_dirent *d = &st->dir[h & ((1u << st->page_bits) - 1)];
        if (!d->slots || d->max_rank <= best_rank)
            continue;
        for (uint32_t i = (h >> st->page_bits) & d->slot_mask;; i = (i + 1) & d->slot_mask) {
            const struct cls_slot *slot = &d->slots[i];
            if (!slot->rule)
                break;
            if (slot->hash != h)
                continue;
            uint64_t rank = cls_rank(slot->rule);
            if (rank > best_rank && value_equal(slot->rule, st->words, st->nwords, masked)) {
                best = slot->rule;
                best_rank = rank;
            }
        }
    }
    return best;
}

typedef bool (*skip_fn)(const void *ctx, const struct cls_rule *r);

static const struct cls_rule *subtable_find_exact(const struct cls_subtable *st,
                                                  const struct flow_key *value, uint32_t priority,
                                                  skip_fn skip, const void *ctx)
{
    uint64_t masked[FLOW_KEY_WORDS];
    uint32_t h = hash_masked(value, &st->mask, st->words, st->nwords, masked);
    const struct cls_page *pg = st->pages[h & ((1u << st->page_bits) - 1)];
    if (!pg)
        return NULL;
    for (uint32_t i = (h >> st->page_bits) & pg->slot_mask;; i = (i + 1) & pg->slot_mask) {
        const struct cls_slot *slot = &pg->slots[i];
        if (!slot->rule)
            return NULL;
        if (slot->hash == h && slot->rule->priority == priority &&
            value_equal(slot->rule, st->words, st->nwords, masked) &&
            !(skip && skip(ctx, slot->rule)))
            return slot->rule;
    }
}

static const struct cls_subtable *find_subtable(const struct classifier *c,
                                                const struct flow_key *mask, uint32_t mask_hash)
{
    for (unsigned i = 0; i < c->n_subtables; i++) {
        const struct cls_subtable *st = c->subtables[i];
        if (st->mask_hash == mask_hash && mask_equal(&st->mask, mask))
            return st;
    }
    return NULL;
}

const struct cls_rule *cls_find_exact(const struct classifier *c, const struct flow_key *value,
                                      const struct flow_key *mask, uint32_t priority)
{
    const struct cls_subtable *st = find_subtable(c, mask, hash_mask(mask));
    return st ? subtable_find_exact(st, value, priority, NULL, NULL) : NULL;
}

static void subtable_foreach(const struct cls_subtable *st,
                             void (*fn)(const struct cls_rule *r, void *arg), void *arg,
                             skip_fn skip, const void *ctx)
{
    for (size_t p = 0; p < (1u << st->page_bits); p++) {
        const struct cls_page *pg = st->pages[p];
        if (!pg)
            continue;
        for (uint32_t i = 0; i <= pg->slot_mask; i++) {
            const struct cls_rule *r = pg->slots[i].rule;
            if (r && !(skip && skip(ctx, r)))
                fn(r, arg);
        }
    }
}

void cls_foreach(const struct classifier *c, void (*fn)(const struct cls_rule *r, void *arg),
                 void *arg)
{
    for (unsigned i = 0; i < c->n_subtables; i++)
        subtable_foreach(c->subtables[i], fn, arg, NULL, NULL);
}

/* ---- the builder ---- */

enum rule_state { ST_NONE, ST_INSERTED, ST_DEAD, ST_REMOVED };

/* Rule pointer -> state, open addressing. */
struct ptrmap {
    const struct cls_rule **keys;
    uint8_t *vals;
    size_t n, cap; /* cap is a power of two */
};

static inline size_t ptr_hash(const void *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return (size_t)x;
}

static uint8_t ptrmap_get(const struct ptrmap *m, const struct cls_rule *r)
{
    if (!m->cap)
        return ST_NONE;
    for (size_t i = ptr_hash(r) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->keys[i])
            return ST_NONE;
        if (m->keys[i] == r)
            return m->vals[i];
    }
}

static void ptrmap_put(struct ptrmap *m, const struct cls_rule *r, uint8_t v);

static void ptrmap_grow(struct ptrmap *m)
{
    struct ptrmap old = *m;
    m->cap = old.cap ? old.cap * 2 : 64;
    m->n = 0;
    m->keys = xcalloc(m->cap, sizeof(*m->keys));
    m->vals = xcalloc(m->cap, sizeof(*m->vals));
    for (size_t i = 0; i < old.cap; i++)
        if (old.keys[i])
            ptrmap_put(m, old.keys[i], old.vals[i]);
    free(old.keys);
    free(old.vals);
}

static void ptrmap_put(struct ptrmap *m, const struct cls_rule *r, uint8_t v)
{
    if (2 * (m->n + 1) > m->cap)
        ptrmap_grow(m);
    for (size_t i = ptr_hash(r) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->keys[i]) {
            m->keys[i] = r;
            m->vals[i] = v;
            m->n++;
            return;
        }
        if (m->keys[i] == r) {
            m->vals[i] = v;
            return;
        }
    }
}

struct rvec {
    const struct cls_rule **v;
    size_t n, cap;
};

static void rvec_push(struct rvec *v, const struct cls_rule *r)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 16;
        v->v = xrealloc(v->v, v->cap * sizeof(*v->v));
    }
    v->v[v->n++] = r;
}

/* A subtable being edited. */
struct bsub {
    const struct cls_subtable *base; /* NULL for a mask new in this build */
    struct flow_key mask;
    uint32_t mask_hash;
    uint8_t nwords;
    uint8_t words[FLOW_KEY_WORDS];
    size_t n;        /* rules in the current state */
    struct rvec ins; /* inserted here (some may have died since) */
    struct rvec del; /* removed from base */
    /* Index of ins by rule hash, for exact lookups: open addressing of positions + 1. */
    uint32_t *idx;
    size_t idx_cap;
};

struct cls_builder {
    const struct classifier *base;
    struct ptrmap states;
    struct bsub **subs;
    size_t nsubs, subs_cap;
    uint32_t *sub_idx; /* mask hash index of subs: positions + 1 */
    size_t sub_idx_cap;
    size_t count;
};

static bool skip_removed(const void *ctx, const struct cls_rule *r)
{
    const struct cls_builder *b = ctx;
    return ptrmap_get(&b->states, r) == ST_REMOVED;
}

static void sub_index_put(struct cls_builder *b, size_t pos);

static void sub_index_grow(struct cls_builder *b)
{
    free(b->sub_idx);
    b->sub_idx_cap = b->sub_idx_cap ? b->sub_idx_cap * 2 : 64;
    b->sub_idx = xcalloc(b->sub_idx_cap, sizeof(*b->sub_idx));
    for (size_t i = 0; i < b->nsubs; i++)
        sub_index_put(b, i);
}

static void sub_index_put(struct cls_builder *b, size_t pos)
{
    size_t i = b->subs[pos]->mask_hash & (b->sub_idx_cap - 1);
    while (b->sub_idx[i])
        i = (i + 1) & (b->sub_idx_cap - 1);
    b->sub_idx[i] = (uint32_t)pos + 1;
}

static struct bsub *find_bsub(const struct cls_builder *b, const struct flow_key *mask,
                              uint32_t mask_hash)
{
    if (!b->sub_idx_cap)
        return NULL;
    for (size_t i = mask_hash & (b->sub_idx_cap - 1);; i = (i + 1) & (b->sub_idx_cap - 1)) {
        uint32_t pos = b->sub_idx[i];
        if (!pos)
            return NULL;
        struct bsub *s = b->subs[pos - 1];
        if (s->mask_hash == mask_hash && mask_equal(&s->mask, mask))
            return s;
    }
}

static struct bsub *get_bsub(struct cls_builder *b, const struct flow_key *mask)
{
    uint32_t mh = hash_mask(mask);
    struct bsub *s = find_bsub(b, mask, mh);
    if (s)
        return s;
    s = xcalloc(1, sizeof(*s));
    s->mask = *mask;
    s->mask_hash = mh;
    s->nwords = (uint8_t)mask_words(mask, s->words);
    s->base = find_subtable(b->base, mask, mh);
    s->n = s->base ? s->base->n_rules : 0;
    if (b->nsubs == b->subs_cap) {
        b->subs_cap = b->subs_cap ? b->subs_cap * 2 : 16;
        b->subs = xrealloc(b->subs, b->subs_cap * sizeof(*b->subs));
    }
    b->subs[b->nsubs++] = s;
    if (2 * b->nsubs > b->sub_idx_cap)
        sub_index_grow(b);
    else
        sub_index_put(b, b->nsubs - 1);
    return s;
}

static void bsub_index_put(struct bsub *s, size_t pos);

static void bsub_index_grow(struct bsub *s)
{
    free(s->idx);
    s->idx_cap = s->idx_cap ? s->idx_cap * 2 : 64;
    s->idx = xcalloc(s->idx_cap, sizeof(*s->idx));
    for (size_t i = 0; i < s->ins.n; i++)
        bsub_index_put(s, i);
}

static void bsub_index_put(struct bsub *s, size_t pos)
{
    size_t i = s->ins.v[pos]->hash & (s->idx_cap - 1);
    while (s->idx[i])
        i = (i + 1) & (s->idx_cap - 1);
    s->idx[i] = (uint32_t)pos + 1;
}

struct cls_builder *cls_builder_new(const struct classifier *base)
{
    struct cls_builder *b = xcalloc(1, sizeof(*b));
    b->base = base;
    b->count = base->n_rules;
    return b;
}

void cls_builder_insert(struct cls_builder *b, struct cls_rule *rule)
{
    struct bsub *s = get_bsub(b, &rule->mask);
    uint64_t masked[FLOW_KEY_WORDS];
    rule->hash = hash_masked(&rule->value, &rule->mask, s->words, s->nwords, masked);
    rule->refcnt = 0;
    rvec_push(&s->ins, rule);
    if (2 * s->ins.n > s->idx_cap)
        bsub_index_grow(s);
    else
        bsub_index_put(s, s->ins.n - 1);
    ptrmap_put(&b->states, rule, ST_INSERTED);
    s->n++;
    b->count++;
}

void cls_builder_remove(struct cls_builder *b, const struct cls_rule *rule)
{
    struct bsub *s = get_bsub(b, &rule->mask);
    if (ptrmap_get(&b->states, rule) == ST_INSERTED) {
        ptrmap_put(&b->states, rule, ST_DEAD);
    } else {
        ptrmap_put(&b->states, rule, ST_REMOVED);
        rvec_push(&s->del, rule);
    }
    s->n--;
    b->count--;
}

bool cls_builder_contains(const struct cls_builder *b, const struct cls_rule *rule)
{
    switch (ptrmap_get(&b->states, rule)) {
    case ST_INSERTED:
        return true;
    case ST_DEAD:
    case ST_REMOVED:
        return false;
    default:
        break;
    }
    const struct cls_subtable *st = find_subtable(b->base, &rule->mask, hash_mask(&rule->mask));
    if (!st)
        return false;
    const struct cls_page *pg = st->pages[rule->hash & ((1u << st->page_bits) - 1)];
    if (!pg)
        return false;
    for (uint32_t i = (rule->hash >> st->page_bits) & pg->slot_mask;; i = (i + 1) & pg->slot_mask) {
        if (!pg->slots[i].rule)
            return false;
        if (pg->slots[i].rule == rule)
            return true;
    }
}

const struct cls_rule *cls_builder_find_exact(const struct cls_builder *b,
                                              const struct flow_key *value,
                                              const struct flow_key *mask, uint32_t priority)
{
    uint32_t mh = hash_mask(mask);
    const struct bsub *s = find_bsub(b, mask, mh);
    const struct cls_subtable *st = s ? s->base : find_subtable(b->base, mask, mh);
    if (st) {
        const struct cls_rule *r = subtable_find_exact(st, value, priority, skip_removed, b);
        if (r)
            return r;
    }
    if (!s || !s->idx_cap)
        return NULL;
    uint64_t masked[FLOW_KEY_WORDS];
    uint32_t h = hash_masked(value, mask, s->words, s->nwords, masked);
    for (size_t i = h & (s->idx_cap - 1);; i = (i + 1) & (s->idx_cap - 1)) {
        uint32_t pos = s->idx[i];
        if (!pos)
            return NULL;
        const struct cls_rule *r = s->ins.v[pos - 1];
        if (r->hash == h && r->priority == priority &&
            value_equal(r, s->words, s->nwords, masked) && ptrmap_get(&b->states, r) == ST_INSERTED)
            return r;
    }
}

void cls_builder_foreach(const struct cls_builder *b,
                         void (*fn)(const struct cls_rule *r, void *arg), void *arg)
{
    for (unsigned i = 0; i < b->base->n_subtables; i++)
        subtable_foreach(b->base->subtables[i], fn, arg, skip_removed, b);
    for (size_t i = 0; i < b->nsubs; i++) {
        const struct bsub *s = b->subs[i];
        for (size_t j = 0; j < s->ins.n; j++)
            if (ptrmap_get(&b->states, s->ins.v[j]) == ST_INSERTED)
                fn(s->ins.v[j], arg);
    }
}

size_t cls_builder_count(const struct cls_builder *b)
{
    return b->count;
}

static void bsub_free(struct bsub *s)
{
    free(s->ins.v);
    free(s->del.v);
    free(s->idx);
    free(s);
}

static void builder_free(struct cls_builder *b)
{
    for (size_t i = 0; i < b->nsubs; i++)
        bsub_free(b->subs[i]);
    free(b->subs);
    free(b->sub_idx);
    free(b->states.keys);
    free(b->states.vals);
    free(b);
}

void cls_builder_abort(struct cls_builder *b)
{
    if (!b)
        return;
    /* Inserted rules were never published: nothing else refers to them. */
    for (size_t i = 0; i < b->nsubs; i++) {
        struct bsub *s = b->subs[i];
        for (size_t j = 0; j < s->ins.n; j++)
            if (b->base->release)
                b->base->release((struct cls_rule *)s->ins.v[j]);
    }
    builder_free(b);
}

struct paged {
    uint32_t page;
    const struct cls_rule *rule;
};

static int paged_cmp(const void *a, const void *b)
{
    const struct paged *x = a, *y = b;
    if (x->page != y->page)
        return x->page < y->page ? -1 : 1;
    if (x->rule != y->rule)
        return (uintptr_t)x->rule < (uintptr_t)y->rule ? -1 : 1;
    return 0;
}

static struct paged *to_paged(const struct rvec *v, unsigned page_bits, size_t *n)
{
    struct paged *p = xmalloc(v->n * sizeof(*p));
    for (size_t i = 0; i < v->n; i++) {
        p[i].page = v->v[i]->hash & ((1u << page_bits) - 1);
        p[i].rule = v->v[i];
    }
    qsort(p, v->n, sizeof(*p), paged_cmp);
    *n = v->n;
    return p;
}

static bool in_sorted(const struct paged *p, size_t n, const struct cls_rule *r)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (p[mid].rule == r)
            return true;
        if ((uintptr_t)p[mid].rule < (uintptr_t)r)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* Builds one page of the new subtable from the base page (minus removals) and insertions. */
static struct cls_page *rebuild_page(const struct cls_page *old, const struct paged *del,
                                     size_t ndel, const struct paged *ins, size_t nins,
                                     unsigned page_bits, struct rvec *scratch)
{
    scratch->n = 0;
    if (old)
        for (uint32_t i = 0; i <= old->slot_mask; i++) {
            const struct cls_rule *r = old->slots[i].rule;
            if (r && !in_sorted(del, ndel, r))
                rvec_push(scratch, r);
        }
    for (size_t i = 0; i < nins; i++)
        rvec_push(scratch, ins[i].rule);
    return page_build(scratch->v, scratch->n, page_bits);
}

/* All rules of a base subtable, minus removals, appended to out. */
static void collect_base(const struct cls_subtable *st, const struct cls_builder *b,
                         struct rvec *out)
{
    for (size_t p = 0; st && p < (1u << st->page_bits); p++) {
        const struct cls_page *pg = st->pages[p];
        for (uint32_t i = 0; pg && i <= pg->slot_mask; i++) {
            const struct cls_rule *r = pg->slots[i].rule;
            if (r && ptrmap_get(&b->states, r) != ST_REMOVED)
                rvec_push(out, r);
        }
    }
}

static void subtable_finish(struct cls_subtable *st)
{
    size_t npages = (size_t)1 << st->page_bits;
    st->dir = xcalloc(npages, sizeof(*st->dir));
    st->max_rank = 0;
    for (size_t p = 0; p < npages; p++) {
        const struct cls_page *pg = st->pages[p];
        if (!pg)
            continue;
        st->dir[p].slots = pg->slots;
        st->dir[p].max_rank = pg->max_rank;
        st->dir[p].slot_mask = pg->slot_mask;
        if (pg->max_rank > st->max_rank)
            st->max_rank = pg->max_rank;
    }
}

static struct cls_subtable *build_subtable(struct cls_builder *b, struct bsub *s,
                                           const struct rvec *live_ins)
{
    const struct cls_subtable *base = s->base;
    unsigned bits = base ? base->page_bits : 0;
    while (bits < MAX_PAGE_BITS && s->n > ((size_t)PAGE_TARGET << bits))
        bits++;
    struct cls_subtable *st = xcalloc(1, sizeof(*st));
    st->refcnt = 1;
    st->mask = s->mask;
    st->mask_hash = s->mask_hash;
    st->nwords = s->nwords;
    memcpy(st->words, s->words, sizeof(st->words));
    st->n_rules = s->n;
    st->page_bits = (uint8_t)bits;
    size_t npages = (size_t)1 << bits;
    st->pages = xcalloc(npages, sizeof(*st->pages));

    struct rvec scratch = {0};
    if (base && bits == base->page_bits) {
        /* Same directory: share every page no change falls into. */
        size_t nins, ndel;
        struct paged *ins = to_paged(live_ins, bits, &nins);
        struct paged *del = to_paged(&s->del, bits, &ndel);
        for (size_t p = 0; p < npages; p++) {
            st->pages[p] = base->pages[p];
            if (st->pages[p])
                st->pages[p]->refcnt++;
        }
        size_t i = 0, d = 0;
        while (i < nins || d < ndel) {
            uint32_t page = UINT32_MAX;
            if (i < nins)
                page = ins[i].page;
            if (d < ndel && del[d].page < page)
                page = del[d].page;
            size_t i0 = i, d0 = d;
            while (i < nins && ins[i].page == page)
                i++;
            while (d < ndel && del[d].page == page)
                d++;
            struct cls_page *np =
                rebuild_page(base->pages[page], del + d0, d - d0, ins + i0, i - i0, bits, &scratch);
            page_unref(st->pages[page], b->base->release);
            st->pages[page] = np;
        }
        free(ins);
        free(del);
    } else {
        /* A new or resized directory: distribute every rule afresh. */
        struct rvec all = {0};
        collect_base(base, b, &all);
        for (size_t i = 0; i < live_ins->n; i++)
            rvec_push(&all, live_ins->v[i]);
        size_t n;
        struct paged *p = to_paged(&all, bits, &n);
        for (size_t i = 0; i < n;) {
            size_t j = i;
            scratch.n = 0;
            while (j < n && p[j].page == p[i].page)
                rvec_push(&scratch, p[j++].rule);
            st->pages[p[i].page] = page_build(scratch.v, scratch.n, bits);
            i = j;
        }
        free(p);
        free(all.v);
    }
    free(scratch.v);
    subtable_finish(st);
    return st;
}

static int subtable_rank_cmp(const void *a, const void *b)
{
    const struct cls_subtable *x = *(const struct cls_subtable *const *)a;
    const struct cls_subtable *y = *(const struct cls_subtable *const *)b;
    if (x->max_rank != y->max_rank)
        return x->max_rank > y->max_rank ? -1 : 1;
    return 0;
}

struct classifier *cls_builder_finish(struct cls_builder *b)
{
    const struct classifier *base = b->base;
    struct classifier *c = xcalloc(1, sizeof(*c));
    c->release = base->release;
    c->subtables = xmalloc((base->n_subtables + b->nsubs) * sizeof(*c->subtables));

    /* Base subtables nobody touched are shared as they are. */
    for (unsigned i = 0; i < base->n_subtables; i++) {
        struct cls_subtable *st = base->subtables[i];
        if (find_bsub(b, &st->mask, st->mask_hash))
            continue;
        st->refcnt++;
        c->subtables[c->n_subtables++] = st;
        c->n_rules += st->n_rules;
    }

    struct rvec live = {0};
    for (size_t i = 0; i < b->nsubs; i++) {
        struct bsub *s = b->subs[i];
        live.n = 0;
        for (size_t j = 0; j < s->ins.n; j++) {
            if (ptrmap_get(&b->states, s->ins.v[j]) == ST_INSERTED)
                rvec_push(&live, s->ins.v[j]);
            else if (base->release)
                base->release((struct cls_rule *)s->ins.v[j]);
        }
        if (s->n == 0)
            continue; /* the subtable is gone */
        if (!live.n && !s->del.n) {
            struct cls_subtable *st = (struct cls_subtable *)s->base;
            st->refcnt++;
            c->subtables[c->n_subtables++] = st;
            c->n_rules += st->n_rules;
            continue;
        }
        struct cls_subtable *st = build_subtable(b, s, &live);
        c->subtables[c->n_subtables++] = st;
        c->n_rules += st->n_rules;
    }
    free(live.v);
    qsort(c->subtables, c->n_subtables, sizeof(*c->subtables), subtable_rank_cmp);
    builder_free(b);
    return c;
}

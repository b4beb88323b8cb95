/* test_classifier.c - the tuple space classifier against a brute-force linear reference on
 * random rule sets with overlapping masks and equal priorities, across random adds and deletes. */
#include <stdlib.h>

#include "check.h"
#include "classifier.h"

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static unsigned rn(unsigned n)
{
    return (unsigned)(rnd() % n);
}

struct trule {
    struct cls_rule cr;
    unsigned ref_index; /* position in the reference array while live */
};

static size_t released;

static void release(struct cls_rule *r)
{
    released++;
    free(r);
}

/* The reference: live rules in an array, best found by scanning all. */
struct ref {
    struct trule **v;
    size_t n, cap;
};

static void ref_add(struct ref *ref, struct trule *r)
{
    if (ref->n == ref->cap) {
        ref->cap = ref->cap ? ref->cap * 2 : 256;
        ref->v = realloc(ref->v, ref->cap * sizeof(*ref->v));
    }
    r->ref_index = (unsigned)ref->n;
    ref->v[ref->n++] = r;
}

static void ref_del(struct ref *ref, struct trule *r)
{
    size_t i = r->ref_index;
    ref->v[i] = ref->v[--ref->n];
    ref->v[i]->ref_index = (unsigned)i;
}

static struct ref ref_copy(const struct ref *ref)
{
    struct ref c = {malloc(ref->n * sizeof(*ref->v) + 1), ref->n, ref->n};
    memcpy(c.v, ref->v, ref->n * sizeof(*ref->v));
    return c;
}

static const struct cls_rule *ref_lookup(const struct ref *ref, const struct flow_key *k)
{
    const struct cls_rule *best = NULL;
    for (size_t i = 0; i < ref->n; i++) {
        const struct cls_rule *r = &ref->v[i]->cr;
        if (!flowkey_matches(k, &r->value, &r->mask))
            continue;
        if (!best || r->priority > best->priority ||
            (r->priority == best->priority && r->seq < best->seq))
            best = r;
    }
    return best;
}

/* Keys come from small domains so that rules overlap and packets hit them often. */
static void random_key(struct flow_key *k)
{
    memset(k, 0, sizeof(*k));
    k->in_port = rn(4);
    k->dl_type = rn(4) ? 0x0800 : 0x86dd;
    k->vlan_tci = rn(3) ? 0 : (uint16_t)(FLOW_VLAN_PRESENT | rn(4) | rn(8) << 13);
    k->dl_src[5] = (uint8_t)rn(4);
    k->dl_dst[0] = (uint8_t)(rn(2) ? 1 : 0);
    k->dl_dst[5] = (uint8_t)rn(4);
    k->nw_src = 0x0a000000u | rn(4) << 8 | rn(4);
    k->nw_dst = 0x0a000000u | rn(4) << 16 | rn(4);
    k->nw_proto = rn(2) ? IPPROTO_NUM_TCP : IPPROTO_NUM_UDP;
    k->nw_tos = (uint8_t)(rn(4) << 2);
    k->tp_src = (uint16_t)rn(8);
    k->tp_dst = (uint16_t)(rn(2) ? 80 : 1024 + rn(8));
    k->tcp_flags = (uint16_t)rn(0x40);
    k->ipv6_src[0] = 0x20;
    k->ipv6_src[15] = (uint8_t)rn(4);
    k->ipv6_dst[1] = (uint8_t)rn(4);
    k->ipv6_label = rn(4);
}

static uint32_t prefix32(unsigned bits)
{
    return bits ? ~0u << (32 - bits) : 0;
}

static void random_mask(struct flow_key *m)
{
    memset(m, 0, sizeof(*m));
    if (rn(3) == 0)
        m->in_port = ~0u;
    if (rn(2))
        m->dl_type = 0xffff;
    switch (rn(4)) {
    case 0:
        m->vlan_tci = 0x1fff;
        break;
    case 1:
        m->vlan_tci = 0xffff;
        break;
    }
    if (rn(4) == 0)
        memset(m->dl_src, 0xff, 6);
    if (rn(4) == 0)
        m->dl_dst[0] = 0x01;
    if (rn(2))
        m->nw_src = prefix32(rn(33));
    if (rn(2))
        m->nw_dst = prefix32(rn(33));
    if (rn(3) == 0)
        m->nw_proto = 0xff;
    if (rn(4) == 0)
        m->nw_tos = 0xfc;
    if (rn(3) == 0)
        m->tp_src = (uint16_t)(rn(2) ? 0xffff : 0xfffc);
    if (rn(3) == 0)
        m->tp_dst = (uint16_t)(rn(2) ? 0xffff : 0xff00);
    if (rn(5) == 0)
        m->tcp_flags = (uint16_t)rn(0x40);
    if (rn(5) == 0)
        m->ipv6_src[15] = 0xff;
    if (rn(6) == 0)
        m->ipv6_label = 0xfffff;
}

static uint64_t next_seq = 1;

static struct trule *random_rule(const struct flow_key *masks, unsigned nmasks)
{
    struct trule *r = calloc(1, sizeof(*r));
    struct flow_key k;
    random_key(&k);
    r->cr.mask = masks[rn(nmasks)];
    for (int i = 0; i < FLOW_KEY_WORDS; i++)
        r->cr.value.w[i] = k.w[i] & r->cr.mask.w[i];
    r->cr.priority = rn(5); /* few priorities: many ties */
    r->cr.seq = next_seq++;
    return r;
}

static unsigned compare_lookups(const struct classifier *c, const struct ref *ref, unsigned n)
{
    unsigned mismatches = 0;
    for (unsigned i = 0; i < n; i++) {
        struct flow_key k;
        random_key(&k);
        const struct cls_rule *want = ref_lookup(ref, &k);
        const struct cls_rule *got = cls_lookup(c, &k);
        if (want != got) {
            if (mismatches++ < 5)
                fprintf(stderr, "mismatch: want seq %llu prio %d, got seq %llu prio %d\n",
                        want ? (unsigned long long)want->seq : 0, want ? (int)want->priority : -1,
                        got ? (unsigned long long)got->seq : 0, got ? (int)got->priority : -1);
        }
    }
    return mismatches;
}

static void count_fn(const struct cls_rule *r, void *arg)
{
    (void)r;
    (*(size_t *)arg)++;
}

static unsigned long lookups_done;

/* Random rule sets through many versions: adds, deletes, add-then-delete in one build. */
static void test_random_versions(void)
{
    struct flow_key masks[40];
    for (int i = 0; i < 40; i++)
        random_mask(&masks[i]);
    struct ref ref = {0};
    struct classifier *c = cls_create(release);
    struct cls_builder *b = cls_builder_new(c);
    for (int i = 0; i < 2000; i++) {
        struct trule *r = random_rule(masks, 40);
        cls_builder_insert(b, &r->cr);
        ref_add(&ref, r);
    }
    struct classifier *next = cls_builder_finish(b);
    cls_free(c);
    c = next;
    CHECK_EQ(cls_count(c), 2000);
    CHECK(cls_subtable_count(c) <= 40);
    CHECK_EQ(compare_lookups(c, &ref, 20000), 0);
    lookups_done += 20000;

    for (int round = 0; round < 30; round++) {
        struct ref old_ref = ref_copy(&ref);
        b = cls_builder_new(c);
        unsigned nadd = rn(300), ndel = rn(300), nboth = rn(20);
        for (unsigned i = 0; i < ndel && ref.n; i++) {
            struct trule *r = ref.v[rn((unsigned)ref.n)];
            CHECK(cls_builder_contains(b, &r->cr));
            cls_builder_remove(b, &r->cr);
            CHECK(!cls_builder_contains(b, &r->cr));
            ref_del(&ref, r);
        }
        for (unsigned i = 0; i < nadd; i++) {
            struct trule *r = random_rule(masks, 40);
            cls_builder_insert(b, &r->cr);
            ref_add(&ref, r);
            CHECK(cls_builder_find_exact(b, &r->cr.value, &r->cr.mask, r->cr.priority) != NULL);
        }
        for (unsigned i = 0; i < nboth; i++) {
            struct trule *r = random_rule(masks, 40);
            cls_builder_insert(b, &r->cr);
            CHECK(cls_builder_contains(b, &r->cr));
            cls_builder_remove(b, &r->cr);
            CHECK(!cls_builder_contains(b, &r->cr));
        }
        CHECK_EQ(cls_builder_count(b), ref.n);
        size_t seen = 0;
        cls_builder_foreach(b, count_fn, &seen);
        CHECK_EQ(seen, ref.n);
        next = cls_builder_finish(b);
        CHECK_EQ(cls_count(next), ref.n);
        CHECK_EQ(compare_lookups(next, &ref, 3500), 0);
        /* The previous version is untouched by the new one. */
        CHECK_EQ(compare_lookups(c, &old_ref, 1000), 0);
        lookups_done += 4500;
        cls_free(c);
        c = next;
        free(old_ref.v);
        seen = 0;
        cls_foreach(c, count_fn, &seen);
        CHECK_EQ(seen, ref.n);
    }

    /* Subtables are visited in rank order; every one is still consistent. */
    for (size_t i = 0; i < ref.n; i++) {
        const struct cls_rule *r = &ref.v[i]->cr;
        CHECK(cls_find_exact(c, &r->value, &r->mask, r->priority) != NULL);
    }
    size_t before = released;
    size_t live = ref.n;
    cls_free(c);
    CHECK_EQ(released - before, live);
    free(ref.v);
}

/* One mask, many rules: the directory grows, and single changes share pages. */
static void test_large_subtable(void)
{
    struct flow_key mask = {0};
    mask.dl_type = 0xffff;
    mask.nw_dst = ~0u;
    struct classifier *c = cls_create(release);
    struct cls_builder *b = cls_builder_new(c);
    enum { N = 50000 };
    struct trule **rules = calloc(N, sizeof(*rules));
    for (unsigned i = 0; i < N; i++) {
        struct trule *r = calloc(1, sizeof(*r));
        r->cr.mask = mask;
        r->cr.value.dl_type = 0x0800;
        r->cr.value.nw_dst = 0x0a000000u + i;
        r->cr.priority = 100;
        r->cr.seq = next_seq++;
        rules[i] = r;
        cls_builder_insert(b, &r->cr);
    }
    struct classifier *v1 = cls_builder_finish(b);
    cls_free(c);
    CHECK_EQ(cls_count(v1), N);
    CHECK_EQ(cls_subtable_count(v1), 1);
    unsigned bad = 0;
    for (unsigned i = 0; i < N; i++) {
        struct flow_key k = {0};
        k.dl_type = 0x0800;
        k.nw_dst = 0x0a000000u + i;
        k.tp_dst = (uint16_t)i; /* not in the mask */
        if (cls_lookup(v1, &k) != &rules[i]->cr)
            bad++;
    }
    CHECK_EQ(bad, 0);
    lookups_done += N;
    struct flow_key miss = {0};
    miss.dl_type = 0x0800;
    miss.nw_dst = 0x0b000000u;
    CHECK(cls_lookup(v1, &miss) == NULL);

    /* A higher-priority wildcard rule overrides; a delete of one exact rule exposes nothing. */
    b = cls_builder_new(v1);
    struct trule *wild = calloc(1, sizeof(*wild));
    wild->cr.mask.dl_type = 0xffff;
    wild->cr.value.dl_type = 0x0800;
    wild->cr.priority = 200;
    wild->cr.seq = next_seq++;
    cls_builder_insert(b, &wild->cr);
    cls_builder_remove(b, &rules[7]->cr);
    struct classifier *v2 = cls_builder_finish(b);
    CHECK_EQ(cls_count(v2), N);
    CHECK_EQ(cls_subtable_count(v2), 2);
    struct flow_key k = {0};
    k.dl_type = 0x0800;
    k.nw_dst = 0x0a000000u + 5;
    CHECK(cls_lookup(v2, &k) == &wild->cr);
    CHECK(cls_lookup(v1, &k) == &rules[5]->cr);
    k.dl_type = 0x0806;
    CHECK(cls_lookup(v2, &k) == NULL);

    /* Removing the wildcard again restores exact answers, minus the deleted rule. */
    b = cls_builder_new(v2);
    cls_builder_remove(b, &wild->cr);
    struct classifier *v3 = cls_builder_finish(b);
    k.dl_type = 0x0800;
    CHECK(cls_lookup(v3, &k) == &rules[5]->cr);
    k.nw_dst = 0x0a000000u + 7;
    CHECK(cls_lookup(v3, &k) == NULL);
    CHECK(cls_lookup(v1, &k) == &rules[7]->cr);
    size_t before = released;
    cls_free(v1); /* rules[7] is only in v1 */
    CHECK_EQ(released - before, 1);
    cls_free(v2); /* wild only in v2 */
    CHECK_EQ(released - before, 2);
    cls_free(v3);
    CHECK_EQ(released - before, N + 1);
    free(rules);
}

/* Ties: equal priority, overlapping masks: the earlier rule wins, whatever the subtable. */
static void test_ties(void)
{
    struct classifier *c = cls_create(release);
    struct cls_builder *b = cls_builder_new(c);
    struct trule *a = calloc(1, sizeof(*a)), *bb = calloc(1, sizeof(*bb));
    a->cr.mask.nw_dst = 0xffffff00;
    a->cr.value.nw_dst = 0x0a000100;
    a->cr.priority = 10;
    a->cr.seq = 50;
    bb->cr.mask.nw_src = ~0u;
    bb->cr.value.nw_src = 0x01020304;
    bb->cr.priority = 10;
    bb->cr.seq = 40;
    cls_builder_insert(b, &a->cr);
    cls_builder_insert(b, &bb->cr);
    struct classifier *v = cls_builder_finish(b);
    cls_free(c);
    struct flow_key k = {0};
    k.nw_dst = 0x0a000105;
    k.nw_src = 0x01020304;
    CHECK(cls_lookup(v, &k) == &bb->cr);
    k.nw_src = 0x01020305;
    CHECK(cls_lookup(v, &k) == &a->cr);
    /* Identical match, different priority, same subtable. */
    b = cls_builder_new(v);
    struct trule *hi = calloc(1, sizeof(*hi));
    hi->cr = a->cr;
    hi->cr.priority = 11;
    hi->cr.seq = 60;
    cls_builder_insert(b, &hi->cr);
    struct classifier *v2 = cls_builder_finish(b);
    CHECK(cls_lookup(v2, &k) == &hi->cr);
    CHECK(cls_find_exact(v2, &a->cr.value, &a->cr.mask, 10) == &a->cr);
    CHECK(cls_find_exact(v2, &a->cr.value, &a->cr.mask, 11) == &hi->cr);
    CHECK(cls_find_exact(v2, &a->cr.value, &a->cr.mask, 12) == NULL);
    cls_free(v);
    cls_free(v2);
}

/* An abandoned build releases what it was given and leaves the base as it was. */
static void test_abort(void)
{
    struct classifier *c = cls_create(release);
    struct cls_builder *b = cls_builder_new(c);
    size_t before = released;
    for (int i = 0; i < 10; i++) {
        struct trule *r = calloc(1, sizeof(*r));
        r->cr.mask.tp_dst = 0xffff;
        r->cr.value.tp_dst = (uint16_t)i;
        r->cr.seq = next_seq++;
        cls_builder_insert(b, &r->cr);
    }
    cls_builder_abort(b);
    CHECK_EQ(released - before, 10);
    CHECK_EQ(cls_count(c), 0);
    struct flow_key k = {0};
    CHECK(cls_lookup(c, &k) == NULL);
    cls_free(c);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        rng_state = strtoull(argv[1], NULL, 0) | 1;
    fprintf(stderr, "seed 0x%llx\n", (unsigned long long)rng_state);
    test_ties();
    test_abort();
    test_random_versions();
    test_large_subtable();
    fprintf(stderr, "%lu lookups compared\n", lookups_done);
    CHECK(lookups_done >= 100000);
    return check_exit();
}

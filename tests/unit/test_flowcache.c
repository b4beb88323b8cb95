/* test_flowcache.c - the exact-match cache: answers equal the classifier's, hits after the
 * first packet, revalidation after a new table version (even once the old one is freed),
 * eviction beyond capacity, cached misses, flush. */
#include <stdlib.h>

#include "check.h"
#include "flowcache.h"

static const uint64_t SEC = 1000000000ull;

static void add_rule(struct flow_edit *e, uint32_t dst, unsigned prefix, uint16_t prio,
                     uint32_t port)
{
    struct flow_mod fm;
    flow_mod_init(&fm, FLOW_CMD_ADD);
    fm.mask.dl_type = 0xffff;
    fm.value.dl_type = 0x0800;
    if (prefix) {
        fm.mask.nw_dst = ~0u << (32 - prefix);
        fm.value.nw_dst = dst & fm.mask.nw_dst;
    }
    fm.priority = prio;
    struct flow_action a = {.type = FA_OUTPUT, .arg.port = port};
    fm.actions = flow_actions_new(&a, 1);
    flowtable_edit_apply(e, &fm, SEC, NULL, 0);
    flow_mod_release(&fm);
}

static struct flow_key key(uint32_t dst, uint16_t sport)
{
    struct flow_key k;
    memset(&k, 0, sizeof(k));
    k.dl_type = 0x0800;
    k.nw_dst = dst;
    k.nw_proto = 6;
    k.tp_src = sport;
    return k;
}

int main(void)
{
    struct flow_table *t0 = flowtable_create();
    struct flow_edit *e = flowtable_edit_begin(t0);
    for (uint32_t i = 0; i < 256; i++)
        add_rule(e, 0x0a000000 | i << 8, 24, 10, i);
    add_rule(e, 0x0a000000, 8, 5, 1000);
    struct flow_table *t1 = flowtable_edit_commit(e);
    flowtable_free(t0);

    struct flowcache *c = flowcache_create(1024);
    CHECK(c != NULL);
    CHECK_EQ(flowcache_capacity(c), 1024);
    struct flowcache *tiny = flowcache_create(1);
    CHECK_EQ(flowcache_capacity(tiny), 4);
    flowcache_destroy(tiny);

    /* 500 flows fit: first pass misses, second pass hits, answers equal the classifier's. */
    unsigned wrong = 0;
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t i = 0; i < 500; i++) {
            struct flow_key k = key(0x0a000000 | (i % 300) << 8 | 7, (uint16_t)i);
            if (flowcache_classify(c, t1, &k) != flowtable_lookup(t1, &k))
                wrong++;
        }
    CHECK_EQ(wrong, 0);
    struct flowcache_stats st = flowcache_get_stats(c);
    CHECK(st.misses >= 500 && st.misses <= 550); /* first sight, plus a few evicted */
    CHECK(st.hits >= 450);                       /* a few may have been evicted from a full set */
    CHECK_EQ(st.hits + st.misses + st.revalidated, 1000);

    /* "No rule" is an answer too, and is cached. */
    struct flow_key nomatch = key(0x0b000001, 1);
    CHECK(flowcache_classify(c, t1, &nomatch) == NULL);
    uint64_t hits = flowcache_get_stats(c).hits;
    CHECK(flowcache_classify(c, t1, &nomatch) == NULL);
    CHECK_EQ(flowcache_get_stats(c).hits, hits + 1);

    /* A new version: a catch-all above everything. Cached entries are revalidated, never used
     * as they were, and never read through once the old version is freed. */
    e = flowtable_edit_begin(t1);
    add_rule(e, 0, 0, 100, 4242);
    struct flow_table *t2 = flowtable_edit_commit(e);
    flowtable_free(t1);
    wrong = 0;
    for (uint32_t i = 0; i < 500; i++) {
        struct flow_key k = key(0x0a000000 | (i % 300) << 8 | 7, (uint16_t)i);
        const struct flow_rule *r = flowcache_classify(c, t2, &k);
        if (!r || r->actions->a[0].arg.port != 4242)
            wrong++;
    }
    CHECK_EQ(wrong, 0);
    st = flowcache_get_stats(c);
    CHECK(st.revalidated >= 450);
    const struct flow_rule *r = flowcache_classify(c, t2, &nomatch);
    CHECK(r != NULL && r->actions->a[0].arg.port == 4242);

    /* find/insert pieces. */
    struct flow_key k = key(0x0a000001, 9);
    uint32_t h = flowkey_hash(&k);
    const struct flow_rule *found = NULL;
    flowcache_flush(c);
    CHECK(!flowcache_find(c, t2->version, &k, h, &found));
    flowcache_insert(c, t2->version, &k, h, flowtable_lookup(t2, &k));
    CHECK(flowcache_find(c, t2->version, &k, h, &found));
    CHECK(found == flowtable_lookup(t2, &k));
    CHECK(!flowcache_find(c, t2->version + 1, &k, h, &found));
    struct flow_key k_other = k;
    k_other.tp_dst = 1; /* one differing field is another flow */
    CHECK(!flowcache_find(c, t2->version, &k_other, flowkey_hash(&k_other), &found));

    /* Far more flows than entries: still right answers. */
    wrong = 0;
    for (uint32_t i = 0; i < 20000; i++) {
        struct flow_key kk = key(0x0a000000 | (i & 0xffff), (uint16_t)(i * 7));
        if (flowcache_classify(c, t2, &kk) != flowtable_lookup(t2, &kk))
            wrong++;
    }
    CHECK_EQ(wrong, 0);

    flowcache_destroy(c);
    flowtable_free(t2);
    return check_exit();
}

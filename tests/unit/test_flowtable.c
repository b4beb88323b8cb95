/* test_flowtable.c - flow table versions with ovs-ofctl semantics: add replaces, modify keeps
 * counters, strict and non-strict selection, cookie and out_port filters, timeouts, limits. */
#include <stdlib.h>

#include "check.h"
#include "flowtable.h"

static const uint64_t SEC = 1000000000ull;

/* ip,nw_dst=dst/prefix with priority and actions=output:port */
static void mod_ip_dst(struct flow_mod *fm, enum flow_cmd cmd, uint32_t dst, unsigned prefix,
                       uint16_t priority, uint32_t port)
{
    flow_mod_init(fm, cmd);
    fm->mask.dl_type = 0xffff;
    fm->value.dl_type = 0x0800;
    if (prefix) {
        fm->mask.nw_dst = ~0u << (32 - prefix);
        fm->value.nw_dst = dst & fm->mask.nw_dst;
    }
    fm->priority = priority;
    if (cmd == FLOW_CMD_ADD || cmd == FLOW_CMD_MODIFY || cmd == FLOW_CMD_MODIFY_STRICT) {
        struct flow_action a = {.type = FA_OUTPUT, .arg.port = port};
        fm->actions = flow_actions_new(&a, 1);
    }
}

static long apply(struct flow_table **t, struct flow_mod *fm, uint64_t now)
{
    struct flow_edit *e = flowtable_edit_begin(*t);
    char err[128] = "";
    long n = flowtable_edit_apply(e, fm, now, err, sizeof(err));
    struct flow_table *next = flowtable_edit_commit(e);
    CHECK(next->version > (*t)->version);
    flowtable_free(*t);
    *t = next;
    flow_mod_release(fm);
    return n;
}

static struct flow_key ip_key(uint32_t dst)
{
    struct flow_key k;
    memset(&k, 0, sizeof(k));
    k.dl_type = 0x0800;
    k.nw_dst = dst;
    return k;
}

static uint32_t out_port(const struct flow_rule *r)
{
    return r && r->actions->n && r->actions->a[0].type == FA_OUTPUT ? r->actions->a[0].arg.port
                                                                    : 9999;
}

static void test_default_and_add(void)
{
    struct flow_table *t = flowtable_create_default(1 * SEC);
    CHECK_EQ(flowtable_count(t), 1);
    struct flow_key k = ip_key(0x0a000001);
    const struct flow_rule *r = flowtable_lookup(t, &k);
    CHECK(r != NULL);
    CHECK_EQ(r->cr.priority, 0);
    CHECK_EQ(r->actions->n, 1);
    CHECK_EQ(r->actions->a[0].type, FA_NORMAL);

    struct flow_mod fm;
    mod_ip_dst(&fm, FLOW_CMD_ADD, 0x0a000000, 8, 100, 2);
    CHECK_EQ(apply(&t, &fm, 2 * SEC), 1);
    r = flowtable_lookup(t, &k);
    CHECK_EQ(out_port(r), 2);
    flow_rule_hit(r, 100, 3 * SEC);
    flow_rule_hit(r, 50, 4 * SEC);
    CHECK_EQ(flow_rule_packets(r), 2);
    CHECK_EQ(flow_rule_bytes(r), 150);
    CHECK_EQ(flow_rule_used(r), 4 * SEC);

    /* Same match and priority: replaced, counters start over. */
    mod_ip_dst(&fm, FLOW_CMD_ADD, 0x0a000000, 8, 100, 3);
    CHECK_EQ(apply(&t, &fm, 5 * SEC), 1);
    CHECK_EQ(flowtable_count(t), 2);
    r = flowtable_lookup(t, &k);
    CHECK_EQ(out_port(r), 3);
    CHECK_EQ(flow_rule_packets(r), 0);
    CHECK_EQ(r->stats->created_ns, 5 * SEC);

    /* Same match, other priority: a second rule. */
    mod_ip_dst(&fm, FLOW_CMD_ADD, 0x0a000000, 8, 101, 4);
    apply(&t, &fm, 6 * SEC);
    CHECK_EQ(flowtable_count(t), 3);
    CHECK_EQ(out_port(flowtable_lookup(t, &k)), 4);

    /* Equal priority, overlapping: the earlier rule wins. */
    mod_ip_dst(&fm, FLOW_CMD_ADD, 0x0a000001, 32, 101, 5);
    apply(&t, &fm, 7 * SEC);
    CHECK_EQ(out_port(flowtable_lookup(t, &k)), 4);
    flowtable_free(t);
}

static void test_modify(void)
{
    struct flow_table *t = flowtable_create();
    struct flow_mod fm;
    mod_ip_dst(&fm, FLOW_CMD_ADD, 0x0a000000, 8, 10, 1);
    fm.new_cookie = 0x11;
    apply(&t, &fm, 1 * SEC);
    mod_ip_dst(&fm, FLOW_CMD_ADD, 0x0a010000, 16, 20, 1);
    fm.new_cookie = 0x22;
    apply(&t, &fm, 1 * SEC);
    mod_ip_dst(&fm, FLOW_CMD_ADD, 0x0b000000, 8, 30, 1);
    apply(&t, &fm, 1 * SEC);
    struct flow_key k1 = ip_key(0x0a010203), k2 = ip_key(0x0a020203), k3 = ip_key(0x0b000001);
    const struct flow_rule *r = flowtable_lookup(t, &k1);
    flow_rule_hit(r, 60, 2 * SEC);
    uint64_t seq = r->cr.seq;
    struct flow_table *old = t;
    t = NULL;

    /* Non-strict modify of 10.0.0.0/8 selects both 10/8 and 10.1/16 (more specific). */
    struct flow_edit *e = flowtable_edit_begin(old);
    mod_ip_dst(&fm, FLOW_CMD_MODIFY, 0x0a000000, 8, 0, 7);
    CHECK_EQ(flowtable_edit_apply(e, &fm, 3 * SEC, NULL, 0), 2);
    flow_mod_release(&fm);
    t = flowtable_edit_commit(e);
    r = flowtable_lookup(t, &k1);
    CHECK_EQ(out_port(r), 7);
    CHECK_EQ(r->cr.priority, 20); /* priority of existing rules is not changed */
    CHECK_EQ(r->cr.seq, seq);
    CHECK_EQ(r->cookie, 0x22);
    CHECK_EQ(flow_rule_packets(r), 1); /* counters survive */
    CHECK_EQ(r->stats->created_ns, 1 * SEC);
    CHECK_EQ(r->modified_ns, 3 * SEC);
    CHECK_EQ(out_port(flowtable_lookup(t, &k2)), 7);
    CHECK_EQ(out_port(flowtable_lookup(t, &k3)), 1);
    /* The old version still answers as before, and shares the counters. */
    const struct flow_rule *old_r = flowtable_lookup(old, &k1);
    CHECK_EQ(out_port(old_r), 1);
    CHECK(old_r->stats == r->stats);
    flow_rule_hit(old_r, 40, 4 * SEC);
    CHECK_EQ(flow_rule_bytes(r), 100);
    flowtable_free(old);
    CHECK_EQ(flow_rule_packets(r), 2);

    /* Strict modify needs the exact match and priority. */
    mod_ip_dst(&fm, FLOW_CMD_MODIFY_STRICT, 0x0a000000, 8, 11, 8);
    fm.cookie_mask = ~0ull; /* with a cookie filter nothing is added on a miss */
    CHECK_EQ(apply(&t, &fm, 5 * SEC), 0);
    CHECK_EQ(flowtable_count(t), 3);
    mod_ip_dst(&fm, FLOW_CMD_MODIFY_STRICT, 0x0a000000, 8, 10, 8);
    fm.set_cookie = true;
    fm.new_cookie = 0x99;
    CHECK_EQ(apply(&t, &fm, 5 * SEC), 1);
    CHECK_EQ(out_port(flowtable_lookup(t, &k2)), 8);
    CHECK_EQ(flowtable_lookup(t, &k2)->cookie, 0x99);
    CHECK_EQ(out_port(flowtable_lookup(t, &k1)), 7);

    /* Cookie filter: only rules whose cookie matches. */
    mod_ip_dst(&fm, FLOW_CMD_MODIFY, 0, 0, 0, 9);
    fm.cookie_match = 0x22;
    fm.cookie_mask = 0xff;
    CHECK_EQ(apply(&t, &fm, 6 * SEC), 1);
    CHECK_EQ(out_port(flowtable_lookup(t, &k1)), 9);
    CHECK_EQ(out_port(flowtable_lookup(t, &k2)), 8);

    /* A modify that matches nothing adds the flow (ovs-ofctl with OpenFlow 1.0). */
    mod_ip_dst(&fm, FLOW_CMD_MODIFY, 0x0c000000, 8, 40, 6);
    CHECK_EQ(apply(&t, &fm, 7 * SEC), 1);
    CHECK_EQ(flowtable_count(t), 4);
    struct flow_key k4 = ip_key(0x0c000001);
    CHECK_EQ(out_port(flowtable_lookup(t, &k4)), 6);
    CHECK_EQ(flowtable_lookup(t, &k4)->cr.priority, 40);
    flowtable_free(t);
}

static void test_delete_and_collect(void)
{
    struct flow_table *t = flowtable_create();
    struct flow_mod fm;
    for (uint32_t i = 0; i < 10; i++) {
        mod_ip_dst(&fm, FLOW_CMD_ADD, 0x0a000000 + (i << 8), 24, (uint16_t)(i % 3), i);
        fm.new_cookie = i;
        apply(&t, &fm, SEC);
    }
    mod_ip_dst(&fm, FLOW_CMD_ADD, 0, 0, 5, 77);
    apply(&t, &fm, SEC);
    CHECK_EQ(flowtable_count(t), 11);

    const struct flow_rule **v;
    size_t n = flowtable_collect(t, NULL, false, FLOW_ORDER_PRIORITY, &v);
    CHECK_EQ(n, 11);
    CHECK_EQ(v[0]->cr.priority, 5);
    bool ordered = true;
    for (size_t i = 1; i < n; i++)
        if (v[i]->cr.priority > v[i - 1]->cr.priority ||
            (v[i]->cr.priority == v[i - 1]->cr.priority && v[i]->cr.seq < v[i - 1]->cr.seq))
            ordered = false;
    CHECK(ordered);
    free(v);
    n = flowtable_collect(t, NULL, false, FLOW_ORDER_ADDED, &v);
    CHECK_EQ(out_port(v[0]), 0);
    CHECK_EQ(out_port(v[10]), 77);
    free(v);

    /* out_port filter. */
    struct flow_mod filt;
    flow_mod_init(&filt, FLOW_CMD_DELETE);
    filt.out_port = 3;
    n = flowtable_collect(t, &filt, false, FLOW_ORDER_PRIORITY, &v);
    CHECK_EQ(n, 1);
    CHECK_EQ(out_port(v[0]), 3);
    free(v);

    /* Delete with a cookie filter. */
    flow_mod_init(&fm, FLOW_CMD_DELETE);
    fm.cookie_match = 0x4;
    fm.cookie_mask = 0x4;
    CHECK_EQ(apply(&t, &fm, SEC), 4); /* cookies 4,5,6,7 */
    CHECK_EQ(flowtable_count(t), 7);

    /* Strict delete: exact match and priority only. */
    mod_ip_dst(&fm, FLOW_CMD_DELETE_STRICT, 0x0a000100, 24, 0, 0);
    CHECK_EQ(apply(&t, &fm, SEC), 0); /* that rule has priority 1 */
    mod_ip_dst(&fm, FLOW_CMD_DELETE_STRICT, 0x0a000100, 24, 1, 0);
    CHECK_EQ(apply(&t, &fm, SEC), 1);

    /* Non-strict: "ip" selects every ip rule, including the catch-all ip rule. */
    mod_ip_dst(&fm, FLOW_CMD_DELETE, 0, 0, 0, 0);
    CHECK_EQ(apply(&t, &fm, SEC), 6);
    CHECK_EQ(flowtable_count(t), 0);
    struct flow_key k = ip_key(0x0a000001);
    CHECK(flowtable_lookup(t, &k) == NULL);
    flowtable_free(t);
}

/* Several commands in one edit see each other's effects. */
static void test_batch(void)
{
    struct flow_table *t = flowtable_create();
    struct flow_edit *e = flowtable_edit_begin(t);
    struct flow_mod fm;
    for (uint32_t i = 0; i < 1000; i++) {
        mod_ip_dst(&fm, FLOW_CMD_ADD, i, 32, 10, i);
        CHECK_EQ(flowtable_edit_apply(e, &fm, SEC, NULL, 0), 1);
        flow_mod_release(&fm);
    }
    mod_ip_dst(&fm, FLOW_CMD_ADD, 5, 32, 10, 555); /* replaces one added in this edit */
    flowtable_edit_apply(e, &fm, SEC, NULL, 0);
    flow_mod_release(&fm);
    mod_ip_dst(&fm, FLOW_CMD_MODIFY_STRICT, 6, 32, 10, 666);
    CHECK_EQ(flowtable_edit_apply(e, &fm, SEC, NULL, 0), 1);
    flow_mod_release(&fm);
    mod_ip_dst(&fm, FLOW_CMD_DELETE_STRICT, 7, 32, 10, 0);
    CHECK_EQ(flowtable_edit_apply(e, &fm, SEC, NULL, 0), 1);
    CHECK_EQ(flowtable_edit_count(e), 999);
    struct flow_table *t2 = flowtable_edit_commit(e);
    CHECK_EQ(flowtable_count(t2), 999);
    CHECK_EQ(flowtable_count(t), 0);
    struct flow_key k = ip_key(5);
    CHECK_EQ(out_port(flowtable_lookup(t2, &k)), 555);
    k = ip_key(6);
    CHECK_EQ(out_port(flowtable_lookup(t2, &k)), 666);
    k = ip_key(7);
    CHECK(flowtable_lookup(t2, &k) == NULL);
    k = ip_key(999);
    CHECK_EQ(out_port(flowtable_lookup(t2, &k)), 999);
    flowtable_free(t);

    /* An abandoned edit changes nothing. */
    e = flowtable_edit_begin(t2);
    mod_ip_dst(&fm, FLOW_CMD_DELETE, 0, 0, 0, 0);
    CHECK_EQ(flowtable_edit_apply(e, &fm, SEC, NULL, 0), 999);
    mod_ip_dst(&fm, FLOW_CMD_ADD, 1, 32, 99, 1);
    flowtable_edit_apply(e, &fm, SEC, NULL, 0);
    flow_mod_release(&fm);
    flowtable_edit_abort(e);
    CHECK_EQ(flowtable_count(t2), 999);
    flowtable_free(t2);
}

static void test_timeouts(void)
{
    struct flow_table *t = flowtable_create();
    struct flow_mod fm;
    const struct flow_rule *out[8];
    mod_ip_dst(&fm, FLOW_CMD_ADD, 1, 32, 1, 1);
    apply(&t, &fm, 100 * SEC);
    CHECK_EQ(t->n_timeouts, 0);
    CHECK_EQ(flowtable_expired(t, 1000 * SEC, out, 8), 0);
    mod_ip_dst(&fm, FLOW_CMD_ADD, 2, 32, 1, 2);
    fm.idle_timeout = 10;
    apply(&t, &fm, 100 * SEC);
    mod_ip_dst(&fm, FLOW_CMD_ADD, 3, 32, 1, 3);
    fm.hard_timeout = 20;
    apply(&t, &fm, 100 * SEC);
    CHECK_EQ(t->n_timeouts, 2);
    CHECK_EQ(flowtable_expired(t, 109 * SEC, out, 8), 0);
    CHECK_EQ(flowtable_expired(t, 110 * SEC, out, 8), 1);
    CHECK_EQ(out_port(out[0]), 2);
    /* Traffic keeps an idle rule alive; it does not help a hard one. */
    struct flow_key k2 = ip_key(2), k3 = ip_key(3);
    flow_rule_hit(flowtable_lookup(t, &k2), 60, 115 * SEC);
    flow_rule_hit(flowtable_lookup(t, &k3), 60, 119 * SEC);
    CHECK_EQ(flowtable_expired(t, 120 * SEC, out, 8), 1);
    CHECK_EQ(out_port(out[0]), 3);
    /* A modify restarts the hard timeout. */
    mod_ip_dst(&fm, FLOW_CMD_MODIFY_STRICT, 3, 32, 1, 33);
    apply(&t, &fm, 119 * SEC);
    CHECK_EQ(flowtable_expired(t, 125 * SEC, out, 8), 1); /* the idle one (last hit 115) */
    CHECK_EQ(out_port(out[0]), 2);
    CHECK_EQ(flowtable_expired(t, 139 * SEC, out, 8), 2);
    struct flow_edit *e = flowtable_edit_begin(t);
    flowtable_edit_remove(e, out[0]);
    flowtable_edit_remove(e, out[1]);
    struct flow_table *t2 = flowtable_edit_commit(e);
    flowtable_free(t);
    CHECK_EQ(flowtable_count(t2), 1);
    CHECK_EQ(t2->n_timeouts, 0);
    flowtable_free(t2);
}

static void test_limit(void)
{
    struct flow_table *t = flowtable_create();
    t->max_rules = 3;
    struct flow_edit *e = flowtable_edit_begin(t);
    struct flow_mod fm;
    char err[128] = "";
    for (uint32_t i = 0; i < 3; i++) {
        mod_ip_dst(&fm, FLOW_CMD_ADD, i, 32, 1, 1);
        CHECK_EQ(flowtable_edit_apply(e, &fm, SEC, err, sizeof(err)), 1);
        flow_mod_release(&fm);
    }
    mod_ip_dst(&fm, FLOW_CMD_ADD, 9, 32, 1, 1);
    CHECK_EQ(flowtable_edit_apply(e, &fm, SEC, err, sizeof(err)), -1);
    CHECK(strstr(err, "full") != NULL);
    flow_mod_release(&fm);
    /* Replacing an existing rule is still allowed at the limit. */
    mod_ip_dst(&fm, FLOW_CMD_ADD, 2, 32, 1, 5);
    CHECK_EQ(flowtable_edit_apply(e, &fm, SEC, err, sizeof(err)), 1);
    flow_mod_release(&fm);
    struct flow_table *t2 = flowtable_edit_commit(e);
    CHECK_EQ(flowtable_count(t2), 3);
    CHECK_EQ(t2->max_rules, 3);
    flowtable_free(t);
    flowtable_free(t2);
}

int main(void)
{
    test_default_and_add();
    test_modify();
    test_delete_and_collect();
    test_batch();
    test_timeouts();
    test_limit();
    return check_exit();
}

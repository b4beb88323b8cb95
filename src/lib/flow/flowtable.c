/* flowtable.c - flow table versions: rule objects, ovs-ofctl add/modify/delete semantics on
 * top of the classifier's builder, collection for dumps and saving, and timeouts. */
#include "flowtable.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Shared by every table in the process, so a version number is never reused. */
static _Atomic uint64_t last_version;

static uint64_t next_version(void)
{
    return atomic_fetch_add(&last_version, 1) + 1;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fprintf(stderr, "flowtable: out of memory\n");
        abort();
    }
    return p;
}

static void stats_unref(struct flow_stats *s)
{
    if (s && --s->refcnt == 0)
        free(s);
}

static void rule_release(struct cls_rule *cr)
{
    struct flow_rule *r = (struct flow_rule *)cr;
    flow_actions_free(r->actions);
    stats_unref(r->stats);
    free(r);
}

static struct flow_actions *actions_copy(const struct flow_actions *a)
{
    struct flow_actions *c = a ? flow_actions_clone(a) : flow_actions_new(NULL, 0);
    if (!c) {
        fprintf(stderr, "flowtable: out of memory\n");
        abort();
    }
    return c;
}

struct flow_table *flowtable_create(void)
{
    struct flow_table *t = xcalloc(1, sizeof(*t));
    t->version = next_version();
    t->cls = cls_create(rule_release);
    t->next_seq = 1;
    t->max_rules = FLOWTABLE_MAX_RULES;
    return t;
}

struct flow_table *flowtable_create_default(uint64_t now_ns)
{
    struct flow_table *empty = flowtable_create();
    struct flow_mod fm;
    flow_mod_init(&fm, FLOW_CMD_ADD);
    fm.priority = 0;
    struct flow_action normal = {.type = FA_NORMAL};
    fm.actions = flow_actions_new(&normal, 1);
    struct flow_edit *e = flowtable_edit_begin(empty);
    flowtable_edit_apply(e, &fm, now_ns, NULL, 0);
    struct flow_table *t = flowtable_edit_commit(e);
    flow_mod_release(&fm);
    flowtable_free(empty);
    return t;
}

void flowtable_free(struct flow_table *t)
{
    if (!t)
        return;
    cls_free(t->cls);
    free(t);
}

void flow_mod_init(struct flow_mod *fm, enum flow_cmd cmd)
{
    memset(fm, 0, sizeof(*fm));
    fm->cmd = cmd;
    fm->priority = FLOW_DEFAULT_PRIORITY;
    fm->out_port = FLOW_PORT_ANY;
    fm->set_cookie = cmd == FLOW_CMD_ADD;
}

void flow_mod_release(struct flow_mod *fm)
{
    flow_actions_free(fm->actions);
    fm->actions = NULL;
}

bool flow_rule_selected(const struct flow_rule *r, const struct flow_mod *fm, bool strict)
{
    if ((r->cookie ^ fm->cookie_match) & fm->cookie_mask)
        return false;
    if (fm->out_port != FLOW_PORT_ANY && !flow_actions_output_to(r->actions, fm->out_port))
        return false;
    if (strict)
        return r->cr.priority == fm->priority && flowkey_equal(&r->cr.mask, &fm->mask) &&
               flowkey_equal(&r->cr.value, &fm->value);
    for (int i = 0; i < FLOW_KEY_WORDS; i++) {
        if (fm->mask.w[i] & ~r->cr.mask.w[i])
            return false;
        if ((r->cr.value.w[i] ^ fm->value.w[i]) & fm->mask.w[i])
            return false;
    }
    return true;
}

struct flow_edit {
    const struct flow_table *base;
    struct cls_builder *b;
    uint64_t next_seq;
    size_t n_timeouts;
};

struct flow_edit *flowtable_edit_begin(const struct flow_table *base)
{
    struct flow_edit *e = xcalloc(1, sizeof(*e));
    e->base = base;
    e->b = cls_builder_new(base->cls);
    e->next_seq = base->next_seq;
    e->n_timeouts = base->n_timeouts;
    return e;
}

size_t flowtable_edit_count(const struct flow_edit *e)
{
    return cls_builder_count(e->b);
}

static bool has_timeout(const struct flow_rule *r)
{
    return r->idle_timeout || r->hard_timeout;
}

static void edit_insert(struct flow_edit *e, struct flow_rule *r)
{
    if (has_timeout(r))
        e->n_timeouts++;
    cls_builder_insert(e->b, &r->cr);
}

void flowtable_edit_remove(struct flow_edit *e, const struct flow_rule *r)
{
    if (has_timeout(r))
        e->n_timeouts--;
    cls_builder_remove(e->b, &r->cr);
}

static struct flow_rule *rule_new(const struct flow_mod *fm, uint64_t seq, uint64_t now_ns)
{
    struct flow_rule *r = xcalloc(1, sizeof(*r));
    r->cr.mask = fm->mask;
    for (int i = 0; i < FLOW_KEY_WORDS; i++)
        r->cr.value.w[i] = fm->value.w[i] & fm->mask.w[i];
    r->cr.priority = fm->priority;
    r->cr.seq = seq;
    r->cookie = fm->set_cookie ? fm->new_cookie : 0;
    r->idle_timeout = fm->idle_timeout;
    r->hard_timeout = fm->hard_timeout;
    r->modified_ns = now_ns;
    r->actions = actions_copy(fm->actions);
    r->stats = xcalloc(1, sizeof(*r->stats));
    r->stats->refcnt = 1;
    r->stats->created_ns = now_ns;
    return r;
}

static long edit_add(struct flow_edit *e, const struct flow_mod *fm, uint64_t now_ns, char *err,
                     size_t errlen)
{
    struct flow_key value;
    for (int i = 0; i < FLOW_KEY_WORDS; i++)
        value.w[i] = fm->value.w[i] & fm->mask.w[i];
    const struct flow_rule *old =
        (const struct flow_rule *)cls_builder_find_exact(e->b, &value, &fm->mask, fm->priority);
    if (!old && cls_builder_count(e->b) >= e->base->max_rules) {
        if (err)
            snprintf(err, errlen, "flow table full (%zu rules)", e->base->max_rules);
        return -1;
    }
    if (old)
        flowtable_edit_remove(e, old);
    edit_insert(e, rule_new(fm, e->next_seq++, now_ns));
    return 1;
}

struct selection {
    const struct flow_mod *fm;
    bool strict;
    const struct flow_rule **v;
    size_t n, cap;
};

static void select_push(struct selection *s, const struct flow_rule *r)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = realloc(s->v, s->cap * sizeof(*s->v));
        if (!s->v) {
            fprintf(stderr, "flowtable: out of memory\n");
            abort();
        }
    }
    s->v[s->n++] = r;
}

static void select_fn(const struct cls_rule *cr, void *arg)
{
    struct selection *s = arg;
    const struct flow_rule *r = (const struct flow_rule *)cr;
    if (flow_rule_selected(r, s->fm, s->strict))
        select_push(s, r);
}

static void edit_select(struct flow_edit *e, const struct flow_mod *fm, bool strict,
                        struct selection *s)
{
    memset(s, 0, sizeof(*s));
    s->fm = fm;
    s->strict = strict;
    if (strict) {
        struct flow_key value;
        for (int i = 0; i < FLOW_KEY_WORDS; i++)
            value.w[i] = fm->value.w[i] & fm->mask.w[i];
        const struct flow_rule *r =
            (const struct flow_rule *)cls_builder_find_exact(e->b, &value, &fm->mask, fm->priority);
        if (r && flow_rule_selected(r, fm, true))
            select_push(s, r);
    } else {
        cls_builder_foreach(e->b, select_fn, s);
    }
}

static long edit_modify(struct flow_edit *e, const struct flow_mod *fm, bool strict,
                        uint64_t now_ns, char *err, size_t errlen)
{
    struct selection s;
    edit_select(e, fm, strict, &s);
    for (size_t i = 0; i < s.n; i++) {
        const struct flow_rule *old = s.v[i];
        struct flow_rule *r = xcalloc(1, sizeof(*r));
        r->cr.value = old->cr.value;
        r->cr.mask = old->cr.mask;
        r->cr.priority = old->cr.priority;
        r->cr.seq = old->cr.seq; /* the same rule: it keeps its place among equals */
        r->cookie = fm->set_cookie ? fm->new_cookie : old->cookie;
        r->idle_timeout = old->idle_timeout;
        r->hard_timeout = old->hard_timeout;
        r->modified_ns = now_ns;
        r->actions = actions_copy(fm->actions);
        r->stats = old->stats;
        r->stats->refcnt++;
        flowtable_edit_remove(e, old);
        edit_insert(e, r);
    }
    size_t n = s.n;
    free(s.v);
    if (n == 0 && fm->cookie_mask == 0)
        return edit_add(e, fm, now_ns, err, errlen);
    return (long)n;
}

static long edit_delete(struct flow_edit *e, const struct flow_mod *fm, bool strict)
{
    struct selection s;
    edit_select(e, fm, strict, &s);
    for (size_t i = 0; i < s.n; i++)
        flowtable_edit_remove(e, s.v[i]);
    free(s.v);
    return (long)s.n;
}

long flowtable_edit_apply(struct flow_edit *e, const struct flow_mod *fm, uint64_t now_ns,
                          char *err, size_t errlen)
{
    switch (fm->cmd) {
    case FLOW_CMD_ADD:
        return edit_add(e, fm, now_ns, err, errlen);
    case FLOW_CMD_MODIFY:
    case FLOW_CMD_MODIFY_STRICT:
        return edit_modify(e, fm, fm->cmd == FLOW_CMD_MODIFY_STRICT, now_ns, err, errlen);
    case FLOW_CMD_DELETE:
    case FLOW_CMD_DELETE_STRICT:
        return edit_delete(e, fm, fm->cmd == FLOW_CMD_DELETE_STRICT);
    }
    if (err)
        snprintf(err, errlen, "unknown flow command %d", (int)fm->cmd);
    return -1;
}

struct flow_table *flowtable_edit_commit(struct flow_edit *e)
{
    struct flow_table *t = xcalloc(1, sizeof(*t));
    t->cls = cls_builder_finish(e->b);
    t->version = next_version();
    t->next_seq = e->next_seq;
    t->n_timeouts = e->n_timeouts;
    t->max_rules = e->base->max_rules;
    free(e);
    return t;
}

void flowtable_edit_abort(struct flow_edit *e)
{
    if (!e)
        return;
    cls_builder_abort(e->b);
    free(e);
}

static int cmp_priority(const void *a, const void *b)
{
    uint64_t x = cls_rank(&(*(const struct flow_rule *const *)a)->cr);
    uint64_t y = cls_rank(&(*(const struct flow_rule *const *)b)->cr);
    return x > y ? -1 : x < y;
}

static int cmp_added(const void *a, const void *b)
{
    uint64_t x = (*(const struct flow_rule *const *)a)->cr.seq;
    uint64_t y = (*(const struct flow_rule *const *)b)->cr.seq;
    return x < y ? -1 : x > y;
}

static void select_all_fn(const struct cls_rule *cr, void *arg)
{
    struct selection *s = arg;
    const struct flow_rule *r = (const struct flow_rule *)cr;
    if (!s->fm || flow_rule_selected(r, s->fm, s->strict))
        select_push(s, r);
}

size_t flowtable_collect(const struct flow_table *t, const struct flow_mod *filter, bool strict,
                         enum flow_order order, const struct flow_rule ***out)
{
    struct selection s = {.fm = filter, .strict = strict};
    cls_foreach(t->cls, select_all_fn, &s);
    if (s.n)
        qsort(s.v, s.n, sizeof(*s.v), order == FLOW_ORDER_ADDED ? cmp_added : cmp_priority);
    *out = s.v;
    return s.n;
}

struct expiry {
    uint64_t now;
    const struct flow_rule **out;
    size_t n, max;
};

static void expiry_fn(const struct cls_rule *cr, void *arg)
{
    struct expiry *x = arg;
    const struct flow_rule *r = (const struct flow_rule *)cr;
    if (x->n == x->max || !has_timeout(r))
        return;
    const uint64_t sec = 1000000000ull;
    bool expired = r->hard_timeout && x->now >= r->modified_ns + r->hard_timeout * sec;
    if (r->idle_timeout) {
        uint64_t last = flow_rule_used(r);
        if (last < r->stats->created_ns)
            last = r->stats->created_ns;
        if (x->now >= last + r->idle_timeout * sec)
            expired = true;
    }
    if (expired)
        x->out[x->n++] = r;
}

size_t flowtable_expired(const struct flow_table *t, uint64_t now_ns, const struct flow_rule **out,
                         size_t max)
{
    if (!t->n_timeouts || !max)
        return 0;
    struct expiry x = {now_ns, out, 0, max};
    cls_foreach(t->cls, expiry_fn, &x);
    return x.n;
}

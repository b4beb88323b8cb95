/* classifier_bench.c - in-process flow table numbers: load time for rule sets given in
 * ovs-ofctl syntax, and lookups per second on the cache hit path and the miss path (classifier
 * plus cache insert) for 10, 1,000 and 100,000 rules with 1, 1,000 and 100,000 active flows.
 * Usage: classifier_bench [--quick] (--quick: fewer iterations, for smoke tests). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flowcache.h"
#include "ofparse.h"

static uint64_t rng_state = 0x853c49e6748fea9bull;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 17);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Rule i of a set: a mix of shapes (masks) as a switch's tables typically have. */
static void rule_text(unsigned i, char *buf, size_t size)
{
    unsigned a = i >> 16 & 0xff, b = i >> 8 & 0xff, c = i & 0xff;
    switch (i % 8) {
    case 0:
        snprintf(buf, size, "priority=100,ip,nw_dst=10.%u.%u.%u,actions=output:%u", a, b, c,
                 i % 64 + 1);
        break;
    case 1:
        snprintf(buf, size, "priority=200,tcp,nw_dst=10.%u.%u.%u,tp_dst=%u,actions=output:%u", a, b,
                 c, 80 + i % 4, i % 64 + 1);
        break;
    case 2:
        snprintf(buf, size,
                 "priority=150,udp,nw_src=172.%u.%u.0/24,tp_dst=%u,actions=mod_nw_tos:32,"
                 "output:%u",
                 (a + 16) & 0xff, b ^ c, 53 + i % 3, i % 64 + 1);
        break;
    case 3:
        snprintf(buf, size, "priority=300,in_port=%u,dl_vlan=%u,actions=strip_vlan,NORMAL",
                 i % 64 + 1, (i / 8) % 4094 + 1);
        break;
    case 4:
        snprintf(buf, size, "priority=120,ipv6,ipv6_dst=2001:db8:%x:%x::/64,actions=output:%u",
                 a << 8 | b, c, i % 64 + 1);
        break;
    case 5:
        snprintf(buf, size,
                 "priority=250,dl_dst=02:00:%02x:%02x:%02x:%02x,actions=mod_vlan_vid:%u,"
                 "output:%u",
                 i >> 24 & 0xff, a, b, c, i % 4000 + 1, i % 64 + 1);
        break;
    case 6:
        snprintf(buf, size,
                 "priority=180,tcp,nw_src=192.168.%u.%u,nw_dst=10.%u.0.0/16,"
                 "actions=dec_ttl,output:%u",
                 b, c, a, i % 64 + 1);
        break;
    default:
        snprintf(buf, size, "priority=90,ip,nw_dst=10.%u.%u.0/24,nw_tos=32,actions=output:%u", a, b,
                 i % 64 + 1);
        break;
    }
}

static struct flow_table *load(unsigned nrules, unsigned per_edit, double *parse_s, double *build_s)
{
    struct flow_table *t = flowtable_create_default(1);
    char line[256], err[256];
    struct flow_mod *mods = malloc(sizeof(*mods) * (per_edit ? per_edit : 1));
    *parse_s = *build_s = 0;
    for (unsigned done = 0; done < nrules;) {
        unsigned n = nrules - done < per_edit ? nrules - done : per_edit;
        double t0 = now_s();
        for (unsigned i = 0; i < n; i++) {
            rule_text(done + i, line, sizeof(line));
            if (ofp_parse_flow_line(line, NULL, &mods[i], err, sizeof(err)) != 0) {
                fprintf(stderr, "bench rule does not parse: %s: %s\n", line, err);
                exit(1);
            }
        }
        double t1 = now_s();
        struct flow_edit *e = flowtable_edit_begin(t);
        for (unsigned i = 0; i < n; i++) {
            if (flowtable_edit_apply(e, &mods[i], 2, err, sizeof(err)) < 0) {
                fprintf(stderr, "apply: %s\n", err);
                exit(1);
            }
            flow_mod_release(&mods[i]);
        }
        struct flow_table *next = flowtable_edit_commit(e);
        flowtable_free(t);
        t = next;
        double t2 = now_s();
        *parse_s += t1 - t0;
        *build_s += t2 - t1;
        done += n;
    }
    free(mods);
    return t;
}

/* A packet that hits rule `i` of the set (its masked fields), with other fields random. */
static void flow_for_rule(unsigned i, struct flow_key *k)
{
    char line[256], err[256];
    struct flow_mod fm;
    rule_text(i, line, sizeof(line));
    ofp_parse_flow_line(line, NULL, &fm, err, sizeof(err));
    struct flow_key base;
    memset(&base, 0, sizeof(base));
    base.in_port = rnd() % 64 + 1;
    base.dl_type = 0x0800;
    base.dl_src[0] = 2;
    base.dl_src[5] = (uint8_t)rnd();
    base.dl_dst[0] = 2;
    base.dl_dst[4] = (uint8_t)rnd();
    base.nw_src = 0xc0a80000u | (rnd() & 0xffff);
    base.nw_dst = 0x0a000000u | (rnd() & 0xffffff);
    base.nw_proto = rnd() % 2 ? 6 : 17;
    base.nw_ttl = 64;
    base.tp_src = (uint16_t)(1024 + rnd() % 60000);
    base.tp_dst = (uint16_t)(rnd() % 2 ? 80 : 443);
    if (fm.value.dl_type == 0x86dd) {
        base.dl_type = 0x86dd;
        base.nw_src = base.nw_dst = 0;
        base.ipv6_src[0] = 0x20;
        base.ipv6_src[15] = (uint8_t)rnd();
    }
    for (int w = 0; w < FLOW_KEY_WORDS; w++)
        k->w[w] = (base.w[w] & ~fm.mask.w[w]) | fm.value.w[w];
    flow_mod_release(&fm);
}

/* Lookups per second over `nflows` keys, visited in a random order, at least min_s seconds. */
struct result {
    double hit_mpps, miss_mpps, hit_rate, emc_mpps, emc_hit_rate;
};

static volatile uintptr_t sink;

static void measure(const struct flow_table *t, const struct flow_key *flows, unsigned nflows,
                    double min_s, struct result *res)
{
    /* The packets of a run, each flow's key copied in arrival order: a key extracted from a
     * received packet is in the CPU cache, so the keys are read sequentially here. */
    enum { ORDER = 1 << 16 };
    static struct flow_key seq[ORDER];
    for (unsigned i = 0; i < ORDER; i++)
        seq[i] = flows[rnd() % nflows];

    /* Hit path: a cache big enough for every active flow, warmed. */
    unsigned cap = FLOWCACHE_DEFAULT_ENTRIES;
    while (cap < 4 * nflows)
        cap <<= 1;
    struct flowcache *c = flowcache_create(cap);
    for (unsigned i = 0; i < nflows; i++)
        flowcache_classify(c, t, &flows[i]);
    struct flowcache_stats s0 = flowcache_get_stats(c);
    uint64_t n = 0;
    double t0 = now_s(), t1;
    do {
        for (unsigned i = 0; i < ORDER; i++)
            sink += (uintptr_t)flowcache_classify(c, t, &seq[i]);
        n += ORDER;
        t1 = now_s();
    } while (t1 - t0 < min_s);
    struct flowcache_stats s1 = flowcache_get_stats(c);
    res->hit_mpps = (double)n / (t1 - t0) / 1e6;
    res->hit_rate = (double)(s1.hits - s0.hits) / (double)n;
    flowcache_destroy(c);

    /* Miss path: what a cache miss costs, classifier lookup and cache insert. */
    c = flowcache_create(FLOWCACHE_DEFAULT_ENTRIES);
    n = 0;
    t0 = now_s();
    do {
        for (unsigned i = 0; i < ORDER; i++) {
            const struct flow_key *k = &seq[i];
            uint32_t h = flowkey_hash(k);
            const struct flow_rule *r = flowtable_lookup(t, k);
            flowcache_insert(c, t->version, k, h, r);
            sink += (uintptr_t)r;
        }
        n += ORDER;
        t1 = now_s();
    } while (t1 - t0 < min_s);
    res->miss_mpps = (double)n / (t1 - t0) / 1e6;
    flowcache_destroy(c);

    /* The data plane as configured: a default-size cache in front of the classifier. */
    c = flowcache_create(FLOWCACHE_DEFAULT_ENTRIES);
    for (unsigned i = 0; i < ORDER; i++)
        flowcache_classify(c, t, &seq[i]);
    s0 = flowcache_get_stats(c);
    n = 0;
    t0 = now_s();
    do {
        for (unsigned i = 0; i < ORDER; i++)
            sink += (uintptr_t)flowcache_classify(c, t, &seq[i]);
        n += ORDER;
        t1 = now_s();
    } while (t1 - t0 < min_s);
    s1 = flowcache_get_stats(c);
    res->emc_mpps = (double)n / (t1 - t0) / 1e6;
    res->emc_hit_rate = (double)(s1.hits - s0.hits) / (double)n;
    flowcache_destroy(c);
}

int main(int argc, char **argv)
{
    bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    double min_s = quick ? 0.02 : 0.3;
    double parse_s, build_s;

    printf("== load (ovs-ofctl text -> parsed -> new table version)\n");
    struct flow_table *t = load(100000, 100000, &parse_s, &build_s);
    printf(
        "100000 rules, one edit:        parse %.3f s  build %.3f s  total %.3f s  (%u subtables)\n",
        parse_s, build_s, parse_s + build_s, cls_subtable_count(t->cls));
    flowtable_free(t);
    t = load(100000, 1000, &parse_s, &build_s);
    printf(
        "100000 rules, 1000 per edit:   parse %.3f s  build %.3f s  total %.3f s  (100 versions)\n",
        parse_s, build_s, parse_s + build_s);
    /* One more rule into a full table, and one deleted from it. */
    char err[256];
    struct flow_mod fm;
    double t0 = now_s();
    enum { SINGLE = 200 };
    for (int i = 0; i < SINGLE; i++) {
        char line[128];
        snprintf(line, sizeof(line), "priority=400,tcp,nw_dst=11.0.%d.%d,actions=drop", i >> 8,
                 i & 0xff);
        ofp_parse_flow(line, FLOW_CMD_ADD, NULL, &fm, err, sizeof(err));
        struct flow_edit *e = flowtable_edit_begin(t);
        flowtable_edit_apply(e, &fm, 3, err, sizeof(err));
        flow_mod_release(&fm);
        struct flow_table *next = flowtable_edit_commit(e);
        flowtable_free(t);
        t = next;
    }
    double t1 = now_s();
    printf("single add-flow into 100000:   %.1f us per new version\n", (t1 - t0) / SINGLE * 1e6);
    t0 = now_s();
    for (int i = 0; i < SINGLE; i++) {
        char line[128];
        snprintf(line, sizeof(line), "priority=400,tcp,nw_dst=11.0.%d.%d", i >> 8, i & 0xff);
        ofp_parse_flow(line, FLOW_CMD_DELETE_STRICT, NULL, &fm, err, sizeof(err));
        struct flow_edit *e = flowtable_edit_begin(t);
        flowtable_edit_apply(e, &fm, 3, err, sizeof(err));
        struct flow_table *next = flowtable_edit_commit(e);
        flowtable_free(t);
        t = next;
    }
    t1 = now_s();
    printf("single del-flows --strict:     %.1f us per new version\n", (t1 - t0) / SINGLE * 1e6);
    flowtable_free(t);

    printf("\n== lookups (million per second, one thread)\n");
    printf("%8s %8s %10s %10s %10s %14s\n", "rules", "flows", "hit path", "miss path", "hit rate",
           "8k cache");
    static const unsigned rule_counts[] = {10, 1000, 100000};
    static const unsigned flow_counts[] = {1, 1000, 100000};
    struct flow_key *flows = malloc(100000 * sizeof(*flows));
    for (unsigned r = 0; r < 3; r++) {
        t = load(rule_counts[r], rule_counts[r], &parse_s, &build_s);
        for (unsigned f = 0; f < 3; f++) {
            unsigned nf = flow_counts[f];
            for (unsigned i = 0; i < nf; i++)
                flow_for_rule(rnd() % rule_counts[r], &flows[i]);
            struct result res;
            measure(t, flows, nf, min_s, &res);
            printf("%8u %8u %10.2f %10.2f %9.0f%% %8.2f (%2.0f%%)\n", rule_counts[r], nf,
                   res.hit_mpps, res.miss_mpps, res.hit_rate * 100, res.emc_mpps,
                   res.emc_hit_rate * 100);
            fflush(stdout);
        }
        flowtable_free(t);
    }
    free(flows);
    printf("\nhit path: flowcache_classify with every active flow cached; miss path: classifier\n"
           "lookup plus cache insert; 8k cache: the default %u-entry cache (its hit rate).\n",
           FLOWCACHE_DEFAULT_ENTRIES);
    return 0;
}

/* test_flowpath.c - the data plane's flow-rule path on a configuration of fake ports: what
 * each action queues on which port (references or copies), drop reasons, flood and all with
 * VLAN ports, rule counters and the cache's hit, miss and revalidation counts. */
#include <stdlib.h>

#include "l2switch_dp.h"

#define FAKE_NPORTS 4
#define FAKE_NSLOTS (FAKE_NPORTS + 1) /* the last slot is free: rules may name it */
#include "fake_switch.h"

static struct pkt_pool *pool;

static void setup(void)
{
    fake_switch_setup();
    pool = pkt_pool_create(256, 2048);
    CHECK(pool != NULL);
}

static const uint8_t dst_mac[6] = {0x02, 0, 0, 0, 0, 0x02};
static const uint8_t src_mac[6] = {0x02, 0, 0, 0, 0, 0x01};

/* A UDP/IPv4 frame 10.0.0.1:1000 -> 10.0.0.2:2000 with the given TTL, received on in_port. */
static struct pkt *udp_frame(uint32_t in_port, uint8_t ttl, const uint8_t *dst)
{
    struct pkt *p = pkt_alloc(pool);
    uint8_t *f = p->data;
    memset(f, 0, 60);
    memcpy(f, dst, 6);
    memcpy(f + 6, src_mac, 6);
    f[12] = 0x08;
    uint8_t *ip = f + 14;
    ip[0] = 0x45;
    ip[3] = 28 + 4;
    ip[8] = ttl;
    ip[9] = 17;
    memcpy(ip + 12, (uint8_t[]){10, 0, 0, 1, 10, 0, 0, 2}, 8);
    uint8_t *udp = ip + 20;
    udp[0] = 1000 >> 8, udp[1] = 1000 & 0xff;
    udp[2] = 2000 >> 8, udp[3] = 2000 & 0xff;
    udp[5] = 12;
    p->len = 60;
    p->in_port = in_port;
    return p;
}

static void run(const struct flow_table *t, struct pkt *p)
{
    cfg.flows = t;
    flowpath_process_burst(&dpt, &cfg, &p, 1, 1000000000ull);
    pkt_free(p);
}

static unsigned queued(unsigned port)
{
    return ports[port].ntx;
}

static void test_output_and_copies(void)
{
    struct flow_table *t = table_of((const char *const[]){
        "priority=10,udp,actions=output:1,mod_nw_dst:10.0.0.9,mod_tp_dst:53,output:2", NULL});
    reset_ports();
    struct pkt *p = udp_frame(0, 64, dst_mac);
    run(t, p);
    CHECK_EQ(queued(0), 0);
    CHECK_EQ(queued(1), 1);
    CHECK_EQ(queued(2), 1);
    /* Port 1 got a copy taken before the rewrite, port 2 the packet itself, rewritten. */
    CHECK(ports[1].txq[0] != p);
    CHECK(ports[2].txq[0] == p);
    CHECK_EQ(ports[1].txq[0]->data[14 + 19], 2);
    CHECK_EQ(ports[2].txq[0]->data[14 + 19], 9);
    CHECK_EQ(ports[2].txq[0]->data[14 + 20 + 3], 53);
    CHECK_EQ(ports[2].txq[0]->refcnt, 1); /* the burst's reference was dropped by run() */
    const struct flow_rule **rules;
    size_t n = flowtable_collect(t, NULL, false, FLOW_ORDER_ADDED, &rules);
    CHECK_EQ(n, 1);
    CHECK_EQ(flow_rule_packets(rules[0]), 1);
    CHECK_EQ(flow_rule_bytes(rules[0]), 60);
    free(rules);
    reset_ports();
    flowtable_free(t);
}

static void test_drop_reasons(void)
{
    struct flow_table *t = table_of(
        (const char *const[]){"priority=50,udp,tp_dst=2000,nw_ttl=9,actions=drop",
                              "priority=40,udp,tp_dst=2000,nw_ttl=1,actions=dec_ttl,output:1",
                              "priority=30,udp,tp_dst=2000,nw_ttl=2,actions=output:4",
                              "priority=20,udp,tp_dst=2000,nw_ttl=3,actions=output:0",
                              "priority=20,udp,tp_dst=2000,nw_ttl=4,actions=in_port",
                              "priority=20,udp,tp_dst=2000,nw_ttl=5,actions=mod_nw_tos:8", NULL});
    reset_ports();
    run(t, udp_frame(0, 9, dst_mac));
    CHECK_EQ(ports[0].stats.rx_drops[DROP_FLOW], 1);
    run(t, udp_frame(0, 1, dst_mac));
    CHECK_EQ(ports[0].stats.rx_drops[DROP_TTL], 1);
    CHECK_EQ(queued(1), 0);
    run(t, udp_frame(0, 2, dst_mac)); /* output to a port index that has no port */
    CHECK_EQ(ports[0].stats.rx_drops[DROP_NO_OUTPUT], 1);
    run(t, udp_frame(0, 3, dst_mac)); /* output:IN is not a way back */
    CHECK_EQ(ports[0].stats.rx_drops[DROP_FLOW], 2);
    CHECK_EQ(queued(0), 0);
    run(t, udp_frame(0, 4, dst_mac)); /* in_port is */
    CHECK_EQ(queued(0), 1);
    run(t, udp_frame(0, 5, dst_mac)); /* no output action at all */
    CHECK_EQ(ports[0].stats.rx_drops[DROP_FLOW], 3);
    run(t, udp_frame(0, 6, dst_mac)); /* no rule */
    CHECK_EQ(ports[0].stats.rx_drops[DROP_FLOW], 4);
    for (unsigned i = 1; i < FAKE_NPORTS; i++)
        CHECK_EQ(queued(i), 0);
    reset_ports();
    flowtable_free(t);
}

static void test_flood_all_normal(void)
{
    /* Port 3 is an access port of VLAN 10: the untagged frame from port 0 (VLAN 0) is not in
     * its flood domain, but `all` sends it there unchanged. */
    ports[3].tag = 10;
    struct flow_table *t = table_of((const char *const[]){
        "priority=10,udp,nw_ttl=10,actions=flood", "priority=10,udp,nw_ttl=11,actions=all",
        "priority=10,udp,nw_ttl=12,actions=normal",
        "priority=10,udp,nw_ttl=13,actions=flood,mod_dl_src:02:00:00:00:00:77,output:3", NULL});
    reset_ports();
    run(t, udp_frame(0, 10, dst_mac));
    CHECK_EQ(queued(0), 0);
    CHECK_EQ(queued(1), 1);
    CHECK_EQ(queued(2), 1);
    CHECK_EQ(queued(3), 0);
    reset_ports();
    run(t, udp_frame(0, 11, dst_mac));
    CHECK_EQ(queued(0), 0);
    CHECK_EQ(queued(1), 1);
    CHECK_EQ(queued(2), 1);
    CHECK_EQ(queued(3), 1);
    CHECK_EQ(ports[3].txq[0]->len, 60); /* unchanged: no tag added */
    reset_ports();
    /* normal: the destination is unknown, so it floods in VLAN 0 (not to port 3). */
    run(t, udp_frame(0, 12, dst_mac));
    CHECK_EQ(queued(1), 1);
    CHECK_EQ(queued(2), 1);
    CHECK_EQ(queued(3), 0);
    reset_ports();
    /* flood before a rewrite: the flooded frames keep the old source address. */
    run(t, udp_frame(0, 13, dst_mac));
    CHECK_EQ(queued(1), 1);
    CHECK_EQ(queued(3), 1);
    CHECK_EQ(ports[1].txq[0]->data[11], 0x01);
    CHECK_EQ(ports[3].txq[0]->data[11], 0x77);
    reset_ports();
    ports[3].tag = 0;
    flowtable_free(t);
}

static void test_cache_counts(void)
{
    struct flowpath_stats before[FLOWPATH_MAX_THREADS], after[FLOWPATH_MAX_THREADS];
    CHECK_EQ(flowpath_get_stats(before, FLOWPATH_MAX_THREADS), 1);
    struct flow_table *t = table_of((const char *const[]){"priority=1,actions=output:2", NULL});
    reset_ports();
    run(t, udp_frame(0, 30, dst_mac));
    run(t, udp_frame(0, 30, dst_mac));
    run(t, udp_frame(0, 30, dst_mac));
    flowpath_get_stats(after, FLOWPATH_MAX_THREADS);
    CHECK_EQ(after[0].misses - before[0].misses, 1);
    CHECK_EQ(after[0].hits - before[0].hits, 2);
    /* A new version: the cached entry is looked up again, once. */
    struct flow_table *t2 = table_of((const char *const[]){"priority=1,actions=output:1", NULL});
    run(t2, udp_frame(0, 30, dst_mac));
    run(t2, udp_frame(0, 30, dst_mac));
    flowpath_get_stats(after, FLOWPATH_MAX_THREADS);
    CHECK_EQ(after[0].revalidated - before[0].revalidated, 1);
    CHECK_EQ(after[0].hits - before[0].hits, 3);
    CHECK_EQ(queued(2), 3);
    CHECK_EQ(queued(1), 2);
    reset_ports();
    flowtable_free(t);
    flowtable_free(t2);
}

static void test_no_buffer(void)
{
    /* A copy for an output that a later action must not see fails when the pool is empty. */
    struct flow_table *t =
        table_of((const char *const[]){"priority=1,actions=output:1,mod_nw_tos:4,output:2", NULL});
    reset_ports();
    struct pkt *p = udp_frame(0, 40, dst_mac);
    struct pkt *hold[256];
    unsigned held = pkt_alloc_burst(pool, hold, 256);
    run(t, p);
    CHECK_EQ(ports[1].stats.tx_drops[DROP_NO_BUFFER], 1);
    CHECK_EQ(queued(1), 0);
    CHECK_EQ(queued(2), 1);
    pkt_free_burst(hold, held);
    reset_ports();
    CHECK_EQ(pkt_pool_available(pool), pkt_pool_size(pool));
    flowtable_free(t);
}

int main(void)
{
    setup();
    test_output_and_copies();
    test_drop_reasons();
    test_flood_all_normal();
    test_cache_counts();
    test_no_buffer();
    CHECK_EQ(pkt_pool_available(pool), pkt_pool_size(pool));
    pkt_pool_destroy(pool);
    return check_exit();
}

/* test_memif_switch.c - memif frames through the switch's decisions: a client that rewrites its
 * buffers after sending cannot change what was admitted, and every tag action works on them. */
#include "l2switch_dp.h"
#include "memif_rig.h"

#define FAKE_NPORTS 3
#include "fake_switch.h"

/* Queues and counters emptied, and no port with VLAN settings. */
static void reset_vlan_ports(void)
{
    reset_ports();
    for (unsigned i = 0; i < FAKE_NPORTS; i++) {
        ports[i].tag = 0;
        ports[i].trunk = false;
        memset(ports[i].trunks, 0, sizeof(ports[i].trunks));
    }
}

static void allow(struct port *p, uint16_t vid)
{
    p->trunk = true;
    p->trunks[vid >> 3] |= (uint8_t)(1u << (vid & 7));
}

/* The client posts a UDP frame to an unknown unicast MAC, with an 802.1Q tag if vid != 0;
 * returns where in the client's memory the frame lies. */
static uint8_t *client_send_udp(struct rig *r, uint16_t vid)
{
    uint16_t slot = r->s2m->head;
    struct memif_desc *d = &r->s2m->desc[slot & (SLOTS - 1)];
    uint8_t *f = r->mem + d->offset;
    memset(f, 0, 64);
    memcpy(f, (uint8_t[]){0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01}, 12);
    unsigned at = 12;
    if (vid) {
        f[12] = 0x81, f[13] = 0x00, f[14] = (uint8_t)(vid >> 8), f[15] = (uint8_t)vid;
        at = 16;
    }
    f[at] = 0x08, f[at + 1] = 0x00;
    uint8_t *ip = f + at + 2;
    ip[0] = 0x45, ip[3] = 28, ip[8] = 64, ip[9] = 17;
    d->length = vid ? 64 : 60;
    d->flags = 0;
    r->s2m->head = (uint16_t)(slot + 1);
    return f;
}

static struct pkt *receive_one(struct rig *r)
{
    struct pkt *pkts[PKT_BURST];
    unsigned n = memif_dp_rx(r->c, pkts, PKT_BURST, r->pool, &r->stats);
    CHECK_EQ(n, 1);
    return n == 1 ? pkts[0] : NULL;
}

static uint16_t queued_vid(unsigned port)
{
    if (ports[port].ntx != 1)
        return 0xffff;
    const uint8_t *f = ports[port].txq[0]->data;
    if (ports[port].txq[0]->len < 18 || f[12] != 0x81 || f[13] != 0x00)
        return 0;
    return (uint16_t)(((f[14] << 8) | f[15]) & 0x0fff);
}

/* The client sends a frame tagged for VLAN 10 and, once the switch has admitted it, rewrites
 * the tag to VLAN 20 in its buffer: the frame the switch sends on must still be VLAN 10. */
static void test_flipped_tag(void)
{
    struct rig r;
    rig_init(&r);
    r.c->in_port = 0;
    reset_vlan_ports();
    allow(&ports[0], 10); /* the client's port: a trunk of VLAN 10 only */
    allow(&ports[1], 10);
    allow(&ports[1], 20);
    ports[2].tag = 20;
    uint8_t *in_client = client_send_udp(&r, 10);
    struct pkt *p = receive_one(&r);
    if (p) {
        l2_normal(&dpt, &cfg, p);
        in_client[15] = 20;
        CHECK_EQ(queued_vid(1), 10);
        CHECK_EQ(ports[2].ntx, 0); /* VLAN 20's access port never sees it */
        /* Through the flow path too: rule matching and actions read the switch's copy. */
        struct flow_table *t =
            table_of((const char *const[]){"priority=10,dl_vlan=10,actions=output:1", NULL});
        cfg.flows = t;
        reset_vlan_ports();
        allow(&ports[0], 10);
        in_client = client_send_udp(&r, 10);
        struct pkt *q = receive_one(&r);
        if (q) {
            flowpath_process_burst(&dpt, &cfg, &q, 1, 1);
            in_client[15] = 20;
            CHECK_EQ(queued_vid(1), 10);
            pkt_free(q);
        }
        cfg.flows = NULL;
        flowtable_free(t);
        pkt_free(p);
    }
    reset_vlan_ports();
    CHECK_EQ(pkt_pool_available(r.pool), pkt_pool_size(r.pool));
    rig_free(&r);
}

/* An untagged client frame on an access port of VLAN 10 must leave a trunk tagged, whether
 * `normal` gets the frame itself or a copy (because an action after it changes the frame). */
static void test_tag_on_trunk(const char *flow)
{
    struct rig r;
    rig_init(&r);
    r.c->in_port = 0;
    reset_vlan_ports();
    ports[0].tag = 10;
    allow(&ports[1], 10);
    struct flow_table *t = table_of((const char *const[]){flow, NULL});
    cfg.flows = t;
    client_send_udp(&r, 0);
    struct pkt *p = receive_one(&r);
    if (p) {
        flowpath_process_burst(&dpt, &cfg, &p, 1, 1);
        if (queued_vid(1) != 10)
            fprintf(stderr, "flow %s\n", flow);
        CHECK_EQ(queued_vid(1), 10);
        CHECK(ports[1].ntx == 1 && ports[1].txq[0]->len == 64);
        CHECK_EQ(ports[1].stats.tx_drops[DROP_NO_BUFFER], 0);
        CHECK_EQ(ports[0].stats.rx_drops[DROP_NO_BUFFER], 0);
        pkt_free(p);
    }
    cfg.flows = NULL;
    flowtable_free(t);
    reset_vlan_ports();
    CHECK_EQ(pkt_pool_available(r.pool), pkt_pool_size(r.pool));
    rig_free(&r);
}

int main(void)
{
    fake_switch_setup();
    test_flipped_tag();
    test_tag_on_trunk("priority=10,actions=normal");
    test_tag_on_trunk("priority=10,actions=normal,mod_nw_tos:4,output:2");
    test_tag_on_trunk("priority=10,actions=mod_vlan_vid:10,output:1");
    test_tag_on_trunk("priority=10,actions=push_vlan:0x8100,mod_vlan_vid:10,output:1");
    return check_exit();
}

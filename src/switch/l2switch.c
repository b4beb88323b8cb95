/* l2switch.c - the `normal` action: MAC learning per VLAN, access and trunk ports, flooding of
 * unknown unicast and group traffic. Frames are retagged only when an output needs it. */
#include "l2switch_dp.h"

#include "eth.h"
#include "mactable.h"
#include "offload.h"
#include "transmit.h"

void l2_expire(const struct dp_config *cfg, uint32_t now_s)
{
    mactable_expire(cfg->fdb, now_s);
}

/* VLAN a frame belongs to on its input port: 0 for none, -1 if the port does not admit it. */
static int ingress_vlan(const struct port *in, const struct eth_info *ei)
{
    uint16_t vid = ei->tagged ? vlan_vid(ei->tci) : 0;
    if (in->tag)
        return vid == 0 ? in->tag : -1;
    if (in->trunk)
        return port_trunk_allows(in, vid) ? vid : -1;
    return vid;
}

/* How the frame must leave port out: 0 untagged, a VLAN id to tag, -1 not at all. */
static int egress_vlan(const struct port *out, int vlan)
{
    if (out->tag)
        return vlan == out->tag ? 0 : -1;
    if (out->trunk)
        return port_trunk_allows(out, (uint16_t)vlan) ? vlan : -1;
    return vlan;
}

struct variants {
    struct pkt *orig;
    struct eth_info ei;
    struct pkt *made[2]; /* [0] untagged, [1] tagged with the frame's VLAN */
};

/* The packet as an output port must see it (want: egress_vlan's answer), with a reference
 * taken for the output queue. */
static struct pkt *variant_for(struct variants *v, int want)
{
    bool tagged = v->ei.tagged;
    if ((want == 0 && !tagged) || (want != 0 && tagged && vlan_vid(v->ei.tci) == want)) {
        v->orig->refcnt++;
        return v->orig;
    }
    int slot = want ? 1 : 0;
    if (!v->made[slot]) {
        struct pkt *c = pkt_clone(v->orig);
        if (!c)
            return NULL;
        if (tagged) {
            eth_pop_vlan(&c->data, &c->len);
            offload_shift(&c->offload, -VLAN_HDR_LEN);
        }
        if (want) {
            uint16_t pcp_dei = tagged ? (v->ei.tci & 0xf000) : 0;
            /* A frame that cannot carry its tag must not leave untagged, in the native VLAN. */
            if (!eth_push_vlan(&c->data, &c->len, pkt_headroom(c), ETHTYPE_VLAN,
                               (uint16_t)(pcp_dei | (uint16_t)want))) {
                pkt_free(c);
                return NULL;
            }
            offload_shift(&c->offload, VLAN_HDR_LEN);
        }
        v->made[slot] = c;
    }
    v->made[slot]->refcnt++;
    return v->made[slot];
}

static void release_variants(struct variants *v)
{
    for (int i = 0; i < 2; i++)
        if (v->made[i])
            pkt_free(v->made[i]);
}

static bool output_to(struct dp_thread *t, const struct dp_config *cfg, struct variants *v,
                      uint32_t out_port, int vlan)
{
    struct port *port = cfg->slots[out_port].port;
    int want = egress_vlan(port, vlan);
    if (want < 0)
        return false;
    struct pkt *out = variant_for(v, want);
    if (!out) {
        port->stats.tx_drops[DROP_NO_BUFFER]++;
        return true;
    }
    dp_output(t, cfg, out_port, out);
    return true;
}

static void flood(struct dp_thread *t, const struct dp_config *cfg, struct variants *v, int vlan)
{
    uint32_t in = v->orig->in_port;
    bool any = false;
    for (uint32_t out_port = 0; out_port < cfg->nslots; out_port++) {
        if (!cfg->slots[out_port].port || out_port == in)
            continue;
        any |= output_to(t, cfg, v, out_port, vlan);
    }
    if (!any)
        dp_drop_rx(cfg, v->orig, DROP_NO_OUTPUT);
}

void l2_normal(struct dp_thread *t, const struct dp_config *cfg, struct pkt *p)
{
    uint32_t now_s = t->now_s;
    struct variants v = {.orig = p};
    if (!eth_parse(p->data, p->len, &v.ei)) {
        dp_drop_rx(cfg, p, DROP_MALFORMED);
        return;
    }
    const struct port *in = cfg->slots[p->in_port].port;
    int vlan = ingress_vlan(in, &v.ei);
    if (vlan < 0) {
        dp_drop_rx(cfg, p, DROP_VLAN);
        return;
    }
    if (!eth_is_multicast(v.ei.src))
        mactable_learn(cfg->fdb, v.ei.src, (uint16_t)vlan, p->in_port, now_s);
    uint32_t out_port;
    if (!eth_is_multicast(v.ei.dst) &&
        mactable_lookup(cfg->fdb, v.ei.dst, (uint16_t)vlan, now_s, &out_port) &&
        out_port < cfg->nslots && cfg->slots[out_port].port) {
        if (out_port == p->in_port || !output_to(t, cfg, &v, out_port, vlan))
            dp_drop_rx(cfg, p, DROP_NO_OUTPUT);
    } else {
        flood(t, cfg, &v, vlan);
    }
    release_variants(&v);
}

void l2_flood(struct dp_thread *t, const struct dp_config *cfg, struct pkt *p, bool all)
{
    if (all) {
        bool any = false;
        for (uint32_t out_port = 0; out_port < cfg->nslots; out_port++) {
            if (!cfg->slots[out_port].port || out_port == p->in_port)
                continue;
            p->refcnt++;
            dp_output(t, cfg, out_port, p);
            any = true;
        }
        if (!any)
            dp_drop_rx(cfg, p, DROP_NO_OUTPUT);
        return;
    }
    struct variants v = {.orig = p};
    if (!eth_parse(p->data, p->len, &v.ei)) {
        dp_drop_rx(cfg, p, DROP_MALFORMED);
        return;
    }
    /* Rules bypass the ports' VLAN admission; a frame its port would not admit floods in the
     * VLAN of its own tag (0: untagged). */
    int vlan = ingress_vlan(cfg->slots[p->in_port].port, &v.ei);
    if (vlan < 0)
        vlan = v.ei.tagged ? vlan_vid(v.ei.tci) : 0;
    flood(t, cfg, &v, vlan);
    release_variants(&v);
}

void l2_process_burst(struct dp_thread *t, const struct dp_config *cfg, struct pkt **pkts,
                      unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        l2_normal(t, cfg, pkts[i]);
}

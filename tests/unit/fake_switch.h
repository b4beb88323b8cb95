/* fake_switch.h - a switch configuration of fake ports for unit tests of the data path: ports
 * whose transmit queues the test inspects, one data-plane thread's state, and a rule table. */
#ifndef SLUICE_TEST_FAKE_SWITCH_H
#define SLUICE_TEST_FAKE_SWITCH_H

#include "check.h"
#include "dataplane.h"
#include "dp_thread.h"
#include "flowpath.h"
#include "flowtable.h"
#include "mactable.h"
#include "ofparse.h"
#include "port.h"

/* FAKE_NPORTS ports p0.., and FAKE_NSLOTS slots (more than ports: free slots rules may name). */
#ifndef FAKE_NSLOTS
#define FAKE_NSLOTS FAKE_NPORTS
#endif

static unsigned fake_tx(struct port *p, struct pkt **pkts, unsigned n)
{
    (void)p;
    (void)pkts;
    return n;
}
static const struct port_kind fake_kind = {
    .name = "fake", .tx = fake_tx, .flags = PORT_KIND_F_OFFLOAD};

static struct port ports[FAKE_NPORTS];
static struct dp_port slots[FAKE_NSLOTS];
static struct dp_config cfg;
static struct dp_thread dpt; /* the one data-plane thread's state */

static inline void fake_switch_setup(void)
{
    for (unsigned i = 0; i < FAKE_NPORTS; i++) {
        snprintf(ports[i].name, sizeof(ports[i].name), "p%u", i);
        ports[i].index = i;
        ports[i].kind = &fake_kind;
        slots[i].port = &ports[i];
    }
    cfg.nslots = FAKE_NSLOTS;
    cfg.slots = slots;
    dpt.flowpath = flowpath_create();
    dpt.now_s = 100;
    cfg.fdb = mactable_create(MACTABLE_DEFAULT_MAX, MACTABLE_DEFAULT_AGING);
    CHECK(dpt.flowpath && cfg.fdb);
}

/* Empties every port's queue and counters between cases. */
static inline void reset_ports(void)
{
    for (unsigned i = 0; i < FAKE_NPORTS; i++) {
        pkt_free_burst(ports[i].txq, ports[i].ntx);
        ports[i].ntx = 0;
        ports[i].tx_pending = false;
        memset(&ports[i].stats, 0, sizeof(ports[i].stats));
    }
    dpt.npending = 0;
}

/* A table holding the rules of a NULL-terminated list, in ovs-ofctl syntax. */
static inline struct flow_table *table_of(const char *const *flows)
{
    struct flow_table *empty = flowtable_create();
    struct flow_edit *e = flowtable_edit_begin(empty);
    char err[256];
    for (unsigned i = 0; flows[i]; i++) {
        struct flow_mod fm;
        int rc = ofp_parse_flow(flows[i], FLOW_CMD_ADD, NULL, &fm, err, sizeof(err));
        if (rc)
            fprintf(stderr, "%s: %s\n", flows[i], err);
        CHECK_EQ(rc, 0);
        CHECK(flowtable_edit_apply(e, &fm, 1, err, sizeof(err)) >= 0);
        flow_mod_release(&fm);
    }
    struct flow_table *t = flowtable_edit_commit(e);
    flowtable_free(empty);
    return t;
}

#endif

/* dataplane.h - the data-plane thread and the immutable configuration versions it runs on.
 * The management thread builds a new version, publishes it with one atomic store, and frees
 * the old one once the data plane has passed a quiescent point. */
#ifndef SLUICE_DATAPLANE_H
#define SLUICE_DATAPLANE_H

#include <stdbool.h>
#include <stdint.h>

#include "packet.h"
#include "port.h"

struct capture_agent;
struct flow_table;
struct mactable;

#define DP_MAX_CAPTURES_PER_POINT 32

/* One port as a version sees it: the port and the capture agents on its two points. */
struct dp_port {
    struct port *port;
    uint8_t ncaps[2]; /* [0] receive point, [1] transmit point */
    struct capture_agent *caps[2][DP_MAX_CAPTURES_PER_POINT];
};

struct dp_config {
    uint64_t version;
    uint32_t nslots;                /* port indexes are below nslots */
    struct dp_port *slots;          /* slots[i].port is NULL for a free index */
    const struct flow_table *flows; /* NULL: every packet takes the `normal` action */
    uint32_t mac_aging_s;
    /* The switch's MAC table: one for the switch, the same in every version. Only the
     * data-plane thread touches it; the management thread through dp_call. */
    struct mactable *fdb;
    /* Draft only: ports taken out, closed once the draft is committed. */
    struct port **removed;
    unsigned nremoved;
};

/* Creates the switch's MAC table and starts the data-plane thread. 0 or -1. */
int dp_start(uint32_t mac_aging_s, uint32_t mac_max);
void dp_stop(void);

/* The version in force (management thread only). */
const struct dp_config *dp_current(void);
/* A private, mutable copy of the current version for the management thread to change. */
struct dp_config *dp_config_copy(void);
void dp_config_free(struct dp_config *c);
/* Publishes c, waits until the data plane no longer uses the previous version, frees it. */
void dp_config_commit(struct dp_config *c);

/* Blocks until the data-plane thread passes a quiescent point (holds no reference to
 * anything unpublished before the call). Immediate if the thread sleeps. */
void dp_sync(void);

/* Runs fn(arg) on the data-plane thread between bursts and waits for it. Used to read or
 * change state that only the data plane owns (the MAC table, cfg->fdb). */
void dp_call(void (*fn)(void *arg), void *arg);

/* Registers a port's readiness fd with the data plane (or not, if it has none). */
int dp_watch_port(struct port *p);
void dp_unwatch_port(struct port *p);

/* Wakes the data plane so it polls every port at least once (after a port comes up). */
void dp_kick(void);

uint64_t dp_now_ns(void); /* CLOCK_REALTIME */

#endif

/* l2switch_dp.h - the learning switch as the data-plane thread calls it.
 * Only the data-plane thread calls these (l2_init before it starts). */
#ifndef SLUICE_L2SWITCH_DP_H
#define SLUICE_L2SWITCH_DP_H

#include "dataplane.h"

int l2_init(void);
/* The `normal` action for a whole burst, or for one packet (from a flow's actions). */
void l2_process_burst(const struct dp_config *cfg, struct pkt **pkts, unsigned n, uint32_t now_s);
void l2_normal(const struct dp_config *cfg, struct pkt *p, uint32_t now_s);
/* `flood` (all ports but the input, VLAN rules applied) and `all` (include the input). */
void l2_flood(const struct dp_config *cfg, struct pkt *p, bool include_input);
void l2_expire(const struct dp_config *cfg, uint32_t now_s);

#endif

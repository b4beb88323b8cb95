/* l2switch_dp.h - the learning switch as the data-plane thread calls it.
 * Only the data-plane thread calls these (l2_init before it starts). */
#ifndef SLUICE_L2SWITCH_DP_H
#define SLUICE_L2SWITCH_DP_H

#include "dataplane.h"

int l2_init(void);
/* The `normal` action for a whole burst, or for one packet (from a flow's actions). */
void l2_process_burst(const struct dp_config *cfg, struct pkt **pkts, unsigned n, uint32_t now_s);
void l2_normal(const struct dp_config *cfg, struct pkt *p, uint32_t now_s);
/* The flood actions of flow rules; neither sends back out of the receiving port (output to
 * in_port is the only way back, as OpenFlow has it).
 *   all=false (`flood`): the ports of the frame's VLAN, retagged as each port needs, exactly
 *                        where the learning switch floods an unknown destination;
 *   all=true  (`all`):   every other port, the frame unchanged (as output:PORT sends it). */
void l2_flood(const struct dp_config *cfg, struct pkt *p, bool all);
void l2_expire(const struct dp_config *cfg, uint32_t now_s);

#endif

/* l2switch_dp.h - the `normal` action as the data-plane thread calls it: a MAC-learning switch
 * per VLAN with access and trunk ports, learning into and looking up in cfg->fdb. */
#ifndef SLUICE_L2SWITCH_DP_H
#define SLUICE_L2SWITCH_DP_H

#include <stdbool.h>
#include <stdint.h>

#include "dataplane.h"
#include "dp_thread.h"
#include "packet.h"

/* The `normal` action for a whole burst, or for one packet (from a flow's actions). */
void l2_process_burst(struct dp_thread *t, const struct dp_config *cfg, struct pkt **pkts,
                      unsigned n);
void l2_normal(struct dp_thread *t, const struct dp_config *cfg, struct pkt *p);
/* The flood actions of flow rules; neither sends back out of the receiving port (output to
 * in_port is the only way back, as OpenFlow has it).
 *   all=false (`flood`): the ports of the frame's VLAN, retagged as each port needs, exactly
 *                        where the learning switch floods an unknown destination;
 *   all=true  (`all`):   every other port, the frame unchanged (as output:PORT sends it). */
void l2_flood(struct dp_thread *t, const struct dp_config *cfg, struct pkt *p, bool all);
void l2_expire(const struct dp_config *cfg, uint32_t now_s);

#endif

/* l2switch.h - the `normal` action: a MAC-learning switch per VLAN with access and trunk
 * ports. Its MAC table belongs to the data-plane thread. */
#ifndef SLUICE_L2SWITCH_H
#define SLUICE_L2SWITCH_H

#include <stdint.h>

#include "eth.h"

/* Management thread: adds permanent entries (they never age and are never evicted), e.g. the
 * addresses of virtual NICs, so unicast to them is one hash lookup from the first packet. */
int l2_fdb_add_static(const uint8_t mac[ETH_ADDR_LEN], uint16_t vlan, uint32_t port_index);
void l2_fdb_del_port(uint32_t port_index);

#endif

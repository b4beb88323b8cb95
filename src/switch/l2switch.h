/* l2switch.h - the MAC table as the management thread changes and reads it (fdb_rpc.c); the
 * table is cfg->fdb, and these run on the data-plane thread through dp_call. */
#ifndef SLUICE_L2SWITCH_H
#define SLUICE_L2SWITCH_H

#include <stdbool.h>
#include <stdint.h>

#include "eth.h"
#include "mactable.h"

/* Management thread: adds permanent entries (they never age and are never evicted), e.g. the
 * addresses of virtual NICs, so unicast to them is one hash lookup from the first packet. */
int l2_fdb_add_static(const uint8_t mac[ETH_ADDR_LEN], uint16_t vlan, uint32_t port_index);
/* The same for n entries in one trip to the data-plane thread: macs[i] on ports[i]. Returns
 * how many were added before the first failure (n when all were). */
unsigned l2_fdb_add_static_many(const uint8_t (*macs)[ETH_ADDR_LEN], const uint32_t *ports,
                                unsigned n, uint16_t vlan);
void l2_fdb_del_port(uint32_t port_index);
/* l2_fdb_del_port for n ports in one trip to the data-plane thread. */
void l2_fdb_del_ports(const uint32_t *port_indexes, unsigned n);
/* Removes learned entries (and static ones if asked) on a port, or all ports (UINT32_MAX). */
unsigned l2_fdb_flush(uint32_t port_index, bool include_static);
/* A snapshot of the table, oldest first; the caller frees it. */
struct mac_entry_info *l2_fdb_dump(unsigned *n);
void l2_set_aging(uint32_t aging_s);

#endif

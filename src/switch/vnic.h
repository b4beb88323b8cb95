/* vnic.h - virtual NICs: TAP devices attached to the switch, each with its own MAC and IPv4
 * address and optionally its own network namespace (control methods vnic.add/del/list). */
#ifndef SLUICE_VNIC_H
#define SLUICE_VNIC_H

/* At exit, before the ports close: removes the virtual NICs of the switch's own namespace in
 * one batch (closing their descriptors one by one would cost the kernel a grace period
 * each). Those with a namespace stay, without carrier, until the switch restarts. */
void vnic_shutdown(void);

#endif

/* vnic_build.h - one batch of virtual NICs being created or torn down: their devices (in the
 * switch's namespace or each in its own), switch ports and static MAC entries. */
#ifndef SLUICE_VNIC_BUILD_H
#define SLUICE_VNIC_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#include "dataplane.h"
#include "vnic_spec.h"

struct vnic_build {
    const struct vnic_entry *e;
    unsigned n;
    bool restore;    /* re-creating stored ones: reuse namespaces, skip failures */
    int *fd;         /* TAP descriptor while no port owns it, else -1 */
    int *ifindex;    /* 0 until the device exists */
    bool *ns_made;   /* the namespace is ours to delete on teardown */
    bool *ok;        /* the device exists, configured */
    bool *has_port;  /* a port was created for it */
    uint32_t *port;  /* its index */
    unsigned *order; /* namespace jobs: job number -> entry */
    unsigned order_base;
    struct dp_config *draft; /* ports created but not yet committed */
    bool committed;
    char err[512];
};

/* Prepares a build of e[0..n-1] (not copied: e must outlive it). -1 when out of memory. */
int vnic_build_init(struct vnic_build *b, const struct vnic_entry *e, unsigned n, bool restore);
void vnic_build_free(struct vnic_build *b);

/* Creates the devices, ports and MAC entries. On failure (not restoring) nothing of it is left
 * and b->err says why; restoring, entries that fail are logged and left out (has_port false). */
int vnic_build_run(struct vnic_build *b);

/* Removes what the build holds: devices of the switch's namespace in one group deletion, then
 * namespaces marked ns_made, then ports (committed or still in the draft) and MAC entries,
 * then descriptors no port took. To remove existing virtual NICs, fill ifindex, ns_made,
 * has_port and port, and set committed. */
void vnic_build_teardown(struct vnic_build *b);

/* Deletes the links ifindex[j] of the switch's namespace for which pick[j] is set. */
void vnic_delete_host_links(const int *ifindex, const bool *pick, unsigned n);

#endif

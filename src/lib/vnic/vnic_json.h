/* vnic_json.h - virtual NIC requests and records as JSON (control parameters, the stored
 * configuration) and sluicectl's vnic-add/vnic-del arguments turned into those parameters.
 * Every input here is untrusted: anything unexpected is refused with a one-line error. */
#ifndef SLUICE_VNIC_JSON_H
#define SLUICE_VNIC_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "json.h"
#include "vnic_spec.h"

/* vnic.add parameters: {"count": N, "mac": "02:..", "ip": "A.B.C.D/P", "name": PREFIX,
 * "netns": PREFIX, "ipv6": BOOL}; name, netns and ipv6 are optional. Checks types and
 * syntax; the ranges are checked by vnic_request_check. `first` is left 0. */
int vnic_request_from_json(const struct json *params, struct vnic_request *r, char *err,
                           size_t errlen);

/* One record: {"name", "mac", "ip": "A.B.C.D/P", "netns" (if any), "ipv6"}. */
void vnic_entry_write(struct jw *w, const struct vnic_entry *e);
/* Reads a record written by vnic_entry_write and checks it (vnic_entry_check). */
int vnic_entry_from_json(const struct json *j, struct vnic_entry *e, char *err, size_t errlen);

/* vnic.del parameters: {"select": ["vnic3", "vnic5..vnic9", ...]} or {"all": true}.
 * Fills sel (room for max) and *nsel, or sets *all. */
int vnic_del_from_json(const struct json *params, struct vnic_selector *sel, unsigned max,
                       unsigned *nsel, bool *all, char *err, size_t errlen);

/* sluicectl: `vnic-add --count N --mac BASE --ip BASE/PREFIX [--netns P] [--name P] [--ipv6]`
 * (argv[0] is the command; --opt=value also accepted) into vnic.add parameters. */
int vnic_add_args_to_json(int argc, char **argv, struct jw *w, char *err, size_t errlen);
/* `vnic-del NAME|FIRST..LAST...` or `vnic-del --all` into vnic.del parameters. */
int vnic_del_args_to_json(int argc, char **argv, struct jw *w, char *err, size_t errlen);

#endif

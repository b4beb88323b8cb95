/* ofparse.h - flows in ovs-ofctl syntax: parsing matches, actions and rule attributes into a
 * flow_mod, and formatting rules back exactly as `ovs-ofctl dump-flows` prints them.
 *
 * Input is untrusted (it comes from control clients and saved files): every token is checked
 * and an error message names the offending token, e.g.
 *     "tp_src=70000: value out of range (0 to 65535)"
 *     "nw_src=10.0.0.1: nw_src needs ip or arp in the match (e.g. ip,nw_src=...)"
 * See docs/flows.md for the supported fields and actions. */
#ifndef SLUICE_OFPARSE_H
#define SLUICE_OFPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtable.h"

#define OFP_MAX_INPUT 65536 /* longest flow text accepted */
#define OFP_LINE_MAX 4096   /* room for any formatted rule */

/* Port names: in_port=NAME and output:NAME are resolved through this (the switch's port
 * table). Without it only numbers are accepted. Returns false for an unknown name. */
struct ofp_ports {
    bool (*resolve)(void *arg, const char *name, uint32_t *index);
    void *arg;
};

/* Parses one flow for command cmd into *fm (which this initialises; free its contents with
 * flow_mod_release, also after an error). What is allowed depends on cmd, as in ovs-ofctl:
 *  - add, modify[_strict]: actions=... is required and last; priority, cookie, timeouts;
 *    modify also accepts cookie=V/M to select rules (and cookie=V to set a new cookie);
 *  - delete (and dump-flows filters): no priority, no actions; cookie=V/M and out_port=P filter;
 *  - delete_strict: like delete, plus priority.
 * Returns 0, or -1 with a message in err. */
int ofp_parse_flow(const char *text, enum flow_cmd cmd, const struct ofp_ports *ports,
                   struct flow_mod *fm, char *err, size_t errlen);

/* One line of an add-flows file: an optional leading command word (add, modify, delete,
 * modify_strict, delete_strict; default add) then a flow. Returns 1 for a blank or comment
 * (#) line, 0 for a flow (fm set), -1 with err. */
int ofp_parse_flow_line(const char *line, const struct ofp_ports *ports, struct flow_mod *fm,
                        char *err, size_t errlen);

/* Formatting. Each writes a NUL-terminated string into buf (size bytes) and returns the length
 * the full text needs, like snprintf. */

/* "priority=100,tcp,nw_dst=10.0.0.0/8,tp_dst=80" (ovs-ofctl's match format; the priority is
 * omitted when it is the default 32768; "" for a catch-all at the default priority). */
size_t ofp_format_match(const struct flow_key *value, const struct flow_key *mask,
                        uint32_t priority, char *buf, size_t size);
/* "output:2,mod_vlan_vid:5,NORMAL", or "drop" for an empty list. */
size_t ofp_format_actions(const struct flow_actions *acts, char *buf, size_t size);
/* One dump-flows line, e.g.
 * " cookie=0x0, duration=1.234s, table=0, n_packets=0, n_bytes=0, idle_age=1,
 *  priority=100,ip,nw_dst=10.0.0.1 actions=output:2" (on one line). Times in now_ns's clock. */
size_t ofp_format_flow_stats(const struct flow_rule *r, uint64_t now_ns, char *buf, size_t size);
/* The add-flow text that recreates the rule (cookie, timeouts, priority, match, actions). */
size_t ofp_format_flow(const struct flow_rule *r, char *buf, size_t size);

#endif

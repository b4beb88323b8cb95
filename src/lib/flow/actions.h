/* actions.h - a flow rule's action list and its execution on one packet.
 * Header edits update the IPv4, TCP and UDP checksums incrementally (RFC 1624); outputs are
 * handed to the caller through flow_output_ops, so the switch decides how packets are sent.
 *
 * Use (data-plane thread, per packet, after the rule is found):
 *     enum flow_verdict v = flow_actions_execute(rule->actions, pkt, &ops, ctx);
 * ops->output/normal/flood are called in action order with the packet as it is at that point.
 * When `last` is false a later action will still change the packet, so the callee must copy it
 * if it keeps it beyond the call (e.g. queues it for transmission at the end of the burst); when
 * true it may keep a reference instead. Output to the receiving port is skipped unless the
 * action is in_port, as OpenFlow requires. Actions that do not apply to a packet (mod_nw_src on
 * ARP, dec_ttl on non-IP, mod_tp_dst on ICMP or a later fragment) leave it unchanged. */
#ifndef SLUICE_ACTIONS_H
#define SLUICE_ACTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "packet.h"

enum flow_action_type {
    FA_OUTPUT,       /* port */
    FA_IN_PORT,      /* back out of the receiving port */
    FA_NORMAL,       /* the learning switch */
    FA_FLOOD,        /* every port but the receiving one (and those flooding excludes) */
    FA_ALL,          /* every port but the receiving one */
    FA_MOD_VLAN_VID, /* vid; pushes a tag if the frame has none */
    FA_MOD_VLAN_PCP, /* pcp; pushes a tag if the frame has none */
    FA_STRIP_VLAN,
    FA_PUSH_VLAN,  /* tpid; the new tag has VID 0 and PCP 0 */
    FA_MOD_DL_SRC, /* mac */
    FA_MOD_DL_DST,
    FA_MOD_NW_SRC, /* ipv4 (host order); IPv4 only */
    FA_MOD_NW_DST,
    FA_MOD_NW_TOS, /* tos: the DSCP bits (a multiple of 4); IPv4 TOS or IPv6 traffic class */
    FA_MOD_TP_SRC, /* tp_port; TCP and UDP */
    FA_MOD_TP_DST,
    FA_DEC_TTL, /* IPv4 TTL or IPv6 hop limit; at 0 or 1 the packet is dropped */
    FA_TYPE_COUNT
};

struct flow_action {
    uint8_t type;       /* enum flow_action_type */
    bool changes_later; /* a later action modifies the packet (set by flow_actions_new) */
    union {
        uint32_t port;
        uint16_t vid;
        uint8_t pcp;
        uint16_t tpid;
        uint8_t mac[6];
        uint32_t ipv4;
        uint8_t tos;
        uint16_t tp_port;
    } arg;
};

#define FLOW_MAX_ACTIONS 64

/* An immutable list; zero actions means drop. */
struct flow_actions {
    uint32_t n;
    struct flow_action a[];
};

/* Copies n actions (n <= FLOW_MAX_ACTIONS) into a new list. NULL if out of memory. */
struct flow_actions *flow_actions_new(const struct flow_action *a, unsigned n);
void flow_actions_free(struct flow_actions *acts);
struct flow_actions *flow_actions_clone(const struct flow_actions *acts);
bool flow_actions_equal(const struct flow_actions *x, const struct flow_actions *y);
/* Does the list output to port (output:port)? Used by out_port filters. */
bool flow_actions_output_to(const struct flow_actions *acts, uint32_t port);
/* Does an action of the list modify the packet? */
bool flow_actions_modify(const struct flow_actions *acts);

struct flow_output_ops {
    void (*output)(void *ctx, struct pkt *p, uint32_t port, bool last);
    void (*normal)(void *ctx, struct pkt *p, bool last);
    void (*flood)(void *ctx, struct pkt *p, bool all, bool last);
};

enum flow_verdict {
    FLOW_SENT,        /* at least one output */
    FLOW_DROPPED,     /* no output: explicit drop or no output action */
    FLOW_TTL_EXPIRED, /* dec_ttl found TTL <= 1; outputs before it happened */
    FLOW_NO_ROOM,     /* no room to add a VLAN tag; outputs before it happened */
};

enum flow_verdict flow_actions_execute(const struct flow_actions *acts, struct pkt *p,
                                       const struct flow_output_ops *ops, void *ctx);

#endif

/* capture_agent.h - a capture agent as the data plane runs it: the agent's state, shared
 * with the management half (capture.c) that creates, hooks and frees agents. */
#ifndef SLUICE_CAPTURE_AGENT_H
#define SLUICE_CAPTURE_AGENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "capring.h"
#include "packet.h"
#include "port.h"
#include "sbpf.h"

struct capture_agent {
    uint64_t id;
    uint64_t conn_id;
    pid_t pid;
    uint32_t port_index;
    char port_name[PORT_NAME_MAX];
    bool on_rx, on_tx;
    uint32_t snaplen;
    struct sbpf_filter *filter;
    struct capring_prod ring;
    char filter_text[256];
    uint64_t seen, matched; /* data-plane thread; mirrored into the ring header */
    _Atomic bool broken;    /* the reader wrote an impossible consumer index */
};

/* Data-plane thread: runs each agent on the burst (dir is CAPDIR_IN or CAPDIR_OUT). */
void capture_run(struct capture_agent *const *agents, unsigned nagents, struct pkt *const *pkts,
                 unsigned n, uint8_t dir);

#endif

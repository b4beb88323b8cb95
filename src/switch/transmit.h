/* transmit.h - the output side of the data plane: per-port output queues filled during a
 * burst, and their flush through transmit-point capture and the offload fallback to the port. */
#ifndef SLUICE_TRANSMIT_H
#define SLUICE_TRANSMIT_H

#include <stdint.h>

#include "dataplane.h"
#include "dp_thread.h"
#include "packet.h"

/* Queues a packet for output on port out_port of cfg (the caller has taken a reference for
 * it); sent by tx_flush_all at the end of the current burst, or earlier if the queue fills. */
void dp_output(struct dp_thread *t, const struct dp_config *cfg, uint32_t out_port, struct pkt *p);
/* Sends every queue that has packets. */
void tx_flush_all(struct dp_thread *t, const struct dp_config *cfg);

#endif

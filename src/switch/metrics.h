/* metrics.h - the Prometheus metrics endpoint (sluiced --metrics ADDR:PORT): a small HTTP
 * server on the management loop, and the counters it exposes. */
#ifndef SLUICE_METRICS_H
#define SLUICE_METRICS_H

#include <stddef.h>
#include <sys/socket.h>

#include "dataplane.h"
#include "promtext.h"

/* Clients served at once; when all slots are taken a new connection evicts the oldest
 * answered, then the oldest silent, then the oldest slow client (metrics.c). */
#define METRICS_MAX_CLIENTS 8
#define METRICS_REQUEST_MAX 4096
#define METRICS_READ_TIMEOUT_MS 5000  /* from accept to a complete request head */
#define METRICS_WRITE_TIMEOUT_MS 5000 /* from the request to the answer's last byte sent */
#define METRICS_DRAIN_TIMEOUT_MS 2000 /* answered, waiting for the client to close */
#define METRICS_SWEEP_MS 250          /* how often deadlines are checked */

/* Starts serving on ADDR:PORT ("127.0.0.1:9470", "[::1]:9470", "localhost:9470").
 * Management thread; 0, or -1 after logging why. */
int metrics_start(const char *addr_port);
void metrics_stop(void);

/* Parses ADDR:PORT (numeric addresses or localhost). 0, or -1 with a one-line error. */
int metrics_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *sslen, char *err,
                       size_t errlen);

/* The whole exposition: ports of the current version, captures, the flow cache. */
void metrics_render(struct promtext *pt);
/* Per-port counters of cfg (read with relaxed loads: only the data plane writes them). */
void metrics_write_ports(struct promtext *pt, const struct dp_config *cfg);
/* Open captures and their counters. */
void metrics_write_captures(struct promtext *pt);
/* Flow-cache hits, misses and revalidations per data-plane thread. */
void metrics_write_flow_cache(struct promtext *pt);

#endif

/* stats_detail.h - the `port-stats --detail` table: a port's traffic classification counters
 * (network and transport protocol, cast, RMON size buckets) received and sent. */
#ifndef SLUICE_STATS_DETAIL_H
#define SLUICE_STATS_DETAIL_H

#include "json.h"

/* Prints the table for one port's "stats" object (with traffic_rx and traffic_tx). */
void stats_print_detail(const struct json *stats);

#endif

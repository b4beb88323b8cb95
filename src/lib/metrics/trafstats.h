/* trafstats.h - always-on traffic classification counters: packets and bytes by L3 and L4
 * class, by cast, and by RMON size bucket. One writer thread; readers load relaxed. */
#ifndef SLUICE_TRAFSTATS_H
#define SLUICE_TRAFSTATS_H

#include <stdint.h>

#include "packet.h"

enum ts_l3 { TS_L3_IPV4, TS_L3_IPV6, TS_L3_ARP, TS_L3_OTHER, TS_L3_MAX };
enum ts_l4 { TS_L4_TCP, TS_L4_UDP, TS_L4_ICMP, TS_L4_OTHER, TS_L4_MAX }; /* IP packets only */
enum ts_cast { TS_UNICAST, TS_MULTICAST, TS_BROADCAST, TS_CAST_MAX };
/* RMON size buckets: 64 (and less), 65-127, 128-255, 256-511, 512-1023, 1024-1518, larger. */
#define TS_SIZE_BUCKETS 7

extern const char *const ts_l3_names[TS_L3_MAX];
extern const char *const ts_l4_names[TS_L4_MAX];
extern const char *const ts_cast_names[TS_CAST_MAX];
extern const char *const ts_size_names[TS_SIZE_BUCKETS];

struct traf_counters {
    uint64_t l3_packets[TS_L3_MAX], l3_bytes[TS_L3_MAX];
    uint64_t l4_packets[TS_L4_MAX], l4_bytes[TS_L4_MAX];
    uint64_t cast_packets[TS_CAST_MAX];
    uint64_t size_packets[TS_SIZE_BUCKETS];
};

/* Classification of one frame (reads stay within len). Sizes are frame lengths without FCS,
 * so a minimum Ethernet frame (60 bytes here) falls in the first bucket. */
struct ts_class {
    uint8_t l3, l4, cast, size; /* l4 is TS_L4_MAX for frames that are not IP */
};
struct ts_class trafstats_classify(const uint8_t *frame, uint32_t len);
unsigned trafstats_size_bucket(uint32_t len);

void trafstats_count(struct traf_counters *c, struct pkt *const *pkts, unsigned n);

#endif

/* analyze.h - sluicedump --analyze: traffic statistics from packet headers (rates, protocol
 * and size distributions, top talkers by IP pair and by 5-tuple), reported per interval. */
#ifndef SLUICE_DUMP_ANALYZE_H
#define SLUICE_DUMP_ANALYZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define AN_L3 4 /* ipv4, ipv6, arp, other: the switch's classes (trafstats.h) */
#define AN_L4 4 /* tcp, udp, icmp (ICMPv6 under IPv6), other */
#define AN_SIZES 7
#define AN_TOP 10
#define AN_TABLE_MAX (1u << 18) /* conversations tracked per table; more are counted apart */

/* What the headers of one frame say. Reads stay within caplen. */
struct an_pkt {
    uint8_t l3;     /* index into ts_l3_names */
    uint8_t l4;     /* index into ts_l4_names; AN_L4 when not IP */
    uint8_t family; /* 4 or 6 when addresses were read, else 0 */
    uint8_t proto;  /* IP protocol of the transport header (after IPv6 extension headers) */
    bool has_ports; /* TCP or UDP header read (first fragment only) */
    uint8_t src[16], dst[16];
    uint16_t sport, dport;
};
void analyze_decode(const uint8_t *frame, uint32_t caplen, struct an_pkt *p);

/* A conversation: both directions together, the lower endpoint first. */
struct an_key {
    uint8_t family, proto; /* proto 0 and no ports for IP pairs */
    uint16_t port_a, port_b;
    uint8_t addr_a[16], addr_b[16];
};
struct an_entry {
    struct an_key key;
    uint64_t packets, bytes;
    bool used;
};
struct an_table {
    struct an_entry *slots;
    size_t cap, n, max;
    uint64_t untracked_packets, untracked_bytes; /* conversations beyond max */
};
void an_table_init(struct an_table *t, size_t max);
void an_table_free(struct an_table *t);
void an_table_clear(struct an_table *t);
/* Adds a packet to the key's conversation. */
void an_table_add(struct an_table *t, const struct an_key *k, uint32_t bytes);
/* The n (at most AN_TOP) largest by bytes, then packets; ties in key order. */
unsigned an_table_top(const struct an_table *t, const struct an_entry **top, unsigned n);
/* The canonical keys of a decoded packet (false when it has no addresses / no ports). */
bool an_pair_key(const struct an_pkt *p, struct an_key *k);
bool an_flow_key(const struct an_pkt *p, struct an_key *k);

struct an_stats {
    uint64_t packets, bytes;
    uint64_t first_ns, last_ns;
    uint64_t l3_packets[AN_L3], l3_bytes[AN_L3];
    uint64_t l4_packets[2][AN_L4], l4_bytes[2][AN_L4]; /* [0] under IPv4, [1] under IPv6 */
    uint64_t size_packets[AN_SIZES];
    struct an_table pairs, flows;
};

struct analyzer {
    FILE *out;
    uint64_t interval_ns; /* 0: report only at the end */
    uint64_t interval_end_ns;
    unsigned intervals;
    struct an_stats total, interval;
};

int analyzer_init(struct analyzer *a, FILE *out, uint64_t interval_ns);
void analyzer_free(struct analyzer *a);
/* One packet: ts in ns, caplen bytes captured of a frame origlen long. Reports intervals
 * that ended before ts first (intervals are aligned to the first packet's time). */
void analyzer_packet(struct analyzer *a, uint64_t ts_ns, const uint8_t *data, uint32_t caplen,
                     uint32_t origlen);
/* Reports the interval in progress if now_ns is past its end (live captures when idle). */
void analyzer_tick(struct analyzer *a, uint64_t now_ns);
/* The last interval, then the totals. */
void analyzer_finish(struct analyzer *a);
/* Prints one report of s (title names it). */
void analyzer_report(FILE *out, const char *title, const struct an_stats *s);

struct sink;
struct dump_options;
/* The --analyze output: every packet goes to an analyzer printing on standard output; a live
 * capture's intervals follow the clock, a file's follow its time stamps. NULL if no memory. */
struct sink *sink_analyze_open(const struct dump_options *o);

#endif

/* print.h - the packet printer of sluicedump: one line per Ethernet frame in the format of
 * `tcpdump -n` (with its -e, -v, -q, -x, -X and -t variants). */
#ifndef SLUICE_DUMP_PRINT_H
#define SLUICE_DUMP_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define PRINT_TCP_TABLE 4096

struct print_opts {
    int vflag;   /* -v count */
    int xflag;   /* -x count: 1 hex after the link header, 2 with it */
    int Xflag;   /* -X count: as -x, with ASCII */
    bool eflag;  /* -e: the link-level header */
    bool qflag;  /* -q: less protocol detail */
    bool Sflag;  /* -S: absolute TCP sequence numbers */
    int tflag;   /* 0 time of day, 1 none (-t), 2 epoch (-tt), 3 delta (-ttt), 4 date (-tttt),
                  * 5 since the first packet (-ttttt) */
    bool nano;   /* nanosecond fractions */
    bool ifname; /* prefix the port name and direction (several ports captured) */
};

/* Initial sequence numbers of TCP conversations, for relative numbering as tcpdump does. */
struct tcp_seq_entry {
    bool used;
    uint8_t family;
    uint8_t src[16], dst[16];
    uint32_t ports;
    uint32_t seq, ack;
};

struct printer {
    struct print_opts o;
    FILE *out;
    uint64_t ref_ns; /* -ttt/-ttttt reference time */
    bool have_ref;
    struct tcp_seq_entry tcp[PRINT_TCP_TABLE];
};

/* Everything the printer knows about a packet besides its bytes. */
struct print_meta {
    uint64_t ts_ns;
    const char *ifname; /* port name, shown when opts.ifname */
    uint8_t dir;        /* CAPDIR_IN, CAPDIR_OUT or 0 */
};

void printer_init(struct printer *p, const struct print_opts *o, FILE *out);
/* Prints one frame of origlen bytes of which caplen are at pkt; never reads past caplen. */
void print_packet(struct printer *p, const struct print_meta *m, const uint8_t *pkt,
                  uint32_t caplen, uint32_t origlen);

#endif

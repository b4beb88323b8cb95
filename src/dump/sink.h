/* sink.h - where sluicedump's packets go: a small interface with one implementation per
 * output (printed lines, a pcap/pcapng file or stream), so that the capture loop and the file
 * reader do not care which one is in use. */
#ifndef SLUICE_DUMP_SINK_H
#define SLUICE_DUMP_SINK_H

#include <stdbool.h>
#include <stdint.h>

#include "options.h"
#include "pcapfile.h"

struct dump_pkt {
    unsigned ifidx;     /* which of the captured ports */
    const char *ifname; /* its name */
    uint64_t ts_ns;
    const uint8_t *data;
    uint32_t caplen;
    uint32_t origlen;
    uint8_t dir; /* CAPDIR_IN, CAPDIR_OUT or 0 */
};

struct sink;

struct sink_ops {
    /* 0, or -1 with s->err set (s->pipe_closed when the reader of standard output left). */
    int (*packet)(struct sink *s, const struct dump_pkt *p);
    /* The end of a batch of packets read from the rings: make them visible if streaming. */
    int (*batch_end)(struct sink *s);
    /* Counters of port ifidx, for outputs that record them (pcapng statistics). */
    void (*stats)(struct sink *s, unsigned ifidx, const struct pcapfile_if_stats *st);
    /* Finishes the output and frees the sink. 0 or -1 (message in err). */
    int (*close)(struct sink *s, char *err, size_t errlen);
};

struct sink {
    const struct sink_ops *ops;
    bool pipe_closed;
    char err[256];
};

/* Printed lines on standard output, like tcpdump -n. */
struct sink *sink_print_open(const struct dump_options *o, unsigned nports);
/* A capture file (or standard output) for the given ports. NULL with err on failure. */
struct sink *sink_file_open(const struct dump_options *o, const char *const *ports, unsigned nports,
                            char *err, size_t errlen);

#endif

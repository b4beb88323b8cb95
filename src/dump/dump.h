/* dump.h - the parts of sluicedump that main.c strings together besides the session:
 * compiling the filter and reading packets from a capture file. */
#ifndef SLUICE_DUMP_DUMP_H
#define SLUICE_DUMP_DUMP_H

#include <pcap/pcap.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"
#include "sink.h"

/* Compiles the expression for Ethernet frames of snaplen bytes, as tcpdump does
 * (optimized, netmask unknown). -1 with libpcap's message. */
int dump_compile(const char *expr, uint32_t snaplen, struct bpf_program *prog, char *err,
                 size_t errlen);

/* -r: every packet of the file that the filter accepts goes to the sink, until the end,
 * -c packets, or *stop. Returns 0 or -1 with a message. */
int dump_read_file(const struct dump_options *o, const struct bpf_program *prog, struct sink *sink,
                   volatile sig_atomic_t *stop, uint64_t *captured, char *err, size_t errlen);

#endif

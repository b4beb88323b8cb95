/* options.h - sluicedump's command line: tcpdump's options where they apply, plus the
 * switch-specific ones (--sock, --ring-size, --pcapng). */
#ifndef SLUICE_DUMP_OPTIONS_H
#define SLUICE_DUMP_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "print.h"

#define DUMP_DEFAULT_SNAPLEN 262144
#define DUMP_ANALYZE_SNAPLEN 128 /* --analyze needs headers only */

struct dump_options {
    const char *ports;            /* -i: a port, a comma list, "any", or a number from -D */
    bool list_ports;              /* -D */
    bool dump_program;            /* -d: show the compiled filter and exit */
    const char *write_file;       /* -w */
    const char *read_file;        /* -r */
    bool pcapng;                  /* --pcapng, or a -w name ending in .pcapng */
    uint64_t count;               /* -c, 0 = no limit */
    uint32_t snaplen;             /* -s */
    const char *direction;        /* -Q: "in", "out" or "inout" */
    uint64_t rotate_bytes;        /* -C, in bytes */
    unsigned max_files;           /* -W */
    bool packet_buffered;         /* -U */
    bool line_buffered;           /* -l */
    uint64_t ring_size;           /* --ring-size, 0 = the switch's default */
    const char *sock;             /* --sock, $SLUICE_SOCK, or the default path */
    char *filter;                 /* the expression (-F file or the trailing words); never NULL */
    struct print_opts print;      /* -e -v -q -x -X -S -t --nano */
    bool analyze;                 /* --analyze[=SECONDS]: statistics instead of packets */
    uint64_t analyze_interval_ns; /* report every this long (0: only at the end) */
};

/* Parses argv. Returns 0 to go on, 1 when the work is already done (help printed), or -1
 * after printing one line on stderr (usage errors exit with status 1). */
int dump_parse_options(int argc, char **argv, struct dump_options *o);
void dump_options_free(struct dump_options *o);
void dump_usage(FILE *out);

#endif

/* pcapfile.h - capture files: writers for pcap (nanosecond timestamps) and pcapng, with
 * tcpdump-style size rotation, and a bounds-checked reader for both formats. */
#ifndef SLUICE_PCAPFILE_H
#define SLUICE_PCAPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PCAP_MAGIC_USEC 0xa1b2c3d4u
#define PCAP_MAGIC_NSEC 0xa1b23c4du
#define PCAPNG_BT_SHB 0x0a0d0d0au
#define PCAPNG_BT_IDB 1u
#define PCAPNG_BT_PB 2u /* obsolete Packet Block */
#define PCAPNG_BT_SPB 3u
#define PCAPNG_BT_ISB 5u
#define PCAPNG_BT_EPB 6u
#define PCAPNG_BYTE_ORDER_MAGIC 0x1a2b3c4du
#define LINKTYPE_ETHERNET 1

/* The largest packet either side handles: libpcap's limit for Ethernet. */
#define PCAPFILE_MAX_CAPLEN 262144
#define PCAPFILE_MAX_IFS 1024
/* pcapng blocks the reader will hold in memory (larger known blocks are an error). */
#define PCAPFILE_MAX_BLOCK (PCAPFILE_MAX_CAPLEN + 64 * 1024)

enum pcapfile_format { PCAPFILE_PCAP, PCAPFILE_PCAPNG };

/* Per-interface counters written in the pcapng Interface Statistics Blocks. */
struct pcapfile_if_stats {
    uint64_t recv;      /* isb_ifrecv: packets the capture point saw */
    uint64_t drop;      /* isb_ifdrop: matched but lost for lack of room */
    uint64_t accepted;  /* isb_filteraccept: matched by the filter */
    uint64_t delivered; /* isb_usrdeliv: written to the file */
};

struct pcapw_config {
    const char *path; /* "-" writes to standard output */
    enum pcapfile_format format;
    uint32_t snaplen;
    const char *const *if_names; /* pcapng: one interface per name (at least one) */
    unsigned nifs;
    const char *filter;    /* pcapng if_filter text, or NULL */
    uint64_t rotate_bytes; /* -C: start a new file once the current one is larger; 0 = never */
    unsigned max_files;    /* -W: reuse names after this many files; 0 = no limit */
    uint64_t start_ns;     /* isb_starttime; 0 = now */
};

struct pcapw {
    FILE *f;
    bool to_stdout;
    char *iobuf;
    enum pcapfile_format format;
    uint32_t snaplen;
    unsigned nifs;
    char **if_names;
    char *filter;
    struct pcapfile_if_stats *stats;
    bool have_stats;
    uint64_t start_ns;
    uint64_t file_bytes; /* bytes written to the current file */
    char *base;
    char *cur_path;
    uint64_t rotate_bytes;
    unsigned max_files;
    unsigned file_index;
    int sys_errno; /* errno of the last failed write (EPIPE: the reader went away) */
    char err[256];
};

/* Opens the first file and writes its header (pcapng: SHB and one IDB per interface).
 * Returns 0, or -1 with w->err set. */
int pcapw_open(struct pcapw *w, const struct pcapw_config *cfg);
/* Writes one packet of interface ifidx (pcapng) with its direction (CAPDIR_*, 0 unknown),
 * rotating first if the current file is over the size limit. 0 or -1 (w->err). */
int pcapw_write(struct pcapw *w, unsigned ifidx, uint64_t ts_ns, const uint8_t *data,
                uint32_t caplen, uint32_t origlen, uint8_t dir);
/* Counters for the statistics blocks written when a pcapng file is closed. */
void pcapw_set_stats(struct pcapw *w, unsigned ifidx, const struct pcapfile_if_stats *st);
int pcapw_flush(struct pcapw *w);
/* Writes the statistics blocks (pcapng, if stats were set; end_ns 0 = now) and closes.
 * 0 or -1 (w->err); everything is released either way. */
int pcapw_close(struct pcapw *w, uint64_t end_ns);

/* The name tcpdump gives the index-th file of a rotation: base itself, then base1, base2...;
 * with max_files > 1, base0..base<max-1>, zero-padded to the width of max_files - 1.
 * Returns false if it does not fit. */
bool pcapfile_rotation_name(char *out, size_t outlen, const char *base, unsigned index,
                            unsigned max_files);

/* Reader. */

struct pcapr_if {
    uint16_t linktype;
    uint32_t snaplen;
    bool tsresol_pow2; /* a timestamp unit is 2^-tsresol_exp s, else 10^-tsresol_exp s */
    uint8_t tsresol_exp;
    int64_t tsoffset_s;
    char name[64];
};

struct pcapr_pkt {
    uint64_t ts_ns;
    uint32_t caplen;
    uint32_t origlen;
    uint32_t ifidx;
    uint16_t linktype;
    uint8_t dir; /* CAPDIR_IN, CAPDIR_OUT or 0 */
    const uint8_t *data;
};

struct pcapr {
    FILE *f;
    bool own_file;
    enum pcapfile_format format;
    bool swapped; /* pcap, or the current pcapng section, is in the other byte order */
    bool nsec;    /* pcap: nanosecond timestamps */
    uint16_t linktype;
    uint32_t snaplen;
    struct pcapr_if *ifs;
    unsigned nifs;
    uint8_t *buf;
    size_t bufcap;
    uint64_t offset; /* bytes consumed, for messages */
    char err[256];
};

/* Opens a file ("-" = standard input) or an already open stream (not closed by the reader)
 * and reads its header. 0 or -1 with r->err set. */
int pcapr_open(struct pcapr *r, const char *path);
int pcapr_open_stream(struct pcapr *r, FILE *f);
/* Next packet: 1 with *pkt filled (data valid until the next call), 0 at the end of the file,
 * -1 on a malformed or truncated file (r->err). */
int pcapr_next(struct pcapr *r, struct pcapr_pkt *pkt);
void pcapr_close(struct pcapr *r);

#endif

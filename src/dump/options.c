/* options.c - parsing of sluicedump's command line (tcpdump's letters, the same meanings)
 * and its help text. */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capring.h"
#include "rpc.h"

enum {
    OPT_SOCK = 256,
    OPT_RING_SIZE,
    OPT_PCAPNG,
    OPT_NANO,
    OPT_TSPREC,
    OPT_HELP,
    OPT_VERSION,
    OPT_ANALYZE
};

static const struct option long_options[] = {
    {"sock", required_argument, NULL, OPT_SOCK},
    {"ring-size", required_argument, NULL, OPT_RING_SIZE},
    {"pcapng", no_argument, NULL, OPT_PCAPNG},
    {"nano", no_argument, NULL, OPT_NANO},
    {"time-stamp-precision", required_argument, NULL, OPT_TSPREC},
    {"interface", required_argument, NULL, 'i'},
    {"list-interfaces", no_argument, NULL, 'D'},
    {"direction", required_argument, NULL, 'Q'},
    {"snapshot-length", required_argument, NULL, 's'},
    {"packet-buffered", no_argument, NULL, 'U'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {"analyze", optional_argument, NULL, OPT_ANALYZE},
    {NULL, 0, NULL, 0},
};

void dump_usage(FILE *out)
{
    fprintf(
        out,
        "Usage: sluicedump [-DdelnqSUvxX] [-c count] [-C file_size] [-F file] [-i port]\n"
        "                  [-Q in|out|inout] [-r file] [-s snaplen] [-w file] [-W filecount]\n"
        "                  [--ring-size bytes] [--sock path] [--pcapng] [--nano] [expression]\n"
        "\n"
        "Captures packets on ports of the sluice switch (through its control socket) and prints\n"
        "them like tcpdump -n, or writes them to a pcap or pcapng file.\n"
        "\n"
        "  -i PORT      port to capture on: a name, a comma-separated list, a number from -D,\n"
        "               or 'any' (every port); several ports need pcapng output (chosen\n"
        "               automatically) and are printed with the port name and direction\n"
        "  -D           list the switch's ports and exit\n"
        "  -w FILE      write packets to FILE ('-' = standard output) instead of printing:\n"
        "               pcap with nanosecond time stamps, or pcapng if FILE ends in .pcapng,\n"
        "               with --pcapng, or when capturing on several ports\n"
        "  -r FILE      print packets from a pcap or pcapng file instead of capturing\n"
        "  -c COUNT     stop after COUNT packets\n"
        "  -s SNAPLEN   bytes kept of each packet (default and 0: %u)\n"
        "  -Q DIR       direction: in (received by the port), out (sent by it), inout (both,\n"
        "               the default)\n"
        "  -C SIZE      with -w: start a new file when the current one exceeds SIZE million\n"
        "               bytes (FILE, FILE1, FILE2, ...)\n"
        "  -W COUNT     with -C: keep at most COUNT files, reusing names (FILE0..FILE<COUNT-1>)\n"
        "  -F FILE      read the filter expression from FILE\n"
        "  -d           print the compiled filter program and exit\n"
        "  -n           accepted for compatibility: addresses and ports are never resolved\n"
        "  -e           print the link-level header\n"
        "  -q           print less protocol information\n"
        "  -v, -vv      print more protocol information (IP header fields, checksums)\n"
        "  -x, -xx      print each packet in hex (without / with the link-level header)\n"
        "  -X, -XX      as -x, with ASCII\n"
        "  -S           print absolute TCP sequence numbers\n"
        "  -t ... -ttttt  time stamp format: none, epoch, delta, date, since first\n"
        "  --nano       print time stamps with nanoseconds\n"
        "  -l           printing: flush after every packet (else after every batch read)\n"
        "  -U           as -l, and with -w too (else a file is flushed when closed)\n"
        "  --ring-size BYTES  capture ring size (suffix K, M or G; %u to %u bytes,\n"
        "               rounded up to a power of two; default %u)\n"
        "  --sock PATH  control socket of the switch (default $SLUICE_SOCK or %s)\n"
        "  --analyze[=SECONDS]  instead of packets, print traffic statistics every SECONDS\n"
        "               (default 10; 0: only at the end) and at the end: rates, protocols,\n"
        "               sizes, top talkers; captures %u bytes per packet unless -s is given\n"
        "  -h, --help   this text\n"
        "\n"
        "The expression is a libpcap filter (see pcap-filter(7)); the switch runs it on each\n"
        "packet before copying it. On exit sluicedump prints how many packets it captured,\n"
        "how many matched the filter, and how many the switch dropped for lack of ring room.\n",
        DUMP_DEFAULT_SNAPLEN, CAPRING_MIN_SIZE, CAPRING_MAX_SIZE, CAPRING_DEFAULT_SIZE,
        RPC_DEFAULT_SOCK, DUMP_ANALYZE_SNAPLEN);
}

static int usage_error(const char *fmt, const char *arg)
{
    fputs("sluicedump: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\n", stderr);
    return -1;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

/* Bytes with an optional binary K/M/G suffix. */
static bool parse_size(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return false;
    unsigned shift = 0;
    if (*end == 'k' || *end == 'K')
        shift = 10;
    else if (*end == 'm' || *end == 'M')
        shift = 20;
    else if (*end == 'g' || *end == 'G')
        shift = 30;
    if (shift)
        end++;
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end || v > (UINT64_MAX >> shift))
        return false;
    *out = (uint64_t)v << shift;
    return true;
}

static char *read_filter_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "sluicedump: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    int ch;
    bool comment = false;
    /* As tcpdump: '#' starts a comment to the end of the line. */
    while (m && (ch = fgetc(f)) != EOF) {
        if (ch == '#')
            comment = true;
        if (ch == '\n')
            comment = false;
        if (!comment)
            fputc(ch == '\n' ? ' ' : ch, m);
    }
    fclose(f);
    if (!m) {
        fprintf(stderr, "sluicedump: out of memory\n");
        return NULL;
    }
    fclose(m);
    return text;
}

static char *join_words(int n, char **words)
{
    size_t len = 1;
    for (int i = 0; i < n; i++)
        len += strlen(words[i]) + 1;
    char *s = calloc(1, len);
    if (!s)
        return NULL;
    for (int i = 0; i < n; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, words[i]);
    }
    return s;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

int dump_parse_options(int argc, char **argv, struct dump_options *o)
{
    memset(o, 0, sizeof(*o));
    o->snaplen = DUMP_DEFAULT_SNAPLEN;
    o->direction = "inout";
    o->sock = getenv("SLUICE_SOCK");
    if (!o->sock || !*o->sock)
        o->sock = RPC_DEFAULT_SOCK;
    const char *filter_file = NULL;
    bool snaplen_given = false;
    uint64_t v;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:C:dDeF:hi:lnNpqQ:r:s:StUvw:W:xX", long_options,
                             NULL)) != -1) {
        switch (ch) {
        case 'c':
            if (!parse_u64(optarg, &v) || v == 0)
                return usage_error("invalid packet count %s", optarg);
            o->count = v;
            break;
        case 'C':
            if (!parse_u64(optarg, &v) || v == 0 || v > UINT64_MAX / 1000000)
                return usage_error("invalid file size %s", optarg);
            o->rotate_bytes = v * 1000000;
            break;
        case 'd':
            o->dump_program = true;
            break;
        case 'D':
            o->list_ports = true;
            break;
        case 'e':
            o->print.eflag = true;
            break;
        case 'F':
            filter_file = optarg;
            break;
        case 'h':
            dump_usage(stdout);
            return 1;
        case 'i':
            o->ports = optarg;
            break;
        case 'l':
            o->line_buffered = true;
            break;
        case 'n':
        case 'N':
        case 'p':
            break; /* never resolving, never promiscuous-dependent: nothing to change */
        case 'q':
            o->print.qflag = true;
            break;
        case 'Q':
            if (strcmp(optarg, "in") && strcmp(optarg, "out") && strcmp(optarg, "inout"))
                return usage_error("-Q takes in, out or inout, not %s", optarg);
            o->direction = optarg;
            break;
        case 'r':
            o->read_file = optarg;
            break;
        case 's':
            if (!parse_u64(optarg, &v) || v > DUMP_DEFAULT_SNAPLEN)
                return usage_error("invalid snaplen %s (0 to 262144)", optarg);
            o->snaplen = v ? (uint32_t)v : DUMP_DEFAULT_SNAPLEN;
            snaplen_given = true;
            break;
        case 'S':
            o->print.Sflag = true;
            break;
        case 't':
            o->print.tflag = o->print.tflag ? o->print.tflag + 1 : 1;
            if (o->print.tflag > 5)
                return usage_error("%s", "only -t, -tt, -ttt, -tttt and -ttttt are supported");
            break;
        case 'U':
            o->packet_buffered = true;
            break;
        case 'v':
            o->print.vflag++;
            break;
        case 'w':
            o->write_file = optarg;
            break;
        case 'W':
            if (!parse_u64(optarg, &v) || v == 0 || v > 1000000)
                return usage_error("invalid number of output files %s", optarg);
            o->max_files = (unsigned)v;
            break;
        case 'x':
            o->print.xflag++;
            break;
        case 'X':
            o->print.Xflag++;
            break;
        case OPT_SOCK:
            o->sock = optarg;
            break;
        case OPT_RING_SIZE:
            if (!parse_size(optarg, &v) || v < CAPRING_MIN_SIZE || v > CAPRING_MAX_SIZE)
                return usage_error("invalid ring size %s (64K to 1G)", optarg);
            o->ring_size = v;
            break;
        case OPT_PCAPNG:
            o->pcapng = true;
            break;
        case OPT_NANO:
            o->print.nano = true;
            break;
        case OPT_TSPREC:
            if (strcmp(optarg, "nano") == 0 || strcmp(optarg, "nanoseconds") == 0)
                o->print.nano = true;
            else if (strcmp(optarg, "micro") && strcmp(optarg, "microseconds"))
                return usage_error("unknown time stamp precision %s", optarg);
            break;
        case OPT_ANALYZE: {
            o->analyze = true;
            o->analyze_interval_ns = 10000000000ull;
            char *end;
            double secs = optarg ? strtod(optarg, &end) : 10;
            if (optarg && (*end || end == optarg || !(secs >= 0 && secs <= 86400)))
                return usage_error("invalid --analyze interval %s (0 to 86400 seconds)", optarg);
            o->analyze_interval_ns = (uint64_t)(secs * 1e9);
            break;
        }
        case OPT_VERSION:
            printf("sluicedump (sluice)\n");
            return 1;
        default:
            fprintf(stderr, "Try 'sluicedump --help' for more information.\n");
            return -1;
        }
    }
    if (o->rotate_bytes && !o->write_file)
        return usage_error("%s", "-C needs -w");
    if (o->max_files && !o->rotate_bytes)
        return usage_error("%s", "-W needs -C");
    if (o->rotate_bytes && strcmp(o->write_file, "-") == 0)
        return usage_error("%s", "-C cannot rotate standard output");
    if (o->read_file && o->write_file)
        return usage_error("%s", "-r and -w together are not supported");
    if (o->read_file && o->ports)
        return usage_error("%s", "-r and -i are exclusive");
    if (o->analyze && o->write_file)
        return usage_error("%s", "--analyze and -w are exclusive");
    if (o->analyze && !snaplen_given)
        o->snaplen = DUMP_ANALYZE_SNAPLEN;
    if (o->write_file && ends_with(o->write_file, ".pcapng"))
        o->pcapng = true;
    if (filter_file) {
        if (optind < argc)
            fprintf(stderr, "Warning: sluicedump: filter expression ignored (-F given)\n");
        o->filter = read_filter_file(filter_file);
    } else {
        o->filter = join_words(argc - optind, argv + optind);
    }
    if (!o->filter)
        return -1;
    return 0;
}

void dump_options_free(struct dump_options *o)
{
    free(o->filter);
    o->filter = NULL;
}

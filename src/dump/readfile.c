/* readfile.c - `sluicedump -r`: packets from a pcap or pcapng file, through the same
 * filter and the same sinks as a live capture. */
#include <stdio.h>
#include <string.h>

#include "dump.h"
#include "pcapfile.h"

static void announce(const char *path, uint32_t snaplen)
{
    fprintf(stderr, "reading from file %s, link-type EN10MB (Ethernet), snapshot length %u\n", path,
            snaplen);
}

int dump_read_file(const struct dump_options *o, const struct bpf_program *prog, struct sink *sink,
                   volatile sig_atomic_t *stop, uint64_t *captured, char *err, size_t errlen)
{
    struct pcapr r;
    if (pcapr_open(&r, o->read_file) < 0) {
        snprintf(err, errlen, "%s", r.err);
        return -1;
    }
    bool announced = false;
    if (r.format == PCAPFILE_PCAP) {
        if (r.linktype != LINKTYPE_ETHERNET) {
            snprintf(err, errlen, "%s: link-type %u is not Ethernet", o->read_file, r.linktype);
            pcapr_close(&r);
            return -1;
        }
        announce(o->read_file, r.snaplen);
        announced = true;
    }
    struct pcapr_pkt pkt;
    int rc = 0;
    while (!*stop && (rc = pcapr_next(&r, &pkt)) == 1) {
        if (!announced) {
            announce(o->read_file, r.ifs[pkt.ifidx].snaplen);
            announced = true;
        }
        if (pkt.linktype != LINKTYPE_ETHERNET) {
            snprintf(err, errlen, "%s: link-type %u is not Ethernet", o->read_file, pkt.linktype);
            pcapr_close(&r);
            return -1;
        }
        struct pcap_pkthdr h = {.caplen = pkt.caplen, .len = pkt.origlen};
        if (pcap_offline_filter(prog, &h, pkt.data) == 0)
            continue;
        struct dump_pkt dp = {
            .ifidx = 0,
            .ifname = "",
            .ts_ns = pkt.ts_ns,
            .data = pkt.data,
            .caplen = pkt.caplen,
            .origlen = pkt.origlen,
            .dir = pkt.dir,
        };
        if (r.format == PCAPFILE_PCAPNG && pkt.ifidx < r.nifs)
            dp.ifname = r.ifs[pkt.ifidx].name;
        if (sink->ops->packet(sink, &dp) < 0) {
            if (sink->pipe_closed)
                break;
            snprintf(err, errlen, "%s", sink->err);
            pcapr_close(&r);
            return -1;
        }
        (*captured)++;
        if (o->count && *captured >= o->count)
            break;
    }
    if (rc < 0) {
        snprintf(err, errlen, "%s: %s", o->read_file, r.err);
        pcapr_close(&r);
        return -1;
    }
    if (!announced)
        announce(o->read_file, r.snaplen ? r.snaplen : 262144);
    pcapr_close(&r);
    return 0;
}

/* filter.c - the capture filter: a libpcap expression compiled to classic BPF for
 * Ethernet, which the switch validates and runs on every packet of the port. */
#include <stdio.h>

#include "dump.h"

int dump_compile(const char *expr, uint32_t snaplen, struct bpf_program *prog, char *err,
                 size_t errlen)
{
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, (int)snaplen);
    if (!dead) {
        snprintf(err, errlen, "cannot set up the filter compiler");
        return -1;
    }
    int rc = pcap_compile(dead, prog, expr, 1, PCAP_NETMASK_UNKNOWN);
    if (rc < 0)
        snprintf(err, errlen, "%s", pcap_geterr(dead));
    pcap_close(dead);
    return rc < 0 ? -1 : 0;
}

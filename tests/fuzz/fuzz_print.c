/* fuzz_print.c - the packet printers on arbitrary frames with arbitrary capture and wire
 * lengths and every option set: a packet is untrusted input to sluicedump, so no frame may
 * make a printer read past the captured bytes (the frame is copied to an exact-size block). */
#include "print.h"

#include <stdlib.h>
#include <string.h>

/* The printers are part of sluicedump, not of the library the fuzzers are linked with. */
#include "../../src/dump/print.c"
#include "../../src/dump/print_arp.c"
#include "../../src/dump/print_ether.c"
#include "../../src/dump/print_icmp.c"
#include "../../src/dump/print_ip.c"
#include "../../src/dump/print_ip6.c"
#include "../../src/dump/print_tcp_udp.c"

static struct printer printer;
static FILE *sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    if (!sink)
        sink = fopen("/dev/null", "w");
    /* Two bytes of options, two of extra wire length, then the frame. */
    struct print_opts o = {
        .vflag = data[0] & 3,
        .xflag = (data[0] >> 2) & 3,
        .Xflag = (data[0] >> 4) & 1 ? 1 + ((data[0] >> 5) & 1) : 0,
        .eflag = data[0] >> 6 & 1,
        .qflag = data[0] >> 7,
        .Sflag = data[1] & 1,
        .tflag = (data[1] >> 1) % 6,
        .nano = data[1] >> 4 & 1,
        .ifname = data[1] >> 5 & 1,
    };
    uint32_t extra = (uint32_t)data[2] << 8 | data[3];
    data += 4;
    size -= 4;
    /* Keep the connection table between inputs (as a long capture would), but the options
     * of this input. */
    printer.o = o;
    printer.out = sink;
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    struct print_meta meta = {(uint64_t)extra * 1000003u, "fz", (uint8_t)(extra % 3)};
    print_packet(&printer, &meta, copy, (uint32_t)size, (uint32_t)size + (extra & 0x3ff));
    free(copy);
    return 0;
}

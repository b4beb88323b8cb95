/* fuzz_pcapfile.c - the capture file reader on arbitrary bytes: pcap and pcapng files are
 * untrusted input to `sluicedump -r`, so no file may make it read outside what it holds. */
#include "pcapfile.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    FILE *f = fmemopen((void *)data, size, "rb");
    if (!f)
        return 0;
    struct pcapr r;
    if (pcapr_open_stream(&r, f) == 0) {
        struct pcapr_pkt pkt;
        volatile uint8_t sink = 0;
        while (pcapr_next(&r, &pkt) == 1) {
            for (uint32_t i = 0; i < pkt.caplen; i++)
                sink ^= pkt.data[i];
        }
        (void)sink;
    }
    pcapr_close(&r);
    fclose(f);
    return 0;
}

/* fuzz_analyze.c - sluicedump --analyze on arbitrary frames: the first two bytes choose how
 * much of the frame was captured and the time step; the frame is copied to an exact-size
 * block so that any read past the capture is caught. */
#include <stdlib.h>
#include <string.h>

/* The analyzer is part of sluicedump, not of the library the fuzzers are linked with. */
#include "../../src/dump/analyze.c"
#include "../../src/dump/analyze_decode.c"
#include "../../src/dump/analyze_table.c"

static struct analyzer an;
static bool ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    if (!ready) {
        analyzer_init(&an, fopen("/dev/null", "w"), 1000000000ull);
        ready = true;
    }
    size_t len = size - 2;
    uint32_t caplen = data[0] ? (uint32_t)(len < data[0] ? len : data[0]) : (uint32_t)len;
    uint8_t *frame = malloc(caplen ? caplen : 1);
    memcpy(frame, data + 2, caplen);
    static uint64_t now = 1700000000ull * 1000000000ull;
    now += (uint64_t)data[1] * 10000000ull;
    analyzer_packet(&an, now, frame, caplen, (uint32_t)len + data[1]);
    if (data[1] == 0xff) /* now and then a report, which walks every table */
        analyzer_finish(&an);
    free(frame);
    return 0;
}

/* trafstats_bench.c - what the always-on classification counters cost per packet: bursts of
 * 32 frames (64-byte UDP/TCP over IPv4, some tagged, some IPv6) counted as the data plane
 * does, against a loop that only adds up lengths (what the plain port counters do). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "packet.h"
#include "trafstats.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* other programs' turns do not count */
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    long bursts = argc > 1 ? atol(argv[1]) : 5000000;
    struct pkt_pool *pool = pkt_pool_create(PKT_BURST, 2048);
    struct pkt *burst[PKT_BURST];
    if (!pool || pkt_alloc_burst(pool, burst, PKT_BURST) != PKT_BURST) {
        fprintf(stderr, "no packet pool\n");
        return 1;
    }
    for (unsigned i = 0; i < PKT_BURST; i++) {
        uint8_t *f = burst[i]->data;
        memset(f, 0, 64);
        memcpy(f, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01", 12);
        unsigned off = 12;
        if (i % 8 == 7) { /* a tagged one now and then */
            memcpy(f + off, "\x81\x00\x00\x0a", 4);
            off += 4;
        }
        if (i % 16 == 5) {
            memcpy(f + off, "\x86\xdd\x60", 3);
            f[off + 8] = 17;
        } else {
            memcpy(f + off, "\x08\x00\x45", 3);
            f[off + 11] = i % 3 ? 17 : 6;
        }
        burst[i]->len = 60;
    }
    struct traf_counters c;
    memset(&c, 0, sizeof(c));
    uint64_t bytes = 0;
    double t0 = now_s();
    for (long b = 0; b < bursts; b++) {
        for (unsigned i = 0; i < PKT_BURST; i++)
            bytes += burst[i]->len;
        __asm__ volatile("" : : "r"(&bytes) : "memory");
    }
    double t1 = now_s();
    for (long b = 0; b < bursts; b++) {
        trafstats_count(&c, burst, PKT_BURST);
        __asm__ volatile("" : : "r"(&c) : "memory");
    }
    double t2 = now_s();
    double n = (double)bursts * PKT_BURST;
    printf("packets %.0f\n", n);
    printf("length_sum_ns_per_packet %.3f\n", (t1 - t0) * 1e9 / n);
    printf("trafstats_ns_per_packet %.3f\n", (t2 - t1) * 1e9 / n);
    if (c.l3_packets[0] + c.l3_packets[1] != (uint64_t)n || bytes != (uint64_t)n * 60) {
        fprintf(stderr, "counts do not add up\n");
        return 1;
    }
    pkt_free_burst(burst, PKT_BURST);
    pkt_pool_destroy(pool);
    return 0;
}

/* bpf_bench.c - nanoseconds per packet of sluice's BPF JIT (per packet and per burst), its
 * interpreter and libpcap's bpf_filter(), per filter and as a geometric mean, same packets. */
#include "../../tests/unit/test_sbpf_diff.h"

#include <math.h>
#include <time.h>

#define FRAMES 4096
#define BURST 32 /* the data plane's burst size */
#define MAX_REPS 101

static const char *const filters[] = {
    "",
    "tcp",
    "udp port 53",
    "net 10.0.0.0/8 and not port 22",
    NULL, /* 50 ORed hosts */
    "vlan",
    "vlan and ip",
    "ip6 and tcp port 80",
    "tcp[tcpflags] & tcp-syn != 0",
    "portrange 1000-2000",
    "icmp[icmptype] == icmp-echo",
};
#define NFILTERS (sizeof(filters) / sizeof(filters[0]))

enum engine { E_LIBPCAP, E_INTERP, E_JIT, E_JIT_BURST, E_COUNT };
static const char *const engine_names[E_COUNT] = {"libpcap", "interp", "JIT", "JIT burst"};

struct mix {
    const uint8_t *pkts[FRAMES];
    uint32_t lens[FRAMES];
    uint8_t *arena;
};

/* 4096 realistic frames of 64..1514 bytes laid out one after another, as in a packet pool. */
static void build_mix(struct mix *m, uint64_t seed)
{
    struct gen_rng r;
    gen_rng_seed(&r, seed);
    m->arena = malloc((size_t)FRAMES * 1536);
    if (!m->arena)
        abort();
    for (unsigned i = 0; i < FRAMES; i++) {
        uint8_t *f = m->arena + (size_t)i * 1536;
        size_t len = gen_frame(&r, f, 1514);
        if (len < 64) {
            gen_bytes(&r, f + len, 64 - len);
            len = 64;
        }
        m->pkts[i] = f;
        m->lens[i] = (uint32_t)len;
    }
}

/* This thread's CPU time: time spent descheduled on a shared machine does not count. */
static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static volatile uint64_t sink;

/* One pass over the mix, a burst at a time as the switch's capture path does it: fill the
 * burst's verdicts, then walk them. Returns a checksum so no work is elided. */
static uint64_t run_pass(enum engine e, const struct sbpf_filter *f, const struct bpf_insn *pcap,
                         const struct mix *m)
{
    uint64_t sum = 0;
    uint32_t verdicts[BURST];
    for (unsigned at = 0; at < FRAMES; at += BURST) {
        const uint8_t *const *pkts = m->pkts + at;
        const uint32_t *lens = m->lens + at;
        switch (e) {
        case E_LIBPCAP:
            for (unsigned i = 0; i < BURST; i++)
                verdicts[i] = bpf_filter(pcap, pkts[i], lens[i], lens[i]);
            break;
        case E_INTERP:
            for (unsigned i = 0; i < BURST; i++)
                verdicts[i] = sbpf_interp(f->prog, f->n, pkts[i], lens[i], lens[i]);
            break;
        case E_JIT:
            for (unsigned i = 0; i < BURST; i++)
                verdicts[i] = f->native(pkts[i], lens[i], lens[i]);
            break;
        default:
            sbpf_filter_run_burst(f, pkts, lens, lens, verdicts, BURST);
            break;
        }
        for (unsigned i = 0; i < BURST; i++)
            sum += verdicts[i];
    }
    return sum;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Passes over the mix that take about min_ns for engine e. */
static unsigned calibrate(enum engine e, const struct sbpf_filter *f, const struct bpf_insn *pcap,
                          const struct mix *m, double min_ns)
{
    sink += run_pass(e, f, pcap, m); /* warm caches and branch predictors */
    for (unsigned passes = 1;; passes *= 2) {
        double t0 = now_ns();
        for (unsigned p = 0; p < passes; p++)
            sink += run_pass(e, f, pcap, m);
        double took = now_ns() - t0;
        if (took >= min_ns / 4 || passes >= (1u << 20))
            return passes * 4;
    }
}

/* Median over reps of the ns per packet of every engine. The engines take turns within each
 * repetition, so a burst of load from elsewhere on the machine hits them alike. */
static void measure(const struct sbpf_filter *f, const struct bpf_insn *pcap, const struct mix *m,
                    unsigned reps, double min_ns, double ns[E_COUNT])
{
    static double samples[E_COUNT][MAX_REPS];
    unsigned passes[E_COUNT];
    for (unsigned e = 0; e < E_COUNT; e++)
        passes[e] = calibrate((enum engine)e, f, pcap, m, min_ns);
    for (unsigned rep = 0; rep < reps; rep++) {
        for (unsigned e = 0; e < E_COUNT; e++) {
            double t0 = now_ns();
            for (unsigned p = 0; p < passes[e]; p++)
                sink += run_pass((enum engine)e, f, pcap, m);
            samples[e][rep] = (now_ns() - t0) / ((double)passes[e] * FRAMES);
        }
    }
    for (unsigned e = 0; e < E_COUNT; e++) {
        qsort(samples[e], reps, sizeof(samples[e][0]), cmp_double);
        ns[e] = samples[e][reps / 2];
    }
}

int main(int argc, char **argv)
{
    unsigned reps = 7;
    double min_ms = 20;
    for (int a = 1; a < argc; a++) {
        if (!strcmp(argv[a], "--reps") && a + 1 < argc)
            reps = (unsigned)atoi(argv[++a]);
        else if (!strcmp(argv[a], "--ms") && a + 1 < argc)
            min_ms = atof(argv[++a]);
        else {
            fprintf(stderr, "usage: %s [--reps N] [--ms MILLISECONDS_PER_REP]\n", argv[0]);
            return 2;
        }
    }
    if (reps < 1)
        reps = 1;
    if (reps > MAX_REPS)
        reps = MAX_REPS;

    struct mix m;
    build_mix(&m, 0xbe7c4);
    printf("BPF filter cost, ns of thread CPU time per packet: median of %u interleaved\n"
           "repetitions of ~%.0f ms each over %d realistic frames (64-1514 bytes), in bursts\n"
           "of %d whose verdicts are then read; \"JIT\" calls the native code per packet,\n"
           "\"JIT burst\" once per burst (its own loop)\n\n",
           reps, min_ms, FRAMES, BURST);
    printf("%-34s %5s %6s %9s %9s %9s %9s %8s %8s\n", "filter", "insns", "match%", "libpcap",
           "interp", "JIT", "JIT burst", "x(JIT)", "x(burst)");

    double log_sum[E_COUNT] = {0};
    unsigned measured = 0;
    int status = 0;
    for (unsigned fi = 0; fi < NFILTERS; fi++) {
        char *chain = NULL;
        const char *expr = filters[fi];
        char label[40];
        if (!expr) {
            chain = gen_host_chain(50);
            expr = chain;
            snprintf(label, sizeof(label), "50 ORed hosts");
        } else {
            snprintf(label, sizeof(label), "\"%.30s\"", expr);
        }
        unsigned n;
        struct sbpf_insn *prog = diff_compile(expr, 1, &n);
        free(chain);
        if (!prog) {
            status = 1;
            continue;
        }
        char err[200], note[200];
        struct sbpf_filter *f =
            sbpf_filter_create(prog, n, true, err, sizeof(err), note, sizeof(note));
        if (!f || !f->native) {
            fprintf(stderr, "%s: %s\n", label, f ? note : err);
            sbpf_filter_destroy(f);
            free(prog);
            status = 1;
            continue;
        }
        /* The engines must agree before their speed means anything. */
        unsigned matched = 0;
        for (unsigned i = 0; i < FRAMES; i++) {
            uint32_t ref =
                bpf_filter((const struct bpf_insn *)prog, m.pkts[i], m.lens[i], m.lens[i]);
            if (ref != f->native(m.pkts[i], m.lens[i], m.lens[i]) ||
                ref != sbpf_interp(prog, n, m.pkts[i], m.lens[i], m.lens[i])) {
                fprintf(stderr, "%s: verdicts differ on frame %u\n", label, i);
                status = 1;
            }
            matched += ref != 0;
        }
        double ns[E_COUNT];
        measure(f, (const struct bpf_insn *)prog, &m, reps, min_ms * 1e6, ns);
        printf("%-34s %5u %5.1f%% %9.2f %9.2f %9.2f %9.2f %7.1fx %7.1fx\n", label, n,
               100.0 * matched / FRAMES, ns[E_LIBPCAP], ns[E_INTERP], ns[E_JIT], ns[E_JIT_BURST],
               ns[E_LIBPCAP] / ns[E_JIT], ns[E_LIBPCAP] / ns[E_JIT_BURST]);
        fflush(stdout);
        for (unsigned e = 0; e < E_COUNT; e++)
            log_sum[e] += log(ns[e]);
        measured++;
        sbpf_filter_destroy(f);
        free(prog);
    }
    if (measured) {
        double g[E_COUNT];
        for (unsigned e = 0; e < E_COUNT; e++)
            g[e] = exp(log_sum[e] / measured);
        printf("%-34s %5s %6s %9.2f %9.2f %9.2f %9.2f %7.1fx %7.1fx\n", "geometric mean", "", "",
               g[E_LIBPCAP], g[E_INTERP], g[E_JIT], g[E_JIT_BURST], g[E_LIBPCAP] / g[E_JIT],
               g[E_LIBPCAP] / g[E_JIT_BURST]);
        printf("\nJIT vs libpcap bpf_filter() (geometric mean): %.1fx per packet, %.1fx in "
               "bursts of %d; sluice interpreter vs libpcap: %.2fx\n",
               g[E_LIBPCAP] / g[E_JIT], g[E_LIBPCAP] / g[E_JIT_BURST], BURST,
               g[E_LIBPCAP] / g[E_INTERP]);
    }
    (void)engine_names;
    (void)sink;
    free(m.arena);
    return status;
}

/* pktgen.c - sluice-pktgen: sends test frames on memif ports and counts what comes back on
 * others: packets per second, loss, byte-exact verification and latency percentiles. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "byteorder.h"
#include "frame.h"
#include "sluice_memif.h"

#define MAX_PORTS 16 /* the frame stamp holds a port index in one byte */
#define MAX_SIZES 64
#define BURST 32
#define LAT_BUCKETS 100000 /* 1 us each, up to 100 ms; beyond goes in the last */

struct gport {
    char spec[160];
    struct sluice_memif *m;
    bool tx, rx, echo;
    uint64_t echoed;
    uint16_t tx_index, rx_index;
    uint64_t sent, received, bad, wrong_port, foreign;
    uint32_t seq;
    uint16_t next_dst;
};

static struct {
    struct gport ports[MAX_PORTS];
    unsigned nports, ntx, nrx;
    uint32_t sizes[MAX_SIZES];
    unsigned nsizes;
    uint32_t size_lo, size_hi, size_step;
    unsigned flows;
    double rate;
    uint64_t count;
    double duration;
    unsigned wait_ms;
    bool verify;
    bool poll_mode;
    bool json;
    bool no_announce;
    unsigned idle_exit_ms;
    unsigned buffer_size, log2_ring;
    unsigned connect_ms;
    const char *secret;
    uint32_t *lat;
    uint64_t lat_n, lat_max_ns;
    uint8_t scratch[FRAME_MAX], rxbuf[FRAME_MAX];
    uint8_t templates[MAX_PORTS][FRAME_MAX > 2048 ? 2048 : FRAME_MAX];
} g = {.flows = 1, .wait_ms = 500, .verify = true, .connect_ms = 5000, .size_step = 1};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void usage(void)
{
    printf(
        "usage: sluice-pktgen --tx SOCKET:ID [--tx ...] --rx SOCKET:ID [--rx ...] [options]\n"
        "Sends test frames on memif ports through a switch and counts them on others.\n\n"
        "  --tx SOCKET:ID      memif interface to send on (repeatable)\n"
        "  --rx SOCKET:ID      memif interface to receive on (repeatable; may equal a --tx)\n"
        "  --size LIST         frame sizes: N, N,M,..., or LO-HI (with --size-step); default 64\n"
        "  --size-step N       step through a LO-HI range (default 1)\n"
        "  --flows N           distinct UDP flows (default 1)\n"
        "  --rate PPS          total send rate (default: as fast as possible)\n"
        "  --count N           frames to send in total (default: until --duration)\n"
        "  --duration S        seconds to send when no --count (default 5)\n"
        "  --wait-ms N         how long to wait for late frames (default 500)\n"
        "  --no-verify         check only the stamp, not every byte (for speed)\n"
        "  --poll              busy-poll instead of waiting for interrupts\n"
        "  --buffer-size N     memif buffer size (default 2048)\n"
        "  --ring-size N       memif ring slots (default 1024)\n"
        "  --secret S          interface secret\n"
        "  --connect-timeout-ms N  (default 5000)\n"
        "  --json              print the summary as one JSON object\n");
}

static int parse_sizes(const char *s)
{
    const char *dash = strchr(s, '-');
    if (dash) {
        g.size_lo = (uint32_t)strtoul(s, NULL, 10);
        g.size_hi = (uint32_t)strtoul(dash + 1, NULL, 10);
        if (g.size_lo < FRAME_MIN || g.size_hi > FRAME_MAX || g.size_lo > g.size_hi)
            return -1;
        return 0;
    }
    char *copy = strdup(s), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        uint32_t v = (uint32_t)strtoul(tok, NULL, 10);
        if (v < FRAME_MIN || v > FRAME_MAX || g.nsizes == MAX_SIZES) {
            free(copy);
            return -1;
        }
        g.sizes[g.nsizes++] = v;
    }
    free(copy);
    return g.nsizes ? 0 : -1;
}

static uint32_t size_for(uint64_t n)
{
    if (g.size_hi) {
        uint64_t steps = (g.size_hi - g.size_lo) / g.size_step + 1;
        return g.size_lo + (uint32_t)(n % steps) * g.size_step;
    }
    return g.sizes[n % g.nsizes];
}

static struct gport *port_for(const char *spec)
{
    for (unsigned i = 0; i < g.nports; i++)
        if (strcmp(g.ports[i].spec, spec) == 0)
            return &g.ports[i];
    if (g.nports == MAX_PORTS || strlen(spec) >= sizeof(g.ports[0].spec))
        return NULL;
    struct gport *p = &g.ports[g.nports++];
    snprintf(p->spec, sizeof(p->spec), "%s", spec);
    return p;
}

static int open_port(struct gport *p)
{
    char path[160];
    snprintf(path, sizeof(path), "%s", p->spec);
    char *colon = strrchr(path, ':');
    if (!colon) {
        fprintf(stderr, "sluice-pktgen: %s: expected SOCKET:ID\n", p->spec);
        return -1;
    }
    *colon = '\0';
    struct sluice_memif_config cfg = {
        .socket_path = path,
        .id = (uint32_t)strtoul(colon + 1, NULL, 10),
        .secret = g.secret,
        .name = "sluice-pktgen",
        .log2_ring_size = g.log2_ring,
        .buffer_size = g.buffer_size,
        .queues = 1,
        .rx_interrupts = !g.poll_mode,
    };
    char err[256];
    p->m = sluice_memif_open(&cfg, err, sizeof(err));
    if (!p->m) {
        fprintf(stderr, "sluice-pktgen: %s: %s\n", p->spec, err);
        return -1;
    }
    return 0;
}

/* Sends up to `want` frames on one port; returns how many went. */
static unsigned send_burst(struct gport *p, unsigned want, uint64_t total_sent, uint64_t ts)
{
    struct sluice_memif_buf bufs[BURST * 8];
    unsigned bsize = sluice_memif_buffer_size(p->m);
    unsigned avail = sluice_memif_buf_get(p->m, 0, bufs, BURST * 8);
    unsigned used = 0, frames = 0;
    while (frames < want) {
        uint32_t len = size_for(total_sent + frames);
        unsigned need = (len + bsize - 1) / bsize;
        if (used + need > avail)
            break;
        struct frame_id id = {.tx_port = p->tx_index,
                              .rx_port = p->next_dst,
                              .flow = (uint16_t)(p->seq % g.flows),
                              .seq = p->seq,
                              .sent_ns = ts};
        if (need == 1) {
            if (!g.verify && len <= sizeof(g.templates[0])) {
                /* Fast path: the headers and pattern from a template, only the stamp new. */
                uint8_t *t = g.templates[p->tx_index];
                memcpy(bufs[used].data, t, len);
                uint8_t *d = bufs[used].data;
                d[5] = (uint8_t)id.rx_port;
                d[FRAME_HDR + 3] = (uint8_t)id.rx_port;
                store_be32(d + FRAME_HDR + 6, id.seq);
                memcpy(d + FRAME_HDR + 10, &ts, 8);
                /* The IP and UDP length fields follow the frame's size. */
                store_be16(d + 16, (uint16_t)(len - 14));
                store_be16(d + 38, (uint16_t)(len - 34));
            } else {
                frame_build(bufs[used].data, len, &id);
            }
            bufs[used].len = len;
            bufs[used].flags = 0;
        } else {
            frame_build(g.scratch, len, &id);
            for (unsigned k = 0; k < need; k++) {
                uint32_t off = k * bsize;
                uint32_t chunk = len - off < bsize ? len - off : bsize;
                memcpy(bufs[used + k].data, g.scratch + off, chunk);
                bufs[used + k].len = chunk;
                bufs[used + k].flags = k + 1 < need ? SLUICE_MEMIF_BUF_NEXT : 0;
            }
        }
        used += need;
        frames++;
        p->seq++;
        p->next_dst = (uint16_t)((p->next_dst + 1) % g.nrx);
    }
    if (used == 0)
        return 0;
    unsigned sent_bufs = sluice_memif_tx_burst(p->m, 0, bufs, used);
    if (sent_bufs < used) {
        /* Count only whole frames that went. */
        unsigned f = 0, b = 0;
        while (b < sent_bufs) {
            while (bufs[b].flags & SLUICE_MEMIF_BUF_NEXT)
                b++;
            b++;
            f++;
        }
        p->seq -= frames - f;
        frames = f;
    }
    p->sent += frames;
    return frames;
}

static void record_latency(uint64_t sent_ns, uint64_t now)
{
    if (now < sent_ns)
        return;
    uint64_t d = now - sent_ns;
    uint64_t us = d / 1000;
    g.lat[us < LAT_BUCKETS ? us : LAT_BUCKETS - 1]++;
    g.lat_n++;
    if (d > g.lat_max_ns)
        g.lat_max_ns = d;
}

static unsigned receive(struct gport *p)
{
    struct sluice_memif_buf bufs[BURST];
    unsigned n = sluice_memif_rx_burst(p->m, 0, bufs, BURST);
    if (n == 0)
        return 0;
    uint64_t now = now_ns();
    unsigned i = 0;
    while (i < n) {
        /* A frame may span buffers; reassemble those into rxbuf. */
        const uint8_t *frame = bufs[i].data;
        uint32_t len = bufs[i].len;
        if (bufs[i].flags & SLUICE_MEMIF_BUF_NEXT) {
            len = 0;
            bool complete = false;
            for (; i < n; i++) {
                if (len + bufs[i].len <= sizeof(g.rxbuf))
                    memcpy(g.rxbuf + len, bufs[i].data, bufs[i].len);
                len += bufs[i].len;
                if (!(bufs[i].flags & SLUICE_MEMIF_BUF_NEXT)) {
                    complete = true;
                    break;
                }
            }
            if (!complete) {
                /* A chain longer than a burst: counted as not ours. */
                p->foreign++;
                break;
            }
            frame = g.rxbuf;
        }
        i++;
        struct frame_id id;
        if (len > sizeof(g.rxbuf) || !frame_parse(frame, len, &id)) {
            p->foreign++;
            continue;
        }
        p->received++;
        if (id.rx_port != p->rx_index)
            p->wrong_port++;
        if (g.verify && !frame_verify(frame, len, g.scratch))
            p->bad++;
        record_latency(id.sent_ns, now);
    }
    sluice_memif_buf_put(p->m, 0, n);
    return n;
}

static void handle_all_events(void);
static void wait_events(uint64_t ns);

/* Sends back what arrived, buffer for buffer, with the Ethernet addresses swapped. Frames
 * that find no free buffer are dropped (and counted by the switch's view: not echoed). */
static unsigned echo_burst(struct gport *p)
{
    struct sluice_memif_buf in[BURST], out[BURST];
    unsigned n = sluice_memif_rx_burst(p->m, 0, in, BURST);
    if (n == 0)
        return 0;
    unsigned got = sluice_memif_buf_get(p->m, 0, out, n);
    unsigned k = 0;
    bool first = true;
    for (; k < got; k++) {
        memcpy(out[k].data, in[k].data, in[k].len);
        if (first && in[k].len >= 12) {
            memcpy(out[k].data, in[k].data + 6, 6);
            memcpy(out[k].data + 6, in[k].data, 6);
        }
        out[k].len = in[k].len;
        out[k].flags = in[k].flags;
        first = !(in[k].flags & SLUICE_MEMIF_BUF_NEXT);
    }
    /* tx_burst publishes whole frames only. */
    sluice_memif_tx_burst(p->m, 0, out, k);
    for (unsigned i = 0; i < n; i++)
        if (!(in[i].flags & SLUICE_MEMIF_BUF_NEXT))
            p->echoed++;
    sluice_memif_buf_put(p->m, 0, n);
    return n;
}

static int run_reflector(void)
{
    uint64_t end = g.duration > 0 ? now_ns() + (uint64_t)(g.duration * 1e9) : UINT64_MAX;
    fprintf(stderr, "sluice-pktgen: reflecting\n");
    while (!stop_requested && now_ns() < end) {
        unsigned work = 0;
        for (unsigned i = 0; i < g.nports; i++) {
            if (!sluice_memif_connected(g.ports[i].m))
                continue;
            for (int k = 0; k < 64; k++) {
                unsigned got = echo_burst(&g.ports[i]);
                work += got;
                if (got < BURST)
                    break;
            }
        }
        /* Reconnects after the switch restarts happen in handle_events. */
        handle_all_events();
        if (!work && !g.poll_mode)
            wait_events(100000000ull);
    }
    uint64_t echoed = 0;
    for (unsigned i = 0; i < g.nports; i++)
        echoed += g.ports[i].echoed;
    printf("echoed %" PRIu64 " frames\n", echoed);
    for (unsigned i = 0; i < g.nports; i++)
        sluice_memif_close(g.ports[i].m);
    free(g.lat);
    return 0;
}

static void announce_receivers(void)
{
    for (unsigned i = 0; i < g.nports; i++) {
        struct gport *p = &g.ports[i];
        if (!p->rx)
            continue;
        struct sluice_memif_buf b;
        if (sluice_memif_buf_get(p->m, 0, &b, 1) == 1) {
            frame_build_announce(b.data, p->rx_index);
            b.len = FRAME_MIN;
            sluice_memif_tx_burst(p->m, 0, &b, 1);
        }
    }
}

static uint64_t total_received(void)
{
    uint64_t s = 0;
    for (unsigned i = 0; i < g.nports; i++)
        s += g.ports[i].received;
    return s;
}

static bool all_connected(void)
{
    for (unsigned i = 0; i < g.nports; i++)
        if (!sluice_memif_connected(g.ports[i].m))
            return false;
    return true;
}

static void handle_all_events(void)
{
    for (unsigned i = 0; i < g.nports; i++)
        sluice_memif_handle_events(g.ports[i].m);
}

/* Sleeps until a port has something or `ns` pass. */
static void wait_events(uint64_t ns)
{
    struct pollfd pfds[MAX_PORTS];
    for (unsigned i = 0; i < g.nports; i++) {
        pfds[i].fd = sluice_memif_fd(g.ports[i].m);
        pfds[i].events = POLLIN;
    }
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ull),
                          .tv_nsec = (long)(ns % 1000000000ull)};
    ppoll(pfds, g.nports, &ts, NULL);
}

static double percentile(double q)
{
    if (g.lat_n == 0)
        return 0;
    uint64_t want = (uint64_t)ceil(q * (double)g.lat_n);
    if (want == 0)
        want = 1;
    uint64_t acc = 0;
    for (unsigned i = 0; i < LAT_BUCKETS; i++) {
        acc += g.lat[i];
        if (acc >= want)
            return i + 1; /* upper edge of the bucket, in microseconds */
    }
    return LAT_BUCKETS;
}

static void build_templates(void)
{
    for (unsigned i = 0; i < g.nports; i++) {
        if (!g.ports[i].tx)
            continue;
        struct frame_id id = {.tx_port = g.ports[i].tx_index};
        frame_build(g.templates[g.ports[i].tx_index], sizeof(g.templates[0]), &id);
    }
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"tx", required_argument, NULL, 't'},
        {"rx", required_argument, NULL, 'r'},
        {"size", required_argument, NULL, 's'},
        {"size-step", required_argument, NULL, 'S'},
        {"flows", required_argument, NULL, 'f'},
        {"rate", required_argument, NULL, 'R'},
        {"count", required_argument, NULL, 'c'},
        {"duration", required_argument, NULL, 'd'},
        {"wait-ms", required_argument, NULL, 'w'},
        {"no-verify", no_argument, NULL, 'V'},
        {"poll", no_argument, NULL, 'P'},
        {"buffer-size", required_argument, NULL, 'b'},
        {"ring-size", required_argument, NULL, 'n'},
        {"secret", required_argument, NULL, 'x'},
        {"connect-timeout-ms", required_argument, NULL, 'C'},
        {"json", no_argument, NULL, 'j'},
        {"echo", required_argument, NULL, 'e'},
        {"no-announce", no_argument, NULL, 'A'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        struct gport *p;
        switch (c) {
        case 't':
        case 'r':
            p = port_for(optarg);
            if (!p) {
                fprintf(stderr, "sluice-pktgen: too many ports\n");
                return 2;
            }
            if (c == 't' && !p->tx) {
                p->tx = true;
                p->tx_index = (uint16_t)g.ntx++;
            } else if (c == 'r' && !p->rx) {
                p->rx = true;
                p->rx_index = (uint16_t)g.nrx++;
            }
            break;
        case 's':
            if (parse_sizes(optarg) != 0) {
                fprintf(stderr, "sluice-pktgen: sizes must be %u..%u\n", FRAME_MIN, FRAME_MAX);
                return 2;
            }
            break;
        case 'S':
            g.size_step = (uint32_t)strtoul(optarg, NULL, 10);
            break;
        case 'f':
            g.flows = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'R':
            g.rate = strtod(optarg, NULL);
            break;
        case 'c':
            g.count = strtoull(optarg, NULL, 10);
            break;
        case 'd':
            g.duration = strtod(optarg, NULL);
            break;
        case 'w':
            g.wait_ms = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'V':
            g.verify = false;
            break;
        case 'P':
            g.poll_mode = true;
            break;
        case 'b':
            g.buffer_size = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'n': {
            unsigned slots = (unsigned)strtoul(optarg, NULL, 10);
            while ((1u << g.log2_ring) < slots)
                g.log2_ring++;
            break;
        }
        case 'x':
            g.secret = optarg;
            break;
        case 'C':
            g.connect_ms = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'j':
            g.json = true;
            break;
        case 'e':
            p = port_for(optarg);
            if (!p) {
                fprintf(stderr, "sluice-pktgen: too many ports\n");
                return 2;
            }
            p->echo = true;
            break;
        case 'A':
            g.no_announce = true;
            break;
        case 'h':
            usage();
            return 0;
        default:
            usage();
            return 2;
        }
    }
    bool reflector_only = g.ntx == 0 && g.nrx == 0 && g.nports > 0;
    if ((!reflector_only && (g.ntx == 0 || g.nrx == 0)) || g.flows == 0 || g.size_step == 0) {
        usage();
        return 2;
    }
    if (g.nsizes == 0 && g.size_hi == 0)
        g.sizes[g.nsizes++] = 64;
    if (!reflector_only && g.count == 0 && g.duration <= 0)
        g.duration = 5;
    g.lat = calloc(LAT_BUCKETS, sizeof(uint32_t));
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    for (unsigned i = 0; i < g.nports; i++)
        if (open_port(&g.ports[i]) != 0)
            return 1;
    build_templates();

    uint64_t deadline = now_ns() + (uint64_t)g.connect_ms * 1000000ull;
    while (!all_connected() && !stop_requested) {
        handle_all_events();
        if (all_connected())
            break;
        if (now_ns() > deadline) {
            for (unsigned i = 0; i < g.nports; i++)
                if (!sluice_memif_connected(g.ports[i].m))
                    fprintf(stderr, "sluice-pktgen: %s: not connected: %s\n", g.ports[i].spec,
                            sluice_memif_last_error(g.ports[i].m));
            return 1;
        }
        wait_events(10000000ull);
    }
    if (reflector_only)
        return run_reflector();
    if (!g.no_announce)
        announce_receivers();
    /* Give the switch a moment to learn the receivers' addresses. */
    uint64_t settle = now_ns() + 20000000ull;
    while (now_ns() < settle)
        wait_events(settle - now_ns());

    uint64_t start = now_ns();
    uint64_t send_end = g.count ? UINT64_MAX : start + (uint64_t)(g.duration * 1e9);
    uint64_t sent_total = 0, loops = 0;
    uint64_t last_rx = start;
    bool sending = true;
    uint64_t send_done_at = 0;
    while (!stop_requested) {
        uint64_t now = now_ns();
        unsigned work = 0;
        if (sending) {
            if ((g.count && sent_total >= g.count) || now >= send_end) {
                sending = false;
                send_done_at = now;
            }
        }
        if (sending) {
            uint64_t allowed = UINT64_MAX;
            if (g.rate > 0)
                allowed = (uint64_t)((double)(now - start) * g.rate / 1e9) + 1;
            if (g.count && allowed > g.count)
                allowed = g.count;
            /* Start with a different port each time so that a rate is shared evenly. */
            for (unsigned k = 0; k < g.nports && sent_total < allowed; k++) {
                struct gport *p = &g.ports[(k + loops) % g.nports];
                if (!p->tx)
                    continue;
                uint64_t room = allowed - sent_total;
                unsigned want = room < BURST ? (unsigned)room : BURST;
                unsigned s = send_burst(p, want, sent_total, now);
                sent_total += s;
                work += s;
            }
        }
        for (unsigned i = 0; i < g.nports; i++) {
            if (!g.ports[i].rx)
                continue;
            /* Empty the ring (within reason) so the switch always finds posted buffers. */
            for (int k = 0; k < 64; k++) {
                unsigned got = receive(&g.ports[i]);
                work += got;
                if (got < BURST)
                    break;
            }
        }
        for (unsigned i = 0; i < g.nports; i++)
            if (g.ports[i].echo)
                work += echo_burst(&g.ports[i]);
        if (work)
            last_rx = now;
        if (!sending) {
            if (total_received() >= sent_total ||
                now - (send_done_at > last_rx ? send_done_at : last_rx) >
                    (uint64_t)g.wait_ms * 1000000ull)
                break;
        }
        if (++loops % 1024 == 0 || (!work && !g.poll_mode))
            handle_all_events();
        if (!work && !g.poll_mode) {
            uint64_t nap = 1000000ull;
            if (sending && g.rate > 0) {
                uint64_t next = start + (uint64_t)((double)(sent_total + 1) * 1e9 / g.rate);
                nap = next > now ? next - now : 0;
                if (nap > 1000000ull)
                    nap = 1000000ull;
            }
            if (nap)
                wait_events(nap);
        }
    }
    uint64_t end = send_done_at ? send_done_at : now_ns();
    double secs = (double)(end - start) / 1e9;
    uint64_t rx = total_received(), bad = 0, wrong = 0, foreign = 0;
    for (unsigned i = 0; i < g.nports; i++) {
        bad += g.ports[i].bad;
        wrong += g.ports[i].wrong_port;
        foreign += g.ports[i].foreign;
    }
    uint64_t lost = sent_total > rx ? sent_total - rx : 0;
    double tx_pps = secs > 0 ? (double)sent_total / secs : 0;
    double rx_pps = secs > 0 ? (double)rx / secs : 0;
    bool disconnected = !all_connected();
    if (g.json) {
        printf("{\"tx\":%" PRIu64 ",\"rx\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"bad\":%" PRIu64
               ",\"wrong_port\":%" PRIu64 ",\"foreign\":%" PRIu64
               ",\"seconds\":%.3f,\"tx_pps\":%.0f,\"rx_pps\":%.0f,"
               "\"lat_p50_us\":%.0f,\"lat_p90_us\":%.0f,\"lat_p99_us\":%.0f,"
               "\"lat_p999_us\":%.0f,\"lat_max_us\":%.1f,\"connected\":%s}\n",
               sent_total, rx, lost, bad, wrong, foreign, secs, tx_pps, rx_pps, percentile(0.5),
               percentile(0.9), percentile(0.99), percentile(0.999), (double)g.lat_max_ns / 1e3,
               disconnected ? "false" : "true");
    } else {
        printf("sent      %" PRIu64 " frames in %.3f s: %.3f Mpps\n", sent_total, secs,
               tx_pps / 1e6);
        printf("received  %" PRIu64 " frames: %.3f Mpps\n", rx, rx_pps / 1e6);
        printf("lost      %" PRIu64 " (%.4f%%)\n", lost,
               sent_total ? 100.0 * (double)lost / (double)sent_total : 0.0);
        printf("corrupt   %" PRIu64 "%s, to the wrong port %" PRIu64 ", not ours %" PRIu64 "\n",
               bad, g.verify ? "" : " (not verified)", wrong, foreign);
        printf("latency   p50 %.0f us, p90 %.0f us, p99 %.0f us, p99.9 %.0f us, max %.1f us\n",
               percentile(0.5), percentile(0.9), percentile(0.99), percentile(0.999),
               (double)g.lat_max_ns / 1e3);
    }
    for (unsigned i = 0; i < g.nports; i++)
        sluice_memif_close(g.ports[i].m);
    free(g.lat);
    return (lost || bad || wrong) ? 3 : 0;
}

/* top_cmd.c - sluicectl top: a live view of every port's receive and transmit rates, drops
 * and protocol mix, refreshed from port.list; `--once` prints one snapshot (text or JSON). */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

#define L3_CLASSES 4
#define L4_CLASSES 4
static const char *const l3_names[L3_CLASSES] = {"ipv4", "ipv6", "arp", "other"};
static const char *const l4_names[L4_CLASSES] = {"tcp", "udp", "icmp", "other"};

struct port_sample {
    char name[64];
    bool up;
    uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes, drops;
    uint64_t l3[L3_CLASSES], l4[L4_CLASSES]; /* packets, received and sent together */
};

struct sample {
    double t; /* monotonic seconds */
    struct port_sample *ports;
    size_t n;
};

struct port_rate {
    const struct port_sample *now;
    double rx_pps, rx_bps, tx_pps, tx_bps, drops_ps;
    double l3_pps[L3_CLASSES], l4_pps[L4_CLASSES];
};

enum sort_key { SORT_BOTH, SORT_RX, SORT_TX, SORT_DROPS, SORT_NAME };
static const char *const sort_names[] = {"rx+tx", "rx", "tx", "drops", "name"};

static volatile sig_atomic_t stop_requested, resized;

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t u64(const struct json *j, const char *key)
{
    int64_t v = 0;
    json_get_int(j, key, 0, INT64_MAX, &v);
    return (uint64_t)v;
}

static uint64_t sum_members(const struct json *obj)
{
    uint64_t t = 0;
    for (size_t i = 0; obj && obj->type == JSON_OBJECT && i < obj->n; i++) {
        int64_t v = 0;
        if (json_as_int(obj->items[i], 0, INT64_MAX, &v))
            t += (uint64_t)v;
    }
    return t;
}

/* Packets of one class group (l3 or l4), received plus sent. */
static void class_packets(const struct json *stats, const char *group, const char *const *names,
                          unsigned n, uint64_t *out)
{
    for (unsigned k = 0; k < n; k++) {
        out[k] = 0;
        const char *dirs[2] = {"traffic_rx", "traffic_tx"};
        for (int d = 0; d < 2; d++)
            out[k] += u64(json_get(json_get(json_get(stats, dirs[d]), group), names[k]), "packets");
    }
}

static int take_sample(struct ctl *c, struct sample *s)
{
    struct json *r;
    int rc = ctl_call(c, "port.list", NULL, &r);
    if (rc)
        return rc;
    s->t = mono_now();
    const struct json *ports = json_get(r, "ports");
    s->n = ports && ports->type == JSON_ARRAY ? ports->n : 0;
    s->ports = calloc(s->n ? s->n : 1, sizeof(*s->ports));
    for (size_t i = 0; i < s->n; i++) {
        const struct json *p = ports->items[i], *st = json_get(p, "stats");
        struct port_sample *ps = &s->ports[i];
        snprintf(ps->name, sizeof(ps->name), "%s", json_get_str(p, "name", "?"));
        ps->up = json_get_bool(p, "up", false);
        ps->rx_packets = u64(st, "rx_packets");
        ps->rx_bytes = u64(st, "rx_bytes");
        ps->tx_packets = u64(st, "tx_packets");
        ps->tx_bytes = u64(st, "tx_bytes");
        ps->drops = sum_members(json_get(st, "rx_drops")) + sum_members(json_get(st, "tx_drops"));
        class_packets(st, "l3", l3_names, L3_CLASSES, ps->l3);
        class_packets(st, "l4", l4_names, L4_CLASSES, ps->l4);
    }
    json_free(r);
    return 0;
}

static void free_sample(struct sample *s)
{
    free(s->ports);
    s->ports = NULL;
    s->n = 0;
}

/* A counter's rate; a port that was re-created (counter went back) restarts from zero. */
static double per_s(uint64_t now, uint64_t before, double dt)
{
    return now >= before && dt > 0 ? (double)(now - before) / dt : 0;
}

static struct port_rate *rates(const struct sample *prev, const struct sample *cur)
{
    struct port_rate *out = calloc(cur->n ? cur->n : 1, sizeof(*out));
    double dt = cur->t - prev->t;
    for (size_t i = 0; i < cur->n; i++) {
        const struct port_sample *now = &cur->ports[i], *was = NULL;
        for (size_t k = 0; k < prev->n && !was; k++)
            if (strcmp(prev->ports[k].name, now->name) == 0)
                was = &prev->ports[k];
        struct port_rate *r = &out[i];
        r->now = now;
        if (!was)
            continue; /* new since the last sample: no rate yet */
        r->rx_pps = per_s(now->rx_packets, was->rx_packets, dt);
        r->rx_bps = 8 * per_s(now->rx_bytes, was->rx_bytes, dt);
        r->tx_pps = per_s(now->tx_packets, was->tx_packets, dt);
        r->tx_bps = 8 * per_s(now->tx_bytes, was->tx_bytes, dt);
        r->drops_ps = per_s(now->drops, was->drops, dt);
        for (int k = 0; k < L3_CLASSES; k++)
            r->l3_pps[k] = per_s(now->l3[k], was->l3[k], dt);
        for (int k = 0; k < L4_CLASSES; k++)
            r->l4_pps[k] = per_s(now->l4[k], was->l4[k], dt);
    }
    return out;
}

static enum sort_key current_sort;

static int cmp_rate(const void *a, const void *b)
{
    const struct port_rate *x = a, *y = b;
    double kx = 0, ky = 0;
    switch (current_sort) {
    case SORT_BOTH:
        kx = x->rx_bps + x->tx_bps, ky = y->rx_bps + y->tx_bps;
        break;
    case SORT_RX:
        kx = x->rx_bps, ky = y->rx_bps;
        break;
    case SORT_TX:
        kx = x->tx_bps, ky = y->tx_bps;
        break;
    case SORT_DROPS:
        kx = x->drops_ps, ky = y->drops_ps;
        if (kx == ky)
            kx = (double)x->now->drops, ky = (double)y->now->drops;
        break;
    case SORT_NAME:
        break;
    }
    if (kx != ky)
        return kx > ky ? -1 : 1;
    return strcmp(x->now->name, y->now->name);
}

/* 1234567 -> "1.23M" */
static const char *si(double v, char *buf, size_t len)
{
    static const char units[] = " KMGTP";
    int u = 0;
    while (v >= 1000 && u < 5) {
        v /= 1000;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%.0f", v);
    else
        snprintf(buf, len, "%.*f%c", v < 10 ? 2 : v < 100 ? 1 : 0, v, units[u]);
    return buf;
}

static void mix_text(const struct port_rate *r, char *buf, size_t len)
{
    double l3 = 0, l4 = 0;
    for (int k = 0; k < L3_CLASSES; k++)
        l3 += r->l3_pps[k];
    for (int k = 0; k < L4_CLASSES; k++)
        l4 += r->l4_pps[k];
    size_t off = 0;
    buf[0] = '\0';
    if (l3 <= 0) {
        snprintf(buf, len, "-");
        return;
    }
    for (int k = 0; k < L3_CLASSES && off < len; k++)
        if (r->l3_pps[k] > 0)
            off += (size_t)snprintf(buf + off, len - off, "%s %.0f%% ", l3_names[k],
                                    100 * r->l3_pps[k] / l3);
    if (l4 > 0 && off < len)
        off += (size_t)snprintf(buf + off, len - off, "|");
    for (int k = 0; k < L4_CLASSES && off < len; k++)
        if (r->l4_pps[k] > 0)
            off += (size_t)snprintf(buf + off, len - off, " %s %.0f%%", l4_names[k],
                                    100 * r->l4_pps[k] / l4);
}

static void print_table(FILE *out, const struct port_rate *r, size_t n, double dt, size_t rows,
                        unsigned cols)
{
    double sum[5] = {0};
    for (size_t i = 0; i < n; i++) {
        sum[0] += r[i].rx_pps, sum[1] += r[i].rx_bps, sum[2] += r[i].tx_pps;
        sum[3] += r[i].tx_bps, sum[4] += r[i].drops_ps;
    }
    char a[16], b[16], c[16], d[16], e[16];
    fprintf(out, "sluice top - %zu ports, %.1f s interval, sorted by %s\n", n, dt,
            sort_names[current_sort]);
    fprintf(out, "total: rx %s pkt/s %sbit/s  tx %s pkt/s %sbit/s  drops %s/s\n", si(sum[0], a, 16),
            si(sum[1], b, 16), si(sum[2], c, 16), si(sum[3], d, 16), si(sum[4], e, 16));
    char line[512];
    snprintf(line, sizeof(line), "%-16s %-4s %9s %9s %9s %9s %8s %10s  %s", "PORT", "LINK",
             "RX_PPS", "RX_BPS", "TX_PPS", "TX_BPS", "DROPS/S", "DROPS", "MIX (PACKETS)");
    fprintf(out, "%.*s\n", (int)cols, line);
    for (size_t i = 0; i < n && i < rows; i++) {
        char mix[160];
        mix_text(&r[i], mix, sizeof(mix));
        snprintf(line, sizeof(line), "%-16s %-4s %9s %9s %9s %9s %8s %10llu  %s", r[i].now->name,
                 r[i].now->up ? "up" : "down", si(r[i].rx_pps, a, 16), si(r[i].rx_bps, b, 16),
                 si(r[i].tx_pps, c, 16), si(r[i].tx_bps, d, 16), si(r[i].drops_ps, e, 16),
                 (unsigned long long)r[i].now->drops, mix);
        fprintf(out, "%.*s\n", (int)cols, line);
    }
    if (n > rows)
        fprintf(out, "... %zu more\n", n - rows);
}

static void print_json(const struct port_rate *r, size_t n, double dt)
{
    struct jw w;
    jw_init(&w);
    jw_obj_begin(&w);
    jw_key(&w, "interval_s");
    jw_double(&w, dt);
    jw_kstr(&w, "sort", sort_names[current_sort]);
    jw_key(&w, "ports");
    jw_arr_begin(&w);
    for (size_t i = 0; i < n; i++) {
        jw_obj_begin(&w);
        jw_kstr(&w, "name", r[i].now->name);
        jw_kbool(&w, "up", r[i].now->up);
        static const char *const keys[] = {"rx_pps", "rx_bps", "tx_pps", "tx_bps", "drops_per_s"};
        const double vals[] = {r[i].rx_pps, r[i].rx_bps, r[i].tx_pps, r[i].tx_bps, r[i].drops_ps};
        for (int k = 0; k < 5; k++) {
            jw_key(&w, keys[k]);
            jw_double(&w, vals[k]);
        }
        jw_kuint(&w, "drops", r[i].now->drops);
        jw_kuint(&w, "rx_packets", r[i].now->rx_packets);
        jw_kuint(&w, "tx_packets", r[i].now->tx_packets);
        jw_key(&w, "l3_pps");
        jw_obj_begin(&w);
        for (int k = 0; k < L3_CLASSES; k++) {
            jw_key(&w, l3_names[k]);
            jw_double(&w, r[i].l3_pps[k]);
        }
        jw_obj_end(&w);
        jw_key(&w, "l4_pps");
        jw_obj_begin(&w);
        for (int k = 0; k < L4_CLASSES; k++) {
            jw_key(&w, l4_names[k]);
            jw_double(&w, r[i].l4_pps[k]);
        }
        jw_obj_end(&w);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
    char err[64];
    struct json *j = json_parse(jw_text(&w), strlen(jw_text(&w)), err, sizeof(err));
    ctl_print_json(j);
    json_free(j);
    jw_free(&w);
}

/* ---- the terminal ---- */

static struct termios saved_tio;
static bool tio_saved;

static void restore_terminal(void)
{
    if (tio_saved) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
        tio_saved = false;
        fputs("\033[?25h\033[?1049l", stdout); /* cursor back, leave the alternate screen */
        fflush(stdout);
    }
}

static void on_signal(int sig)
{
    if (sig == SIGWINCH)
        resized = 1;
    else
        stop_requested = 1;
}

static int raw_terminal(void)
{
    if (tcgetattr(STDIN_FILENO, &saved_tio) < 0)
        return -1;
    struct termios raw = saved_tio;
    raw.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) < 0)
        return -1;
    tio_saved = true;
    atexit(restore_terminal);
    fputs("\033[?1049h\033[?25l", stdout); /* alternate screen, no cursor */
    return 0;
}

static void screen_size(size_t *rows, unsigned *cols)
{
    struct winsize ws;
    *rows = 1000000;
    *cols = 511;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 4 && ws.ws_col > 20) {
        *rows = ws.ws_row - 4u;
        *cols = ws.ws_col < 511 ? ws.ws_col : 511;
    }
}

static bool key_sort(int ch)
{
    switch (ch) {
    case 'r':
        current_sort = SORT_RX;
        return true;
    case 't':
        current_sort = SORT_TX;
        return true;
    case 'b':
        current_sort = SORT_BOTH;
        return true;
    case 'd':
        current_sort = SORT_DROPS;
        return true;
    case 'n':
        current_sort = SORT_NAME;
        return true;
    default:
        return false;
    }
}

static int usage_error(void)
{
    return ctl_error("usage: top [--once] [--interval SECONDS] [--sort rx|tx|both|drops|name] "
                     "[-n ITERATIONS]");
}

static int top(struct ctl *c, int argc, char **argv)
{
    double interval = 1.0;
    bool once = false;
    long iterations = -1;
    current_sort = SORT_BOTH;
    for (int i = 1; i < argc; i++) {
        char *end;
        if (strcmp(argv[i], "--once") == 0) {
            once = true;
        } else if (strcmp(argv[i], "--interval") == 0 && i + 1 < argc) {
            interval = strtod(argv[++i], &end);
            if (*end || !(interval >= 0.1 && interval <= 3600))
                return ctl_error("--interval: expected 0.1..3600 seconds");
        } else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
            iterations = strtol(argv[++i], &end, 10);
            if (*end || iterations < 1)
                return ctl_error("-n: expected a positive count");
        } else if (strcmp(argv[i], "--sort") == 0 && i + 1 < argc) {
            const char *k = argv[++i];
            static const char *const words[] = {"both", "rx", "tx", "drops", "name"};
            static const char keys[] = "brtdn";
            int found = -1;
            for (int w = 0; w < 5; w++)
                if (strcmp(k, words[w]) == 0)
                    found = w;
            if (found < 0)
                return usage_error();
            key_sort(keys[found]);
        } else {
            return usage_error();
        }
    }
    if (c->json && !once)
        return ctl_error("--json needs --once (one snapshot)");

    struct sample prev = {0}, cur = {0};
    int rc = take_sample(c, &prev);
    if (rc)
        return rc;
    bool interactive = !once && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGWINCH, &sa, NULL);
    if (interactive && raw_terminal() < 0)
        interactive = false;

    double next = prev.t + interval;
    struct port_rate *shown = NULL;
    double shown_dt = 0;
    long frames = 0;
    while (!stop_requested) {
        /* Wait for the next sample, answering keys and resizes at once. */
        bool redraw = false;
        double wait_s = next - mono_now();
        if (wait_s > 0) {
            struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
            int pr = poll(&pfd, interactive ? 1 : 0, (int)ceil(wait_s * 1000));
            if (pr < 0 && errno != EINTR)
                break;
            if (pr > 0) {
                char keys[16];
                ssize_t k = read(STDIN_FILENO, keys, sizeof(keys));
                for (ssize_t j = 0; j < k; j++) {
                    if (keys[j] == 'q' || keys[j] == 'Q' || keys[j] == 3)
                        stop_requested = 1;
                    else if (key_sort(keys[j]))
                        redraw = true;
                }
            }
            if (resized) {
                resized = 0;
                redraw = true;
            }
            if (!redraw || !shown || stop_requested)
                continue;
        } else {
            rc = take_sample(c, &cur);
            if (rc)
                break;
            free(shown);
            shown = rates(&prev, &cur);
            shown_dt = cur.t - prev.t;
            free_sample(&prev);
            prev = cur;
            cur = (struct sample){0};
            next += interval;
            if (next < mono_now())
                next = mono_now() + interval;
        }
        qsort(shown, prev.n, sizeof(*shown), cmp_rate);
        if (once) {
            if (c->json)
                print_json(shown, prev.n, shown_dt);
            else
                print_table(stdout, shown, prev.n, shown_dt, (size_t)-1, 511);
            break;
        }
        size_t rows;
        unsigned cols;
        screen_size(&rows, &cols);
        if (interactive) {
            fputs("\033[H\033[2J", stdout);
            print_table(stdout, shown, prev.n, shown_dt, rows, cols);
            fputs("keys: r rx  t tx  b both  d drops  n name  q quit", stdout);
        } else {
            print_table(stdout, shown, prev.n, shown_dt, (size_t)-1, 511);
            putchar('\n');
        }
        fflush(stdout);
        if (!redraw && iterations > 0 && ++frames >= iterations)
            break;
    }
    restore_terminal();
    if (stop_requested)
        rc = 0; /* interrupted while asking the switch: still a normal end */
    free(shown);
    free_sample(&prev);
    free_sample(&cur);
    return rc;
}
CTL_COMMAND(cmd_top,
            {"top", "[--once] [--interval S] [--sort KEY] [-n N]",
             "live rates per port (keys r t b d n to sort, q to quit); --once --json", top});

/* analyze.c - --analyze's statistics: per-interval and total counts by protocol and size,
 * conversations by IP pair and by 5-tuple, and their printed reports. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "analyze.h"
#include "trafstats.h"

static void stats_init(struct an_stats *s)
{
    memset(s, 0, sizeof(*s));
    an_table_init(&s->pairs, AN_TABLE_MAX);
    an_table_init(&s->flows, AN_TABLE_MAX);
}

static void stats_reset(struct an_stats *s)
{
    struct an_table pairs = s->pairs, flows = s->flows;
    memset(s, 0, sizeof(*s));
    s->pairs = pairs;
    s->flows = flows;
    an_table_clear(&s->pairs);
    an_table_clear(&s->flows);
}

int analyzer_init(struct analyzer *a, FILE *out, uint64_t interval_ns)
{
    memset(a, 0, sizeof(*a));
    a->out = out;
    a->interval_ns = interval_ns;
    stats_init(&a->total);
    stats_init(&a->interval);
    return 0;
}

void analyzer_free(struct analyzer *a)
{
    an_table_free(&a->total.pairs);
    an_table_free(&a->total.flows);
    an_table_free(&a->interval.pairs);
    an_table_free(&a->interval.flows);
}

static void count(struct an_stats *s, uint64_t ts, const struct an_pkt *p,
                  const struct an_key *pair, const struct an_key *flow, uint32_t len)
{
    if (!s->packets || ts < s->first_ns)
        s->first_ns = ts;
    if (ts > s->last_ns)
        s->last_ns = ts;
    s->packets++;
    s->bytes += len;
    s->l3_packets[p->l3]++;
    s->l3_bytes[p->l3] += len;
    if (p->l4 < AN_L4 && (p->l3 == TS_L3_IPV4 || p->l3 == TS_L3_IPV6)) {
        int v = p->l3 == TS_L3_IPV6;
        s->l4_packets[v][p->l4]++;
        s->l4_bytes[v][p->l4] += len;
    }
    s->size_packets[trafstats_size_bucket(len)]++;
    if (pair)
        an_table_add(&s->pairs, pair, len);
    if (flow)
        an_table_add(&s->flows, flow, len);
}

static void report_interval(struct analyzer *a)
{
    char title[96];
    snprintf(title, sizeof(title), "interval %u", ++a->intervals);
    analyzer_report(a->out, title, &a->interval);
    stats_reset(&a->interval);
}

void analyzer_tick(struct analyzer *a, uint64_t now_ns)
{
    if (!a->interval_ns || !a->interval_end_ns || now_ns < a->interval_end_ns)
        return;
    if (a->interval.packets)
        report_interval(a);
    /* The next interval that contains now; empty ones in between are not printed. */
    uint64_t behind = (now_ns - a->interval_end_ns) / a->interval_ns + 1;
    a->interval_end_ns += behind * a->interval_ns;
}

void analyzer_packet(struct analyzer *a, uint64_t ts_ns, const uint8_t *data, uint32_t caplen,
                     uint32_t origlen)
{
    if (a->interval_ns) {
        if (!a->interval_end_ns)
            a->interval_end_ns = ts_ns + a->interval_ns;
        else
            analyzer_tick(a, ts_ns);
    }
    struct an_pkt p;
    analyze_decode(data, caplen, &p);
    struct an_key pair, flow;
    bool has_pair = an_pair_key(&p, &pair), has_flow = an_flow_key(&p, &flow);
    uint32_t len = origlen > caplen ? origlen : caplen;
    count(&a->total, ts_ns, &p, has_pair ? &pair : NULL, has_flow ? &flow : NULL, len);
    if (a->interval_ns)
        count(&a->interval, ts_ns, &p, has_pair ? &pair : NULL, has_flow ? &flow : NULL, len);
}

void analyzer_finish(struct analyzer *a)
{
    if (a->interval_ns && a->interval.packets && a->intervals)
        report_interval(a);
    analyzer_report(a->out, "total", &a->total);
    fflush(a->out);
}

/* ---- reports ---- */

static double pct(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static void addr_text(uint8_t family, const uint8_t *addr, char *buf, size_t len)
{
    inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, buf, (socklen_t)len);
}

static const char *proto_name(uint8_t proto, uint8_t family, char *buf, size_t len)
{
    switch (proto) {
    case 6:
        return "tcp";
    case 17:
        return "udp";
    case 1:
        return family == 4 ? "icmp" : "ip-1";
    case 58:
        return family == 6 ? "icmp6" : "ip-58";
    default:
        snprintf(buf, len, "ip-%u", proto);
        return buf;
    }
}

static void endpoint(char *buf, size_t len, uint8_t family, const uint8_t *addr, uint16_t port,
                     bool with_port)
{
    char a[INET6_ADDRSTRLEN];
    addr_text(family, addr, a, sizeof(a));
    if (!with_port)
        snprintf(buf, len, "%s", a);
    else if (family == 6)
        snprintf(buf, len, "[%s]:%u", a, port);
    else
        snprintf(buf, len, "%s:%u", a, port);
}

static void talkers(FILE *out, const char *title, const struct an_table *t, bool flows)
{
    const struct an_entry *top[AN_TOP];
    unsigned n = an_table_top(t, top, AN_TOP);
    fprintf(out, "top talkers by %s (%zu conversations", title, t->n);
    if (t->untracked_packets)
        fprintf(out, "; %" PRIu64 " packets of further ones not tracked", t->untracked_packets);
    fprintf(out, "):\n");
    for (unsigned i = 0; i < n; i++) {
        const struct an_key *k = &top[i]->key;
        char a[64], b[64], pn[16];
        bool ports = flows && (k->proto == 6 || k->proto == 17);
        endpoint(a, sizeof(a), k->family, k->addr_a, k->port_a, ports);
        endpoint(b, sizeof(b), k->family, k->addr_b, k->port_b, ports);
        if (flows)
            fprintf(out, "  %2u %-6s %-45s <-> %-45s packets %10" PRIu64 " bytes %12" PRIu64 "\n",
                    i + 1, proto_name(k->proto, k->family, pn, sizeof(pn)), a, b, top[i]->packets,
                    top[i]->bytes);
        else
            fprintf(out, "  %2u %-39s <-> %-39s packets %10" PRIu64 " bytes %12" PRIu64 "\n", i + 1,
                    a, b, top[i]->packets, top[i]->bytes);
    }
}

static void time_text(uint64_t ns, char *buf, size_t len)
{
    time_t s = (time_t)(ns / 1000000000u);
    struct tm tm;
    gmtime_r(&s, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%06u", (unsigned)(ns % 1000000000u / 1000));
}

void analyzer_report(FILE *out, const char *title, const struct an_stats *s)
{
    char from[40], to[40];
    time_text(s->first_ns, from, sizeof(from));
    time_text(s->last_ns, to, sizeof(to));
    double span = (double)(s->last_ns - s->first_ns) / 1e9;
    fprintf(out, "=== %s: %s - %s UTC (%.6f s) ===\n", title, from, to, span);
    fprintf(out, "packets %" PRIu64 " bytes %" PRIu64, s->packets, s->bytes);
    if (span > 0)
        fprintf(out, " rate %.1f pkt/s %.1f bit/s", (double)s->packets / span,
                8.0 * (double)s->bytes / span);
    fprintf(out, "\nprotocol          packets        %%           bytes        %%\n");
    for (int l3 = 0; l3 < AN_L3; l3++) {
        fprintf(out, "%-10s %14" PRIu64 " %7.2f%% %15" PRIu64 " %7.2f%%\n", ts_l3_names[l3],
                s->l3_packets[l3], pct(s->l3_packets[l3], s->packets), s->l3_bytes[l3],
                pct(s->l3_bytes[l3], s->bytes));
        if (l3 != TS_L3_IPV4 && l3 != TS_L3_IPV6)
            continue;
        int v = l3 == TS_L3_IPV6;
        for (int l4 = 0; l4 < AN_L4; l4++)
            fprintf(out, "  %-8s %14" PRIu64 " %7.2f%% %15" PRIu64 " %7.2f%%\n",
                    l4 == TS_L4_ICMP && v ? "icmp6" : ts_l4_names[l4], s->l4_packets[v][l4],
                    pct(s->l4_packets[v][l4], s->packets), s->l4_bytes[v][l4],
                    pct(s->l4_bytes[v][l4], s->bytes));
    }
    fprintf(out, "size              packets        %%\n");
    for (int b = 0; b < AN_SIZES; b++)
        fprintf(out, "%-10s %14" PRIu64 " %7.2f%%\n", ts_size_names[b], s->size_packets[b],
                pct(s->size_packets[b], s->packets));
    talkers(out, "IP pair", &s->pairs, false);
    talkers(out, "5-tuple", &s->flows, true);
    fprintf(out, "\n");
}

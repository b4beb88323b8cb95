/* test_metrics_text.c - the Prometheus text the metrics endpoint writes: escaping, name
 * rules, every per-port family with exact values, the cumulative size histogram, captures and
 * flow caches, and that the text is one family at a time with each sample line well formed. */
#include "check.h"
#include "flowpath.h"
#include "metrics.h"
#include "promtext.h"

#include <stdlib.h>

static bool has_line(const struct promtext *pt, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = pt->tb.buf; p && (p = strstr(p, line)) != NULL; p++)
        if ((p == pt->tb.buf || p[-1] == '\n') && p[n] == '\n')
            return true;
    fprintf(stderr, "missing line: %s\n", line);
    return false;
}

/* Families appear once, TYPE right after HELP, and samples carry their family's name. */
static bool well_formed(const char *text)
{
    char family[128] = "";
    char seen[64][128];
    unsigned nseen = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        if (!nl)
            return false;
        char line[1024];
        size_t n = (size_t)(nl - p);
        if (n >= sizeof(line))
            return false;
        memcpy(line, p, n);
        line[n] = '\0';
        p = nl + 1;
        if (strncmp(line, "# HELP ", 7) == 0) {
            if (sscanf(line + 7, "%127s", family) != 1)
                return false;
            for (unsigned i = 0; i < nseen; i++)
                if (strcmp(seen[i], family) == 0)
                    return false;
            if (nseen < 64)
                strcpy(seen[nseen++], family);
            char want[160];
            snprintf(want, sizeof(want), "# TYPE %s ", family);
            if (strncmp(p, want, strlen(want)) != 0)
                return false;
            continue;
        }
        if (strncmp(line, "# TYPE ", 7) == 0)
            continue;
        size_t fl = strlen(family);
        if (!fl || strncmp(line, family, fl) != 0)
            return false;
        const char *rest = line + fl;
        if (strncmp(rest, "_bucket", 7) == 0 || strncmp(rest, "_count", 6) == 0)
            rest += rest[1] == 'b' ? 7 : 6;
        else if (strncmp(rest, "_sum", 4) == 0)
            rest += 4;
        if (*rest == '{') {
            const char *close = strrchr(rest, '}');
            if (!close)
                return false;
            rest = close + 1;
        }
        if (*rest != ' ')
            return false;
        char *end;
        strtoull(rest + 1, &end, 10);
        if (end == rest + 1 || *end)
            return false;
    }
    return true;
}

static struct port *new_port(const char *name, const struct port_kind *kind)
{
    struct port *p = calloc(1, sizeof(*p));
    snprintf(p->name, sizeof(p->name), "%s", name);
    p->kind = kind;
    return p;
}

int main(void)
{
    struct promtext pt;
    pt_init(&pt);
    pt_family(&pt, "x_total", "counter", "Back\\slash and\nnewline \"kept\".");
    struct pt_label l[] = {{"port", "a\"b\\c\nd"}, {"bad", "\xff\xc3("}, {"ok", "\xc3\xa9"}};
    pt_sample(&pt, "x_total", l, 3, 18446744073709551615ull);
    pt_sample(&pt, "x_total", NULL, 0, 0);
    pt_sample_double(&pt, "x_total", NULL, 0, 0.5);
    CHECK(has_line(&pt, "# HELP x_total Back\\\\slash and\\nnewline \"kept\"."));
    CHECK(has_line(&pt, "# TYPE x_total counter"));
    CHECK(has_line(&pt, "x_total{port=\"a\\\"b\\\\c\\nd\",bad=\"\xef\xbf\xbd\xef\xbf\xbd(\","
                        "ok=\"\xc3\xa9\"} 18446744073709551615"));
    CHECK(has_line(&pt, "x_total 0"));
    CHECK(has_line(&pt, "x_total 0.5"));
    CHECK(!pt.tb.oom);
    pt_free(&pt);

    CHECK(pt_valid_metric_name("sluice_port_rx_packets_total"));
    CHECK(pt_valid_metric_name("a:b_1"));
    CHECK(!pt_valid_metric_name("1abc"));
    CHECK(!pt_valid_metric_name("a-b"));
    CHECK(!pt_valid_metric_name(""));
    CHECK(pt_valid_label_name("port"));
    CHECK(!pt_valid_label_name("__name"));
    CHECK(!pt_valid_label_name("a:b"));

    /* A version with two ports and a free slot between them. */
    static const struct port_kind fake = {.name = "fake"};
    struct dp_port slots[3] = {{0}};
    slots[0].port = new_port("p1", &fake);
    slots[2].port = new_port("q\"2", &fake);
    slots[2].port->failed = true;
    struct dp_config cfg = {.nslots = 3, .slots = slots};
    struct port *p1 = slots[0].port;
    p1->stats.rx_packets = 11;
    p1->stats.rx_bytes = 2222;
    p1->stats.tx_packets = 33;
    p1->stats.tx_bytes = 4444;
    p1->stats.rx_drops[DROP_VLAN] = 5;
    p1->stats.tx_drops[DROP_TX_FULL] = 6;
    struct traf_counters *rx = &p1->traffic[0], *tx = &p1->traffic[1];
    rx->l3_packets[TS_L3_IPV4] = 7;
    rx->l3_bytes[TS_L3_IPV4] = 700;
    rx->l3_packets[TS_L3_ARP] = 2;
    rx->l3_bytes[TS_L3_ARP] = 120;
    rx->l4_packets[TS_L4_UDP] = 4;
    rx->l4_bytes[TS_L4_UDP] = 400;
    tx->l4_packets[TS_L4_ICMP] = 3;
    tx->l4_bytes[TS_L4_ICMP] = 294;
    tx->cast_packets[TS_BROADCAST] = 9;
    for (unsigned b = 0; b < TS_SIZE_BUCKETS; b++)
        rx->size_packets[b] = b + 1; /* 1..7: cumulative 1,3,6,10,15,21,28 */
    pt_init(&pt);
    metrics_write_ports(&pt, &cfg);
    CHECK(!pt.tb.oom && pt.tb.buf);
    CHECK(well_formed(pt.tb.buf));
    CHECK(has_line(&pt, "sluice_port_up{port=\"p1\",type=\"fake\"} 1"));
    CHECK(has_line(&pt, "sluice_port_up{port=\"q\\\"2\",type=\"fake\"} 0"));
    CHECK(has_line(&pt, "# TYPE sluice_port_rx_packets_total counter"));
    CHECK(has_line(&pt, "sluice_port_rx_packets_total{port=\"p1\"} 11"));
    CHECK(has_line(&pt, "sluice_port_rx_bytes_total{port=\"p1\"} 2222"));
    CHECK(has_line(&pt, "sluice_port_tx_packets_total{port=\"p1\"} 33"));
    CHECK(has_line(&pt, "sluice_port_tx_bytes_total{port=\"p1\"} 4444"));
    CHECK(has_line(&pt, "sluice_port_rx_packets_total{port=\"q\\\"2\"} 0"));
    CHECK(has_line(&pt, "sluice_port_rx_drops_total{port=\"p1\",reason=\"vlan\"} 5"));
    CHECK(has_line(&pt, "sluice_port_rx_drops_total{port=\"p1\",reason=\"malformed\"} 0"));
    CHECK(has_line(&pt, "sluice_port_tx_drops_total{port=\"p1\",reason=\"tx_full\"} 6"));
    CHECK(has_line(
        &pt, "sluice_port_l3_packets_total{port=\"p1\",direction=\"rx\",protocol=\"ipv4\"} 7"));
    CHECK(has_line(
        &pt, "sluice_port_l3_bytes_total{port=\"p1\",direction=\"rx\",protocol=\"arp\"} 120"));
    CHECK(has_line(
        &pt, "sluice_port_l4_packets_total{port=\"p1\",direction=\"rx\",protocol=\"udp\"} 4"));
    CHECK(has_line(
        &pt, "sluice_port_l4_bytes_total{port=\"p1\",direction=\"tx\",protocol=\"icmp\"} 294"));
    CHECK(has_line(
        &pt, "sluice_port_cast_packets_total{port=\"p1\",direction=\"tx\",cast=\"broadcast\"} 9"));
    CHECK(has_line(&pt, "# TYPE sluice_port_frame_size_bytes histogram"));
    static const char *const le[] = {"64", "127", "255", "511", "1023", "1518", "+Inf"};
    static const int cumulative[] = {1, 3, 6, 10, 15, 21, 28};
    for (int b = 0; b < 7; b++) {
        char line[160];
        snprintf(line, sizeof(line),
                 "sluice_port_frame_size_bytes_bucket{port=\"p1\",direction=\"rx\",le=\"%s\"} %d",
                 le[b], cumulative[b]);
        CHECK(has_line(&pt, line));
    }
    CHECK(has_line(&pt, "sluice_port_frame_size_bytes_count{port=\"p1\",direction=\"rx\"} 28"));
    CHECK(has_line(&pt, "sluice_port_frame_size_bytes_sum{port=\"p1\",direction=\"rx\"} 820"));
    CHECK(has_line(&pt, "sluice_port_frame_size_bytes_count{port=\"p1\",direction=\"tx\"} 0"));
    /* Every drop reason of both ports in both directions, and nothing for the free slot. */
    size_t drops = 0;
    for (const char *p = pt.tb.buf; (p = strstr(p, "\nsluice_port_rx_drops_total{")); p++)
        drops++;
    CHECK_EQ(drops, 2 * DROP_MAX);
    pt_free(&pt);

    /* No captures open and no data-plane thread: the families, and no made-up samples. */
    pt_init(&pt);
    metrics_write_captures(&pt);
    metrics_write_flow_cache(&pt);
    CHECK(has_line(&pt, "sluice_captures_open 0"));
    CHECK(has_line(&pt, "# TYPE sluice_capture_matched_packets_total counter"));
    CHECK(has_line(&pt, "# TYPE sluice_flow_cache_hits_total counter"));
    CHECK(strstr(pt.tb.buf, "sluice_flow_cache_hits_total{") == NULL);
    CHECK(well_formed(pt.tb.buf));
    pt_free(&pt);
    /* One thread's flow path: its cache counters, labelled by thread. */
    struct pkt_pool *pool = pkt_pool_create(4, 2048);
    CHECK(flowpath_create() != NULL);
    pt_init(&pt);
    metrics_write_flow_cache(&pt);
    CHECK(has_line(&pt, "sluice_flow_cache_hits_total{thread=\"0\"} 0"));
    CHECK(has_line(&pt, "sluice_flow_cache_misses_total{thread=\"0\"} 0"));
    CHECK(has_line(&pt, "sluice_flow_cache_revalidated_total{thread=\"0\"} 0"));
    CHECK(well_formed(pt.tb.buf));
    pt_free(&pt);
    pkt_pool_destroy(pool);
    free(slots[0].port);
    free(slots[2].port);
    return check_exit();
}

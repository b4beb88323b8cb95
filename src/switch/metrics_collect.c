/* metrics_collect.c - what the metrics endpoint exposes: per-port packets, bytes, drops by
 * reason, protocol and cast counters, a frame-size histogram, captures, the flow caches. */
#include <stdio.h>
#include <string.h>

#include "control.h"
#include "flowpath.h"
#include "metrics.h"
#include "port.h"
#include "ports.h"

static uint64_t rd(const uint64_t *v)
{
    return __atomic_load_n(v, __ATOMIC_RELAXED);
}

static const char *const dir_names[2] = {"rx", "tx"};

/* One family with one sample per port. */
static void port_counter(struct promtext *pt, const struct dp_config *cfg, const char *name,
                         const char *help, size_t offset)
{
    pt_family(pt, name, "counter", help);
    for (uint32_t i = 0; i < cfg->nslots; i++) {
        const struct port *p = cfg->slots[i].port;
        if (!p)
            continue;
        struct pt_label l[] = {{"port", p->name}};
        pt_sample(pt, name, l, 1, rd((const uint64_t *)((const char *)&p->stats + offset)));
    }
}

static void port_drops(struct promtext *pt, const struct dp_config *cfg, int dir)
{
    const char *name = dir ? "sluice_port_tx_drops_total" : "sluice_port_rx_drops_total";
    pt_family(pt, name, "counter",
              dir ? "Frames meant to leave the port that were dropped, by reason."
                  : "Frames received on the port that were dropped, by reason.");
    for (uint32_t i = 0; i < cfg->nslots; i++) {
        const struct port *p = cfg->slots[i].port;
        if (!p)
            continue;
        const uint64_t *drops = dir ? p->stats.tx_drops : p->stats.rx_drops;
        for (int r = 0; r < DROP_MAX; r++) {
            struct pt_label l[] = {{"port", p->name}, {"reason", drop_reason_names[r]}};
            pt_sample(pt, name, l, 2, rd(&drops[r]));
        }
    }
}

/* A class family (l3, l4, cast) over both directions: label `label` names the class. */
static void class_family(struct promtext *pt, const struct dp_config *cfg, const char *name,
                         const char *help, const char *label, const char *const *names, unsigned n,
                         size_t offset)
{
    pt_family(pt, name, "counter", help);
    for (uint32_t i = 0; i < cfg->nslots; i++) {
        const struct port *p = cfg->slots[i].port;
        if (!p)
            continue;
        for (int d = 0; d < 2; d++) {
            const uint64_t *v = (const uint64_t *)((const char *)&p->traffic[d] + offset);
            for (unsigned k = 0; k < n; k++) {
                struct pt_label l[] = {
                    {"port", p->name}, {"direction", dir_names[d]}, {label, names[k]}};
                pt_sample(pt, name, l, 3, rd(&v[k]));
            }
        }
    }
}

/* The RMON buckets as a cumulative histogram of frame lengths; the sum is the bytes the
 * classification counted, so count and sum come from the same counters. */
static void size_histogram(struct promtext *pt, const struct dp_config *cfg)
{
    static const char *const le[TS_SIZE_BUCKETS] = {"64",   "127",  "255", "511",
                                                    "1023", "1518", "+Inf"};
    const char *name = "sluice_port_frame_size_bytes";
    pt_family(pt, name, "histogram", "Lengths of frames received (rx) and sent (tx), without FCS.");
    for (uint32_t i = 0; i < cfg->nslots; i++) {
        const struct port *p = cfg->slots[i].port;
        if (!p)
            continue;
        for (int d = 0; d < 2; d++) {
            const struct traf_counters *t = &p->traffic[d];
            uint64_t cumulative = 0, sum = 0;
            for (unsigned b = 0; b < TS_SIZE_BUCKETS; b++) {
                cumulative += rd(&t->size_packets[b]);
                struct pt_label l[] = {
                    {"port", p->name}, {"direction", dir_names[d]}, {"le", le[b]}};
                pt_sample(pt, "sluice_port_frame_size_bytes_bucket", l, 3, cumulative);
            }
            for (unsigned k = 0; k < TS_L3_MAX; k++)
                sum += rd(&t->l3_bytes[k]);
            struct pt_label l[] = {{"port", p->name}, {"direction", dir_names[d]}};
            pt_sample(pt, "sluice_port_frame_size_bytes_sum", l, 2, sum);
            pt_sample(pt, "sluice_port_frame_size_bytes_count", l, 2, cumulative);
        }
    }
}

void metrics_write_ports(struct promtext *pt, const struct dp_config *cfg)
{
    pt_family(pt, "sluice_port_up", "gauge", "1 if the port has link and no fatal error.");
    for (uint32_t i = 0; i < cfg->nslots; i++) {
        struct port *p = cfg->slots[i].port;
        if (!p)
            continue;
        struct pt_label l[] = {{"port", p->name}, {"type", p->kind->name}};
        pt_sample(pt, "sluice_port_up", l, 2, port_is_up(p));
    }
    port_counter(pt, cfg, "sluice_port_rx_packets_total", "Frames received on the port.",
                 offsetof(struct port_stats, rx_packets));
    port_counter(pt, cfg, "sluice_port_rx_bytes_total", "Bytes of frames received on the port.",
                 offsetof(struct port_stats, rx_bytes));
    port_counter(pt, cfg, "sluice_port_tx_packets_total", "Frames sent on the port.",
                 offsetof(struct port_stats, tx_packets));
    port_counter(pt, cfg, "sluice_port_tx_bytes_total", "Bytes of frames sent on the port.",
                 offsetof(struct port_stats, tx_bytes));
    port_drops(pt, cfg, 0);
    port_drops(pt, cfg, 1);
    class_family(pt, cfg, "sluice_port_l3_packets_total", "Frames by network protocol.", "protocol",
                 ts_l3_names, TS_L3_MAX, offsetof(struct traf_counters, l3_packets));
    class_family(pt, cfg, "sluice_port_l3_bytes_total", "Bytes of frames by network protocol.",
                 "protocol", ts_l3_names, TS_L3_MAX, offsetof(struct traf_counters, l3_bytes));
    class_family(pt, cfg, "sluice_port_l4_packets_total",
                 "IPv4 and IPv6 frames by transport protocol.", "protocol", ts_l4_names, TS_L4_MAX,
                 offsetof(struct traf_counters, l4_packets));
    class_family(pt, cfg, "sluice_port_l4_bytes_total",
                 "Bytes of IPv4 and IPv6 frames by transport protocol.", "protocol", ts_l4_names,
                 TS_L4_MAX, offsetof(struct traf_counters, l4_bytes));
    class_family(pt, cfg, "sluice_port_cast_packets_total", "Frames by destination address kind.",
                 "cast", ts_cast_names, TS_CAST_MAX, offsetof(struct traf_counters, cast_packets));
    size_histogram(pt, cfg);
}

/* Captures are owned by the capture module; their counters are read through its own
 * capture.list method, run in-process, so that both views always agree. */
static struct json *local_call(const char *method)
{
    SLUICE_FOREACH(sluice_rpc, struct rpc_method, it)
    {
        if (strcmp((*it)->name, method) != 0)
            continue;
        struct jw out;
        jw_init(&out);
        struct rpc_ctx ctx = {.out = &out};
        struct json *r = NULL;
        if ((*it)->fn(&ctx, NULL) == 0 && jw_text(&out)) {
            char err[128];
            r = json_parse(jw_text(&out), strlen(jw_text(&out)), err, sizeof(err));
        }
        jw_free(&out);
        return r;
    }
    return NULL;
}

void metrics_write_captures(struct promtext *pt)
{
    struct json *r = local_call("capture.list");
    const struct json *caps = json_get(r, "captures");
    size_t n = caps && caps->type == JSON_ARRAY ? caps->n : 0;
    pt_family(pt, "sluice_captures_open", "gauge", "Capture sessions open.");
    pt_sample(pt, "sluice_captures_open", NULL, 0, n);
    static const struct {
        const char *field, *name, *help;
    } counters[] = {
        {"seen", "sluice_capture_seen_packets_total", "Frames a capture's filter examined."},
        {"matched", "sluice_capture_matched_packets_total", "Frames a capture's filter accepted."},
        {"dropped", "sluice_capture_dropped_packets_total",
         "Accepted frames dropped because the capture ring was full."},
    };
    for (size_t c = 0; c < sizeof(counters) / sizeof(counters[0]); c++) {
        pt_family(pt, counters[c].name, "counter", counters[c].help);
        for (size_t i = 0; i < n; i++) {
            const struct json *x = caps->items[i];
            int64_t id = 0, value = 0;
            json_get_int(x, "id", 0, INT64_MAX, &id);
            json_get_int(x, counters[c].field, 0, INT64_MAX, &value);
            char idtext[24];
            snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
            struct pt_label l[] = {{"id", idtext},
                                   {"port", json_get_str(x, "port", "")},
                                   {"direction", json_get_str(x, "direction", "")}};
            pt_sample(pt, counters[c].name, l, 3, (uint64_t)value);
        }
    }
    json_free(r);
}

void metrics_write_flow_cache(struct promtext *pt)
{
    struct flowpath_stats st[FLOWPATH_MAX_THREADS];
    unsigned n = flowpath_get_stats(st, FLOWPATH_MAX_THREADS);
    static const struct {
        const char *name, *help;
        size_t offset;
    } counters[] = {
        {"sluice_flow_cache_hits_total", "Packets whose flow rule was found in the flow cache.",
         offsetof(struct flowpath_stats, hits)},
        {"sluice_flow_cache_misses_total",
         "Packets not in the flow cache: looked up in the classifier, then cached.",
         offsetof(struct flowpath_stats, misses)},
        {"sluice_flow_cache_revalidated_total",
         "Cached packets from an older flow table version, looked up again.",
         offsetof(struct flowpath_stats, revalidated)},
    };
    for (size_t c = 0; c < sizeof(counters) / sizeof(counters[0]); c++) {
        pt_family(pt, counters[c].name, "counter", counters[c].help);
        for (unsigned i = 0; i < n; i++) {
            char thread[16];
            snprintf(thread, sizeof(thread), "%u", i);
            struct pt_label l[] = {{"thread", thread}};
            pt_sample(pt, counters[c].name, l, 1,
                      *(const uint64_t *)((const char *)&st[i] + counters[c].offset));
        }
    }
}

void metrics_render(struct promtext *pt)
{
    const struct dp_config *cfg = dp_current();
    if (cfg)
        metrics_write_ports(pt, cfg);
    metrics_write_captures(pt);
    metrics_write_flow_cache(pt);
}

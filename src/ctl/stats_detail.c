/* stats_detail.c - prints a port's classification counters as one table: a row per class,
 * packets and bytes received and sent ("-" where the switch counts packets only). */
#include "stats_detail.h"

#include <stdio.h>

static unsigned long long counter(const struct json *v)
{
    int64_t n = 0;
    if (!json_as_int(v, 0, INT64_MAX, &n))
        return 0;
    return (unsigned long long)n;
}

static void cell(const struct json *v)
{
    if (v)
        printf(" %14llu", counter(v));
    else
        printf(" %14s", "-");
}

/* One group (l3, l4, cast, size): members of traffic_rx.<group> in the switch's order. */
static void group(const struct json *rx, const struct json *tx, const char *name)
{
    const struct json *g_rx = json_get(rx, name), *g_tx = json_get(tx, name);
    if (!g_rx || g_rx->type != JSON_OBJECT)
        return;
    for (size_t i = 0; i < g_rx->n; i++) {
        const char *cls = g_rx->keys[i];
        const struct json *r = g_rx->items[i], *t = json_get(g_tx, cls);
        char label[40];
        snprintf(label, sizeof(label), "%s %s", name, cls);
        printf("    %-18s", label);
        if (r->type == JSON_OBJECT) {
            cell(json_get(r, "packets"));
            cell(json_get(r, "bytes"));
            cell(json_get(t, "packets"));
            cell(json_get(t, "bytes"));
        } else {
            cell(r);
            cell(NULL);
            cell(t);
            cell(NULL);
        }
        putchar('\n');
    }
}

void stats_print_detail(const struct json *stats)
{
    const struct json *rx = json_get(stats, "traffic_rx"), *tx = json_get(stats, "traffic_tx");
    if (!rx || !tx)
        return;
    printf("    %-18s %14s %14s %14s %14s\n", "traffic", "rx_packets", "rx_bytes", "tx_packets",
           "tx_bytes");
    group(rx, tx, "l3");
    group(rx, tx, "l4");
    group(rx, tx, "cast");
    group(rx, tx, "size");
}

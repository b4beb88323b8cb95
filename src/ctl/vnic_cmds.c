/* vnic_cmds.c - sluicectl commands for virtual NICs: vnic-add (many at once, with consecutive
 * MACs and addresses, optionally one namespace each), vnic-del and vnic-list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "vnic_json.h"

static double seconds_of(const struct json *r)
{
    const struct json *s = json_get(r, "seconds");
    return s && s->type == JSON_NUMBER ? s->num : 0;
}

static uint64_t num(const struct json *j, const char *key)
{
    int64_t v = 0;
    json_get_int(j, key, 0, INT64_MAX, &v);
    return (uint64_t)v;
}

/* Turns arguments into parameters and calls method; prints the reply with --json. */
static int call_with(struct ctl *c, const char *method,
                     int (*to_json)(int, char **, struct jw *, char *, size_t), int argc,
                     char **argv, struct json **r)
{
    struct jw w;
    char err[256];
    jw_init(&w);
    if (to_json(argc, argv, &w, err, sizeof err) < 0) {
        jw_free(&w);
        return ctl_error("%s: %s", argv[0], err);
    }
    int rc = ctl_call(c, method, jw_text(&w), r);
    jw_free(&w);
    if (rc == 0 && c->json)
        ctl_print_json(*r);
    return rc;
}

static int vnic_add(struct ctl *c, int argc, char **argv)
{
    struct json *r;
    int rc = call_with(c, "vnic.add", vnic_add_args_to_json, argc, argv, &r);
    if (rc)
        return rc;
    if (!c->json)
        printf("created %llu virtual NIC%s %s..%s%s in %.3f s\n",
               (unsigned long long)num(r, "created"), num(r, "created") == 1 ? "" : "s",
               json_get_str(r, "first", "?"), json_get_str(r, "last", "?"),
               json_get_bool(r, "netns", false) ? " (one namespace each)" : "", seconds_of(r));
    json_free(r);
    return 0;
}
CTL_COMMAND(cmd_vnic_add, {"vnic-add",
                           "--count N --mac BASE --ip BASE/PREFIX [--netns PREFIX] "
                           "[--name PREFIX] [--ipv6]",
                           "create N virtual NICs with consecutive MACs and addresses", vnic_add});

static int vnic_del(struct ctl *c, int argc, char **argv)
{
    struct json *r;
    int rc = call_with(c, "vnic.del", vnic_del_args_to_json, argc, argv, &r);
    if (rc)
        return rc;
    if (!c->json)
        printf("deleted %llu virtual NIC%s in %.3f s\n", (unsigned long long)num(r, "deleted"),
               num(r, "deleted") == 1 ? "" : "s", seconds_of(r));
    json_free(r);
    return 0;
}
CTL_COMMAND(cmd_vnic_del, {"vnic-del", "NAME|FIRST..LAST... | --all",
                           "delete virtual NICs with their devices and namespaces", vnic_del});

/* Fetches one page of the list starting at offset. */
static int list_page(struct ctl *c, uint64_t offset, struct json **r)
{
    char params[64];
    snprintf(params, sizeof params, "{\"offset\":%llu}", (unsigned long long)offset);
    return ctl_call(c, "vnic.list", params, r);
}

static int vnic_list(struct ctl *c, int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return ctl_error("usage: vnic-list [--json]");
    struct jw out;
    jw_init(&out);
    jw_obj_begin(&out);
    jw_key(&out, "vnics");
    jw_arr_begin(&out);
    if (!c->json)
        printf("%-15s %-17s %-18s %-16s %5s %12s %12s\n", "NAME", "MAC", "ADDRESS", "NETNS", "PORT",
               "RX_PACKETS", "TX_PACKETS");
    uint64_t offset = 0, total = 0;
    do {
        struct json *r;
        int rc = list_page(c, offset, &r);
        if (rc) {
            jw_free(&out);
            return rc;
        }
        total = num(r, "total");
        const struct json *v = json_get(r, "vnics");
        size_t n = v && v->type == JSON_ARRAY ? v->n : 0;
        for (size_t i = 0; i < n; i++) {
            const struct json *e = v->items[i];
            if (c->json) {
                jw_json(&out, e);
                continue;
            }
            printf("%-15s %-17s %-18s %-16s %5llu %12llu %12llu\n", json_get_str(e, "name", "?"),
                   json_get_str(e, "mac", "?"), json_get_str(e, "ip", "?"),
                   json_get_str(e, "netns", "-"), (unsigned long long)num(e, "port"),
                   (unsigned long long)num(e, "rx_packets"),
                   (unsigned long long)num(e, "tx_packets"));
        }
        json_free(r);
        if (n == 0)
            break;
        offset += n;
    } while (offset < total);
    jw_arr_end(&out);
    jw_kuint(&out, "total", total);
    jw_obj_end(&out);
    if (c->json) {
        char err[128];
        const char *text = jw_text(&out);
        struct json *all = text ? json_parse(text, strlen(text), err, sizeof err) : NULL;
        if (!all) {
            jw_free(&out);
            return ctl_error("out of memory");
        }
        ctl_print_json(all);
        json_free(all);
    }
    jw_free(&out);
    return 0;
}
CTL_COMMAND(cmd_vnic_list,
            {"vnic-list", "[--json]", "virtual NICs with addresses and counters", vnic_list});

/* port_cmds.c - sluicectl commands for ports, counters, the MAC table and captures:
 * add-port, del-port, show, port-stats, fdb-show, fdb-flush, capture-list. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "rpc.h"
#include "stats_detail.h"

static uint64_t num(const struct json *j, const char *key)
{
    int64_t v = 0;
    json_get_int(j, key, 0, INT64_MAX, &v);
    return (uint64_t)v;
}

static uint64_t drops_total(const struct json *drops)
{
    uint64_t t = 0;
    for (size_t i = 0; drops && i < drops->n; i++)
        t += (uint64_t)drops->items[i]->num;
    return t;
}

/* Opens a pcap port's in= (read) or out= (write, created) file with the caller's own rights;
 * the switch gets the descriptor, and the name made absolute for display. */
static int open_port_file(const char *key, const char *path, char *abs, size_t abslen)
{
    bool in = strcmp(key, "in") == 0;
    /* O_NONBLOCK: a FIFO must not hang here; it is refused below anyway. */
    int fd =
        open(path, (in ? O_RDONLY : O_WRONLY | O_CREAT) | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0666);
    if (fd < 0) {
        ctl_error("cannot open %s for %s: %s", path, in ? "reading" : "writing", strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        ctl_error("%s=%s: not a regular file", key, path);
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    char cwd[4096];
    int n;
    if (path[0] == '/')
        n = snprintf(abs, abslen, "%s", path);
    else if (getcwd(cwd, sizeof(cwd)))
        n = snprintf(abs, abslen, "%s/%s", cwd, path);
    else
        n = snprintf(abs, abslen, "%s", path);
    if (n < 0 || (size_t)n >= abslen) {
        ctl_error("%s=%s: path too long", key, path);
        close(fd);
        return -1;
    }
    return fd;
}

static int add_port(struct ctl *c, int argc, char **argv)
{
    if (argc < 3)
        return ctl_error("usage: add-port NAME type=KIND [key=value...]");
    const char *type = NULL;
    for (int i = 2; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq || eq == argv[i])
            return ctl_error("expected key=value, got '%s'", argv[i]);
        if (strncmp(argv[i], "type=", 5) == 0)
            type = eq + 1;
    }
    if (!type)
        return ctl_error("add-port needs type=KIND (afpacket, tap, pcap, memif)");
    bool pcap = strcmp(type, "pcap") == 0;
    int fds[RPC_MAX_FDS];
    const char *fd_keys[RPC_MAX_FDS];
    unsigned nfds = 0;
    int rc = 1;
    struct jw w;
    jw_init(&w);
    jw_obj_begin(&w);
    jw_kstr(&w, "name", argv[1]);
    jw_kstr(&w, "type", type);
    jw_key(&w, "options");
    jw_obj_begin(&w);
    for (int i = 2; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        *eq = '\0';
        const char *key = argv[i], *val = eq + 1;
        if (strcmp(key, "type") == 0)
            continue;
        if (pcap && (strcmp(key, "in") == 0 || strcmp(key, "out") == 0)) {
            char abs[4096];
            int fd = nfds < RPC_MAX_FDS ? open_port_file(key, val, abs, sizeof(abs)) : -1;
            if (fd < 0)
                goto out;
            fd_keys[nfds] = key;
            fds[nfds++] = fd;
            jw_kstr(&w, key, abs);
            continue;
        }
        jw_kstr(&w, key, val);
    }
    jw_obj_end(&w);
    if (nfds) {
        jw_key(&w, "fds");
        jw_obj_begin(&w);
        for (unsigned i = 0; i < nfds; i++)
            jw_kuint(&w, fd_keys[i], i);
        jw_obj_end(&w);
    }
    jw_obj_end(&w);
    struct json *r;
    rc = ctl_call_fds(c, "port.add", jw_text(&w), fds, nfds, &r);
    if (rc)
        goto out;
    if (c->json)
        ctl_print_json(r);
    json_free(r);
out:
    for (unsigned i = 0; i < nfds; i++)
        close(fds[i]);
    jw_free(&w);
    return rc;
}
CTL_COMMAND(cmd_add_port, {"add-port", "NAME type=KIND [key=value...]",
                           "add a port (afpacket dev=IF, tap [dev=IF], pcap in=/out=FILE opened "
                           "as you, memif socket=PATH; tag=VLAN or trunks=V,V...)",
                           add_port});

static int name_call(struct ctl *c, const char *method, const char *key, const char *name,
                     struct json **r)
{
    struct jw w;
    jw_init(&w);
    jw_obj_begin(&w);
    if (name)
        jw_kstr(&w, key, name);
    jw_obj_end(&w);
    int rc = ctl_call(c, method, jw_text(&w), r);
    jw_free(&w);
    return rc;
}

static int del_port(struct ctl *c, int argc, char **argv)
{
    if (argc != 2)
        return ctl_error("usage: del-port NAME");
    struct json *r;
    int rc = name_call(c, "port.del", "name", argv[1], &r);
    if (!rc)
        json_free(r);
    return rc;
}
CTL_COMMAND(cmd_del_port, {"del-port", "NAME", "remove a port", del_port});

static void print_options(const struct json *p)
{
    const struct json *o = json_get(p, "options");
    int64_t tag;
    if (json_get_int(p, "tag", 1, 4094, &tag))
        printf(" tag=%lld", (long long)tag);
    const struct json *trunks = json_get(p, "trunks");
    if (trunks && trunks->type == JSON_ARRAY) {
        printf(" trunks=");
        for (size_t i = 0; i < trunks->n; i++)
            printf("%s%.0f", i ? "," : "", trunks->items[i]->num);
    }
    for (size_t i = 0; o && i < o->n; i++)
        if (o->items[i]->type == JSON_STRING && strcmp(o->keys[i], "tag") &&
            strcmp(o->keys[i], "trunks"))
            printf(" %s=%s", o->keys[i], o->items[i]->str);
}

static int show(struct ctl *c, int argc, char **argv)
{
    if (argc > 2)
        return ctl_error("usage: show [PORT]");
    struct json *r;
    int rc = name_call(c, "port.list", "name", argc == 2 ? argv[1] : NULL, &r);
    if (rc)
        return rc;
    if (ctl_json_done(c, r))
        return 0;
    const struct json *ports = json_get(r, "ports");
    printf("%-16s %4s %-9s %-5s %12s %14s %12s %14s %10s  %s\n", "PORT", "NO", "TYPE", "LINK",
           "RX_PACKETS", "RX_BYTES", "TX_PACKETS", "TX_BYTES", "DROPS", "OPTIONS");
    for (size_t i = 0; ports && i < ports->n; i++) {
        const struct json *p = ports->items[i], *s = json_get(p, "stats");
        printf("%-16s %4llu %-9s %-5s %12llu %14llu %12llu %14llu %10llu ",
               json_get_str(p, "name", "?"), (unsigned long long)num(p, "index"),
               json_get_str(p, "type", "?"), json_get_bool(p, "up", false) ? "up" : "down",
               (unsigned long long)num(s, "rx_packets"), (unsigned long long)num(s, "rx_bytes"),
               (unsigned long long)num(s, "tx_packets"), (unsigned long long)num(s, "tx_bytes"),
               (unsigned long long)(drops_total(json_get(s, "rx_drops")) +
                                    drops_total(json_get(s, "tx_drops"))));
        print_options(p);
        /* The switch cannot reopen by name what a non-root client opened for it. */
        if (!json_get_bool(p, "reopened_at_restart", true))
            printf(" [not restored after a restart]");
        putchar('\n');
    }
    json_free(r);
    return 0;
}
CTL_COMMAND(cmd_show, {"show", "[PORT]", "ports with type, link state and counters", show});

static void print_drops(const char *dir, const struct json *drops)
{
    for (size_t i = 0; drops && i < drops->n; i++)
        if (drops->items[i]->num > 0)
            printf("    %s drops %-12s %llu\n", dir, drops->keys[i],
                   (unsigned long long)drops->items[i]->num);
}

static int port_stats(struct ctl *c, int argc, char **argv)
{
    const char *name = NULL;
    bool detail = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--detail") == 0) {
            detail = true;
            continue;
        }
        if (name)
            return ctl_error("usage: port-stats [PORT] [--detail]");
        name = argv[i];
    }
    struct json *r;
    int rc = name_call(c, "port.list", "name", name, &r);
    if (rc)
        return rc;
    if (c->json) {
        const struct json *ports = json_get(r, "ports");
        printf("{\"ports\": [");
        for (size_t i = 0; ports && i < ports->n; i++) {
            struct jw w;
            jw_init(&w);
            jw_obj_begin(&w);
            jw_kstr(&w, "name", json_get_str(ports->items[i], "name", "?"));
            jw_key(&w, "stats");
            jw_json(&w, json_get(ports->items[i], "stats"));
            jw_obj_end(&w);
            printf("%s%s", i ? ", " : "", jw_text(&w));
            jw_free(&w);
        }
        printf("]}\n");
        json_free(r);
        return 0;
    }
    const struct json *ports = json_get(r, "ports");
    for (size_t i = 0; ports && i < ports->n; i++) {
        const struct json *p = ports->items[i], *s = json_get(p, "stats");
        printf("port %s (%s, %s):\n", json_get_str(p, "name", "?"), json_get_str(p, "type", "?"),
               json_get_bool(p, "up", false) ? "up" : "down");
        printf("    rx packets %llu bytes %llu\n", (unsigned long long)num(s, "rx_packets"),
               (unsigned long long)num(s, "rx_bytes"));
        printf("    tx packets %llu bytes %llu\n", (unsigned long long)num(s, "tx_packets"),
               (unsigned long long)num(s, "tx_bytes"));
        print_drops("rx", json_get(s, "rx_drops"));
        print_drops("tx", json_get(s, "tx_drops"));
        if (detail)
            stats_print_detail(s);
    }
    json_free(r);
    return 0;
}
CTL_COMMAND(cmd_port_stats, {"port-stats", "[PORT] [--detail]",
                             "packet and byte counters, drops by reason; --detail: by protocol, "
                             "cast and size",
                             port_stats});

static int fdb_show(struct ctl *c, int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return ctl_error("usage: fdb-show");
    struct json *r;
    int rc = ctl_call(c, "fdb.show", NULL, &r);
    if (rc)
        return rc;
    if (ctl_json_done(c, r))
        return 0;
    const struct json *e = json_get(r, "entries");
    printf("%-16s %4s  %-17s %s\n", "PORT", "VLAN", "MAC", "AGE");
    for (size_t i = 0; e && i < e->n; i++) {
        const struct json *x = e->items[i];
        char age[24];
        if (json_get_bool(x, "static", false))
            snprintf(age, sizeof(age), "static");
        else
            snprintf(age, sizeof(age), "%llu", (unsigned long long)num(x, "age"));
        printf("%-16s %4llu  %-17s %s\n", json_get_str(x, "port", "?"),
               (unsigned long long)num(x, "vlan"), json_get_str(x, "mac", "?"), age);
    }
    json_free(r);
    return 0;
}
CTL_COMMAND(cmd_fdb_show, {"fdb-show", "", "the MAC learning table", fdb_show});

static int fdb_flush(struct ctl *c, int argc, char **argv)
{
    if (argc > 2)
        return ctl_error("usage: fdb-flush [PORT]");
    struct json *r;
    int rc = name_call(c, "fdb.flush", "port", argc == 2 ? argv[1] : NULL, &r);
    if (rc)
        return rc;
    if (c->json)
        ctl_print_json(r);
    json_free(r);
    return 0;
}
CTL_COMMAND(cmd_fdb_flush, {"fdb-flush", "[PORT]", "forget learned MAC addresses", fdb_flush});

static int capture_list(struct ctl *c, int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return ctl_error("usage: capture-list");
    struct json *r;
    int rc = ctl_call(c, "capture.list", NULL, &r);
    if (rc)
        return rc;
    if (ctl_json_done(c, r))
        return 0;
    const struct json *caps = json_get(r, "captures");
    printf("%4s %-16s %-6s %7s %8s %12s %12s %10s  %s\n", "ID", "PORT", "DIR", "PID", "SNAPLEN",
           "SEEN", "MATCHED", "DROPPED", "FILTER");
    for (size_t i = 0; caps && i < caps->n; i++) {
        const struct json *x = caps->items[i];
        printf("%4llu %-16s %-6s %7llu %8llu %12llu %12llu %10llu  %s%s\n",
               (unsigned long long)num(x, "id"), json_get_str(x, "port", "?"),
               json_get_str(x, "direction", "?"), (unsigned long long)num(x, "pid"),
               (unsigned long long)num(x, "snaplen"), (unsigned long long)num(x, "seen"),
               (unsigned long long)num(x, "matched"), (unsigned long long)num(x, "dropped"),
               json_get_str(x, "filter", ""), json_get_bool(x, "jit", false) ? "" : " [interp]");
    }
    json_free(r);
    return 0;
}
CTL_COMMAND(cmd_capture_list,
            {"capture-list", "", "open captures and their counters", capture_list});

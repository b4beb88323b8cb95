/* flow_cmds.c - sluicectl commands for flow rules, in ovs-ofctl's syntax and output format:
 * add-flow, add-flows, mod-flows, del-flows, dump-flows, and flow-stats (the flow caches). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "rpc.h"

/* Requests stay well below the protocol's 256 KiB message limit. */
#define ADD_CHUNK_BYTES (160 * 1024)

/* The flow given as one or more words (ovs-ofctl takes one; spaces separate fields too). */
static char *join_words(int argc, char **argv)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *s = malloc(len);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (int i = 0; i < argc; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

/* Leading --strict; anything else starting with "--" is an error. Returns argv index of the
 * first operand, or -1. */
static int take_options(int argc, char **argv, bool *strict, const char *usage)
{
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strict && strcmp(argv[i], "--strict") == 0) {
            *strict = true;
        } else {
            ctl_error("unknown option %s; usage: %s", argv[i], usage);
            return -1;
        }
    }
    return i;
}

static int print_result(struct ctl *c, struct json *r)
{
    if (c->json)
        ctl_print_json(r);
    json_free(r);
    return 0;
}

static int add_flow(struct ctl *c, int argc, char **argv)
{
    const char *usage = "add-flow FLOW";
    int i = take_options(argc, argv, NULL, usage);
    if (i < 0)
        return 1;
    if (i >= argc)
        return ctl_error("usage: %s", usage);
    char *flow = join_words(argc - i, argv + i);
    struct jw w;
    jw_init(&w);
    jw_obj_begin(&w);
    jw_key(&w, "flows");
    jw_arr_begin(&w);
    jw_str(&w, flow ? flow : "");
    jw_arr_end(&w);
    jw_obj_end(&w);
    free(flow);
    struct json *r;
    int rc = ctl_call(c, "flows.add", jw_text(&w), &r);
    jw_free(&w);
    return rc ? rc : print_result(c, r);
}
CTL_COMMAND(cmd_add_flow,
            {"add-flow", "FLOW",
             "add a flow rule, e.g. priority=100,tcp,tp_dst=80,actions=output:2", add_flow});

/* Like ctl_call, but the switch's error message goes back to the caller to be prefixed. */
static int call_quiet(struct ctl *c, const char *method, const char *params, struct json **r,
                      char *err, size_t errlen)
{
    if (c->fd < 0) {
        c->fd = rpc_connect(c->sock, err, errlen);
        if (c->fd < 0)
            return -1;
    }
    int fds[RPC_MAX_FDS];
    unsigned nfds = RPC_MAX_FDS;
    int rc = rpc_call(c->fd, method, params, r, fds, &nfds, err, errlen);
    for (unsigned k = 0; rc >= 0 && k < nfds; k++)
        close(fds[k]);
    return rc;
}

struct add_chunk {
    struct jw flows, lines;
    size_t count, bytes;
};

static void chunk_reset(struct add_chunk *k)
{
    jw_init(&k->flows);
    jw_init(&k->lines);
    jw_arr_begin(&k->flows);
    jw_arr_begin(&k->lines);
    k->count = 0;
    k->bytes = 0;
}

static void chunk_release(struct add_chunk *k)
{
    jw_free(&k->flows);
    jw_free(&k->lines);
}

/* Sends the chunk as one flows.add call (more: further chunks follow). */
static int chunk_send(struct ctl *c, struct add_chunk *k, bool more, const char *file,
                      struct json **result)
{
    jw_arr_end(&k->flows);
    jw_arr_end(&k->lines);
    struct jw w;
    jw_init(&w);
    jw_obj_begin(&w);
    jw_key(&w, "flows");
    jw_raw(&w, jw_text(&k->flows));
    jw_key(&w, "lines");
    jw_raw(&w, jw_text(&k->lines));
    jw_kbool(&w, "commands", true);
    jw_kbool(&w, "more", more);
    jw_obj_end(&w);
    char err[1024] = "out of memory";
    struct json *r = NULL;
    int rc = jw_text(&w) ? call_quiet(c, "flows.add", jw_text(&w), &r, err, sizeof(err)) : -1;
    jw_free(&w);
    chunk_release(k);
    if (rc != 0)
        return ctl_error("%s: %s", file, err);
    if (result)
        *result = r;
    else
        json_free(r);
    return 0;
}

static int add_flows(struct ctl *c, int argc, char **argv)
{
    const char *usage = "add-flows FILE (- for stdin)";
    int i = take_options(argc, argv, NULL, usage);
    if (i < 0)
        return 1;
    if (i != argc - 1)
        return ctl_error("usage: %s", usage);
    const char *file = argv[i];
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
    if (!f)
        return ctl_error("%s: %s", file, strerror(errno));
    const char *name = f == stdin ? "stdin" : file;
    struct add_chunk k;
    chunk_reset(&k);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned lineno = 0, sent_chunks = 0;
    int rc = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        const char *p = line + strspn(line, " \t");
        if (!*p || *p == '#')
            continue;
        if (strlen(p) != (size_t)(len - (p - line))) {
            rc = ctl_error("%s: line %u: a NUL byte in the line", name, lineno);
            chunk_release(&k);
            break;
        }
        if (k.count && k.bytes + (size_t)len + 32 > ADD_CHUNK_BYTES) {
            rc = chunk_send(c, &k, true, name, NULL);
            if (rc)
                break;
            sent_chunks++;
            chunk_reset(&k);
        }
        jw_str(&k.flows, p);
        jw_uint(&k.lines, lineno);
        k.count++;
        k.bytes += (size_t)len + 16;
    }
    free(line);
    bool read_error = ferror(f);
    if (f != stdin)
        fclose(f);
    if (rc)
        return rc;
    if (read_error) {
        chunk_release(&k);
        return ctl_error("%s: read error", name);
    }
    if (k.count == 0 && sent_chunks == 0) {
        chunk_release(&k);
        return 0; /* nothing to do */
    }
    struct json *r;
    rc = chunk_send(c, &k, false, name, &r);
    return rc ? rc : print_result(c, r);
}
CTL_COMMAND(cmd_add_flows, {"add-flows", "FILE",
                            "add (or modify/delete) the flows of a file, one per line, - for "
                            "stdin; all take effect together",
                            add_flows});

static int mod_or_del(struct ctl *c, int argc, char **argv, bool del)
{
    const char *usage = del ? "del-flows [--strict] [MATCH]" : "mod-flows [--strict] FLOW";
    bool strict = false;
    int i = take_options(argc, argv, &strict, usage);
    if (i < 0)
        return 1;
    if (!del && i >= argc)
        return ctl_error("usage: %s", usage);
    char *text = join_words(argc - i, argv + i);
    struct jw w;
    jw_init(&w);
    jw_obj_begin(&w);
    jw_kstr(&w, del ? "match" : "flow", text ? text : "");
    jw_kbool(&w, "strict", strict);
    jw_obj_end(&w);
    free(text);
    struct json *r;
    int rc = ctl_call(c, del ? "flows.del" : "flows.mod", jw_text(&w), &r);
    jw_free(&w);
    return rc ? rc : print_result(c, r);
}

static int del_flows(struct ctl *c, int argc, char **argv)
{
    return mod_or_del(c, argc, argv, true);
}
CTL_COMMAND(cmd_del_flows,
            {"del-flows", "[--strict] [MATCH]",
             "delete matching flows (all without MATCH: then nothing is forwarded)", del_flows});

static int mod_flows(struct ctl *c, int argc, char **argv)
{
    return mod_or_del(c, argc, argv, false);
}
CTL_COMMAND(cmd_mod_flows, {"mod-flows", "[--strict] FLOW",
                            "set the actions of matching flows (MATCH,actions=...)", mod_flows});

static int dump_flows(struct ctl *c, int argc, char **argv)
{
    const char *usage = "dump-flows [MATCH]";
    int i = take_options(argc, argv, NULL, usage);
    if (i < 0)
        return 1;
    char *match = join_words(argc - i, argv + i);
    struct jw w;
    jw_init(&w);
    jw_obj_begin(&w);
    jw_kstr(&w, "match", match ? match : "");
    jw_obj_end(&w);
    free(match);
    struct json *r;
    int rc = ctl_call(c, "flows.dump", jw_text(&w), &r);
    jw_free(&w);
    if (rc)
        return rc;
    bool first = true;
    if (c->json)
        printf("{\"flows\": [");
    for (;;) {
        const struct json *flows = json_get(r, "flows");
        for (size_t k = 0; flows && k < flows->n; k++) {
            if (c->json) {
                jw_init(&w);
                jw_json(&w, flows->items[k]);
                printf("%s\n  %s", first ? "" : ",", jw_text(&w));
                jw_free(&w);
            } else {
                puts(json_get_str(flows->items[k], "line", ""));
            }
            first = false;
        }
        int64_t cursor;
        if (!json_get_int(r, "cursor", 1, INT64_MAX, &cursor))
            break;
        json_free(r);
        char params[64];
        snprintf(params, sizeof(params), "{\"cursor\": %lld}", (long long)cursor);
        rc = ctl_call(c, "flows.dump", params, &r);
        if (rc)
            return rc;
    }
    json_free(r);
    if (c->json)
        printf("%s]}\n", first ? "" : "\n");
    return 0;
}
CTL_COMMAND(cmd_dump_flows,
            {"dump-flows", "[MATCH]", "flow rules with counters, in ovs-ofctl dump-flows format",
             dump_flows});

static int flow_stats(struct ctl *c, int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return ctl_error("usage: flow-stats");
    struct json *r;
    int rc = ctl_call(c, "flows.stats", NULL, &r);
    if (rc)
        return rc;
    if (c->json)
        return print_result(c, r);
    int64_t v = 0;
    json_get_int(r, "rules", 0, INT64_MAX, &v);
    printf("flow table: %lld rule%s", (long long)v, v == 1 ? "" : "s");
    if (json_get_bool(r, "implied", false))
        printf(" (none added: the implied priority=0,actions=NORMAL)\n");
    else if (json_get_int(r, "version", 0, INT64_MAX, &v))
        printf(", version %lld\n", (long long)v);
    const struct json *threads = json_get(r, "threads");
    for (size_t k = 0; threads && k < threads->n; k++) {
        int64_t h = 0, m = 0, rv = 0;
        json_get_int(threads->items[k], "cache_hits", 0, INT64_MAX, &h);
        json_get_int(threads->items[k], "cache_misses", 0, INT64_MAX, &m);
        json_get_int(threads->items[k], "cache_revalidated", 0, INT64_MAX, &rv);
        printf("data-plane thread %zu: cache hits %lld, misses %lld, revalidated %lld\n", k,
               (long long)h, (long long)m, (long long)rv);
    }
    json_free(r);
    return 0;
}
CTL_COMMAND(cmd_flow_stats,
            {"flow-stats", "", "flow table size and flow cache hits and misses", flow_stats});

/* ctl.c - what sluicectl's commands share: calling the switch, reporting errors in one
 * line, printing replies as JSON, and table formatting of counts. */
#include "ctl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rpc.h"

int ctl_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("sluicectl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

int ctl_call(struct ctl *c, const char *method, const char *params_json, struct json **result)
{
    return ctl_call_fds(c, method, params_json, NULL, 0, result);
}

int ctl_call_fds(struct ctl *c, const char *method, const char *params_json, const int *send_fds,
                 unsigned nsend, struct json **result)
{
    char err[512];
    if (c->fd < 0) {
        c->fd = rpc_connect(c->sock, err, sizeof(err));
        if (c->fd < 0)
            return ctl_error("%s", err);
    }
    int fds[RPC_MAX_FDS];
    unsigned nfds = RPC_MAX_FDS;
    int rc = rpc_call_fds(c->fd, method, params_json, send_fds, nsend, result, fds, &nfds, err,
                          sizeof(err));
    for (unsigned i = 0; rc >= 0 && i < nfds; i++)
        close(fds[i]);
    if (rc != 0)
        return ctl_error("%s", err);
    return 0;
}

static void indent(int depth)
{
    for (int i = 0; i < depth; i++)
        fputs("  ", stdout);
}

static void print_value(const struct json *j, int depth)
{
    struct jw w;
    switch (j->type) {
    case JSON_ARRAY:
    case JSON_OBJECT: {
        bool obj = j->type == JSON_OBJECT;
        if (j->n == 0) {
            fputs(obj ? "{}" : "[]", stdout);
            break;
        }
        fputs(obj ? "{\n" : "[\n", stdout);
        for (size_t i = 0; i < j->n; i++) {
            indent(depth + 1);
            if (obj) {
                jw_init(&w);
                jw_str(&w, j->keys[i]);
                printf("%s: ", jw_text(&w));
                jw_free(&w);
            }
            print_value(j->items[i], depth + 1);
            fputs(i + 1 < j->n ? ",\n" : "\n", stdout);
        }
        indent(depth);
        fputs(obj ? "}" : "]", stdout);
        break;
    }
    default:
        jw_init(&w);
        jw_json(&w, j);
        fputs(jw_text(&w), stdout);
        jw_free(&w);
    }
}

void ctl_print_json(const struct json *j)
{
    print_value(j, 0);
    fputc('\n', stdout);
}

bool ctl_json_done(const struct ctl *c, struct json *result)
{
    if (!c->json)
        return false;
    ctl_print_json(result);
    json_free(result);
    return true;
}

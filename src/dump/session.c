/* session.c - the control-socket side of a capture: listing ports, resolving -i, opening
 * captures (sending the compiled filter, receiving and checking the ring), closing them. */
#include "session.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "rpc.h"

int session_connect(struct dump_session *s, const char *sock, char *err, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    s->fd = rpc_connect(sock, err, errlen);
    return s->fd < 0 ? -1 : 0;
}

/* A call whose reply carries no descriptors. */
static int call(struct dump_session *s, const char *method, const char *params, struct json **res,
                char *err, size_t errlen)
{
    int fds[RPC_MAX_FDS];
    unsigned nfds = RPC_MAX_FDS;
    int rc = rpc_call(s->fd, method, params, res, fds, &nfds, err, errlen);
    for (unsigned i = 0; rc >= 0 && i < nfds; i++)
        close(fds[i]);
    if (rc != 0)
        return -1;
    return 0;
}

int session_ports(struct dump_session *s, struct switch_port *out, unsigned max, char *err,
                  size_t errlen)
{
    struct json *res = NULL;
    if (call(s, "capture.ports", NULL, &res, err, errlen) < 0)
        return -1;
    const struct json *ports = json_get(res, "ports");
    if (!ports || ports->type != JSON_ARRAY) {
        snprintf(err, errlen, "capture.ports: the switch sent no port list");
        json_free(res);
        return -1;
    }
    unsigned n = 0;
    for (size_t i = 0; i < ports->n && n < max; i++) {
        const struct json *p = ports->items[i];
        const char *name = json_get_str(p, "name", NULL);
        int64_t index;
        if (!name || !json_get_int(p, "index", 0, UINT32_MAX, &index))
            continue;
        struct switch_port *sp = &out[n++];
        snprintf(sp->name, sizeof(sp->name), "%s", name);
        snprintf(sp->kind, sizeof(sp->kind), "%s", json_get_str(p, "kind", ""));
        sp->index = (uint32_t)index;
        sp->up = json_get_bool(p, "up", false);
    }
    json_free(res);
    return (int)n;
}

static void copy_name(char dst[64], const char *src)
{
    size_t len = strnlen(src, 63);
    memcpy(dst, src, len);
    dst[len] = 0;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

int session_resolve(struct dump_session *s, const char *spec, char names[][64], unsigned max,
                    char *err, size_t errlen)
{
    static struct switch_port ports[DUMP_MAX_PORTS];
    int np = session_ports(s, ports, DUMP_MAX_PORTS, err, errlen);
    if (np < 0)
        return -1;
    unsigned n = 0;
    if (!spec) {
        /* As tcpdump without -i: the first port that is up, else the first one. */
        for (int i = 0; i < np && !n; i++)
            if (ports[i].up)
                copy_name(names[n++], ports[i].name);
        if (!n && np > 0)
            copy_name(names[n++], ports[0].name);
        if (!n) {
            snprintf(err, errlen, "the switch has no ports to capture on");
            return -1;
        }
        return (int)n;
    }
    if (strcmp(spec, "any") == 0) {
        for (int i = 0; i < np && n < max; i++)
            copy_name(names[n++], ports[i].name);
        if (!n) {
            snprintf(err, errlen, "the switch has no ports to capture on");
            return -1;
        }
        return (int)n;
    }
    char *copy = strdup(spec);
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char *save = NULL;
    int rc = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (n >= max) {
            snprintf(err, errlen, "too many ports (at most %u)", max);
            rc = -1;
            break;
        }
        const char *name = tok;
        bool known = false;
        for (int i = 0; i < np; i++)
            known |= strcmp(ports[i].name, tok) == 0;
        /* A number that is not a port's name is a position in the -D list, as in tcpdump. */
        if (!known && all_digits(tok)) {
            long pos = strtol(tok, NULL, 10);
            if (pos < 1 || pos > np) {
                snprintf(err, errlen, "no port number %s (sluicedump -D lists %d)", tok, np);
                rc = -1;
                break;
            }
            name = ports[pos - 1].name;
        }
        if (strlen(name) >= 64) {
            snprintf(err, errlen, "no such port: %s", name);
            rc = -1;
            break;
        }
        for (unsigned i = 0; i < n; i++) {
            if (strcmp(names[i], name) == 0) {
                snprintf(err, errlen, "port %s given twice", name);
                rc = -1;
            }
        }
        if (rc < 0)
            break;
        copy_name(names[n++], name);
    }
    free(copy);
    if (rc == 0 && n == 0) {
        snprintf(err, errlen, "no port given to -i");
        rc = -1;
    }
    return rc < 0 ? -1 : (int)n;
}

static int open_one(struct dump_session *s, struct dump_capture *cap, const char *name,
                    const struct dump_options *o, const struct bpf_program *prog, char *err,
                    size_t errlen)
{
    struct jw w;
    jw_init(&w);
    jw_obj_begin(&w);
    jw_kstr(&w, "port", name);
    jw_kstr(&w, "direction", o->direction);
    jw_kuint(&w, "snaplen", o->snaplen);
    if (o->ring_size)
        jw_kuint(&w, "ring_size", o->ring_size);
    jw_key(&w, "program");
    jw_arr_begin(&w);
    for (unsigned i = 0; i < prog->bf_len; i++) {
        const struct bpf_insn *in = &prog->bf_insns[i];
        jw_arr_begin(&w);
        jw_uint(&w, in->code);
        jw_uint(&w, in->jt);
        jw_uint(&w, in->jf);
        jw_uint(&w, in->k);
        jw_arr_end(&w);
    }
    jw_arr_end(&w);
    jw_kstr(&w, "filter", o->filter);
    jw_obj_end(&w);
    const char *params = jw_text(&w);
    if (!params) {
        jw_free(&w);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    struct json *res = NULL;
    int fds[RPC_MAX_FDS];
    unsigned nfds = RPC_MAX_FDS;
    int rc = rpc_call(s->fd, "capture.open", params, &res, fds, &nfds, err, errlen);
    jw_free(&w);
    if (rc != 0)
        return -1;
    int64_t id = 0, port_index = 0;
    bool ok = nfds == 2 && json_get_int(res, "id", 1, INT64_MAX, &id) &&
              json_get_int(res, "port_index", 0, UINT32_MAX, &port_index);
    json_free(res);
    if (!ok) {
        for (unsigned i = 0; i < nfds; i++)
            close(fds[i]);
        snprintf(err, errlen, "capture.open on %s: the switch's reply has no ring", name);
        return -1;
    }
    snprintf(cap->name, sizeof(cap->name), "%s", name);
    cap->id = (uint64_t)id;
    cap->port_index = (uint32_t)port_index;
    char rerr[256];
    if (capring_attach(&cap->ring, fds[0], fds[1], rerr, sizeof(rerr)) < 0) {
        snprintf(err, errlen, "%s: %s", name, rerr);
        return -1;
    }
    cap->attached = true;
    return 0;
}

int session_open(struct dump_session *s, char names[][64], unsigned n, const struct dump_options *o,
                 const struct bpf_program *prog, char *err, size_t errlen)
{
    for (unsigned i = 0; i < n; i++) {
        if (open_one(s, &s->caps[i], names[i], o, prog, err, errlen) < 0)
            return -1;
        s->n = i + 1;
    }
    return 0;
}

static void final_counters(struct dump_session *s, struct dump_capture *cap)
{
    char params[64], err[256];
    snprintf(params, sizeof(params), "{\"id\":%llu}", (unsigned long long)cap->id);
    struct json *res = NULL;
    int64_t v;
    if (s->fd >= 0 && call(s, "capture.close", params, &res, err, sizeof(err)) == 0) {
        if (json_get_int(res, "seen", 0, INT64_MAX, &v))
            cap->seen = (uint64_t)v;
        if (json_get_int(res, "matched", 0, INT64_MAX, &v))
            cap->matched = (uint64_t)v;
        if (json_get_int(res, "dropped", 0, INT64_MAX, &v))
            cap->dropped = (uint64_t)v;
        json_free(res);
        cap->closed = true;
        return;
    }
    /* The switch is gone: the ring header holds the last counters it wrote. */
    const struct capring_hdr *h = cap->ring.hdr;
    cap->seen = __atomic_load_n(&h->seen, __ATOMIC_RELAXED);
    cap->matched = __atomic_load_n(&h->matched, __ATOMIC_RELAXED);
    cap->dropped = __atomic_load_n(&h->dropped_full, __ATOMIC_RELAXED);
    cap->closed = true;
}

void session_close(struct dump_session *s)
{
    for (unsigned i = 0; i < s->n; i++) {
        struct dump_capture *cap = &s->caps[i];
        if (cap->attached && !cap->closed)
            final_counters(s, cap);
    }
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    for (unsigned i = 0; i < s->n; i++) {
        if (s->caps[i].attached)
            capring_detach(&s->caps[i].ring);
        s->caps[i].attached = false;
    }
}

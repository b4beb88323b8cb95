/* vnic.c - virtual NICs: the table of those that exist, the checks a request passes before
 * anything is made, the control methods vnic.add, vnic.del and vnic.list, and the `vnics`
 * section of the stored configuration. The work on devices, ports and MAC entries is in
 * vnic_build.c. */
#include "vnic.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "log.h"
#include "netns.h"
#include "ports.h"
#include "tapdev.h"
#include "vnic_build.h"
#include "vnic_json.h"
#include "vnic_spec.h"

#define LIST_PAGE_MAX 1000
#define DEL_SELECT_MAX 64
/* Descriptors a virtual NIC keeps: its TAP device and the tap port's ioctl socket. */
#define FDS_PER_VNIC 2
#define FDS_SPARE 64

struct vnic_link {
    int ifindex;   /* in the namespace the device lives in */
    uint32_t port; /* switch port index */
};

/* The virtual NICs, in creation order; entries and links are parallel. */
static struct vnic_entry *tab;
static struct vnic_link *tab_link;
static unsigned tab_n, tab_cap;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int table_append(const struct vnic_build *b)
{
    unsigned add = 0;
    for (unsigned j = 0; j < b->n; j++)
        add += b->has_port[j];
    if (tab_n + add > tab_cap) {
        unsigned cap = tab_cap ? tab_cap : 64;
        while (cap < tab_n + add)
            cap *= 2;
        struct vnic_entry *t = realloc(tab, cap * sizeof *t);
        if (t)
            tab = t;
        struct vnic_link *l = realloc(tab_link, cap * sizeof *l);
        if (l)
            tab_link = l;
        if (!t || !l)
            return -1;
        tab_cap = cap;
    }
    for (unsigned j = 0; j < b->n; j++) {
        if (!b->has_port[j])
            continue;
        tab[tab_n] = b->e[j];
        tab_link[tab_n] = (struct vnic_link){b->ifindex[j], b->port[j]};
        tab_n++;
    }
    return 0;
}

/* ---- checks against the world before anything is created ---- */

static int check_names_free(const struct vnic_request *r, char *err, size_t errlen)
{
    unsigned lo = r->first, hi = r->first + r->count - 1, n;
    const struct dp_config *c = dp_current();
    for (uint32_t i = 0; i < c->nslots; i++) {
        const struct port *p = c->slots[i].port;
        if (p && vnic_name_number(p->name, r->name_prefix, &n) && n >= lo && n <= hi) {
            snprintf(err, errlen, "port %s exists", p->name);
            return -1;
        }
    }
    struct vnic_entry e;
    if (r->netns_prefix[0]) {
        for (unsigned k = 0; k < r->count; k++) {
            vnic_request_entry(r, k, &e);
            if (netns_exists(e.netns)) {
                snprintf(err, errlen, "network namespace %s exists", e.netns);
                return -1;
            }
        }
        return 0;
    }
    int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    int rc = 0;
    for (unsigned k = 0; k < r->count && rc == 0; k++) {
        vnic_request_entry(r, k, &e);
        if (tapdev_ifindex(sock, e.name) > 0) {
            snprintf(err, errlen, "interface %s exists", e.name);
            rc = -1;
        }
    }
    close(sock);
    return rc;
}

static unsigned open_descriptors(void)
{
    unsigned n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static int check_descriptors(unsigned count, char *err, size_t errlen)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
        return 0;
    uint64_t need = (uint64_t)open_descriptors() + (uint64_t)count * FDS_PER_VNIC + FDS_SPARE;
    if (need > rl.rlim_cur) {
        snprintf(err, errlen,
                 "%u virtual NICs need about %llu open descriptors; the switch may have %llu "
                 "(RLIMIT_NOFILE)",
                 count, (unsigned long long)need, (unsigned long long)rl.rlim_cur);
        return -1;
    }
    return 0;
}

/* ---- control methods ---- */

static unsigned remove_picked(const bool *pick);

/* Takes back the virtual NICs from index first on, made by a call whose change could not be
 * stored. */
static void remove_from(unsigned first)
{
    bool *pick = calloc(tab_n ? tab_n : 1, sizeof *pick);
    if (!pick) {
        log_err("virtual NICs: out of memory taking back an unsaved change");
        return;
    }
    for (unsigned i = first; i < tab_n; i++)
        pick[i] = true;
    remove_picked(pick);
    free(pick);
}

static int m_vnic_add(struct rpc_ctx *ctx, const struct json *params)
{
    double t0 = now_s();
    char err[512];
    struct vnic_request r;
    if (vnic_request_from_json(params, &r, err, sizeof err) < 0)
        return rpc_fail(ctx, RPC_ERR_PARAMS, "vnic.add: %s", err);
    r.first = vnic_first_number(r.name_prefix, r.netns_prefix, tab, tab_n);
    if (vnic_request_check(&r, err, sizeof err) < 0)
        return rpc_fail(ctx, RPC_ERR_PARAMS, "%s", err);
    if (vnic_request_conflicts(&r, tab, tab_n, err, sizeof err) < 0 ||
        check_names_free(&r, err, sizeof err) < 0)
        return rpc_fail(ctx, RPC_ERR_EXISTS, "%s", err);
    if (check_descriptors(r.count, err, sizeof err) < 0)
        return rpc_fail(ctx, RPC_ERR_FAILED, "%s", err);
    struct vnic_entry *entries = calloc(r.count, sizeof *entries);
    struct vnic_build b;
    if (!entries || vnic_build_init(&b, entries, r.count, false) < 0) {
        free(entries);
        return rpc_fail(ctx, RPC_ERR_INTERNAL, "out of memory");
    }
    for (unsigned k = 0; k < r.count; k++)
        vnic_request_entry(&r, k, &entries[k]);
    unsigned before = tab_n;
    int rc = vnic_build_run(&b);
    if (rc == 0 && table_append(&b) < 0) {
        vnic_build_teardown(&b);
        snprintf(b.err, sizeof b.err, "out of memory");
        rc = -1;
    }
    if (rc < 0) {
        rpc_fail(ctx, RPC_ERR_FAILED, "%s (nothing was created)", b.err);
        vnic_build_free(&b);
        free(entries);
        return -1;
    }
    if (config_save_err(err, sizeof err) < 0) {
        remove_from(before);
        rpc_fail(ctx, RPC_ERR_FAILED, "configuration not saved: %s; change rolled back", err);
        vnic_build_free(&b);
        free(entries);
        return -1;
    }
    double seconds = now_s() - t0;
    log_info("virtual NICs %s..%s created in %.3f s", entries[0].name, entries[r.count - 1].name,
             seconds);
    jw_obj_begin(ctx->out);
    jw_kuint(ctx->out, "created", r.count);
    jw_kstr(ctx->out, "first", entries[0].name);
    jw_kstr(ctx->out, "last", entries[r.count - 1].name);
    jw_kbool(ctx->out, "netns", r.netns_prefix[0] != '\0');
    jw_key(ctx->out, "seconds");
    jw_double(ctx->out, seconds);
    jw_obj_end(ctx->out);
    vnic_build_free(&b);
    free(entries);
    return 0;
}
RPC_METHOD(rpc_vnic_add, {"vnic.add", m_vnic_add, RPC_F_CONFIG});

/* Tears down the picked virtual NICs and takes them out of the table. */
static unsigned remove_picked(const bool *pick)
{
    unsigned n = 0;
    for (unsigned i = 0; i < tab_n; i++)
        n += pick[i];
    if (n == 0)
        return 0;
    struct vnic_entry *e = calloc(n, sizeof *e);
    struct vnic_build b;
    if (!e || vnic_build_init(&b, e, n, false) < 0) {
        free(e);
        log_err("virtual NICs: out of memory removing them");
        return 0;
    }
    unsigned k = 0;
    for (unsigned i = 0; i < tab_n; i++) {
        if (!pick[i])
            continue;
        e[k] = tab[i];
        b.ifindex[k] = tab_link[i].ifindex;
        b.ns_made[k] = tab[i].netns[0] != '\0';
        b.has_port[k] = true;
        b.port[k] = tab_link[i].port;
        k++;
    }
    b.committed = true;
    vnic_build_teardown(&b);
    vnic_build_free(&b);
    free(e);
    unsigned kept = 0;
    for (unsigned i = 0; i < tab_n; i++) {
        if (pick[i])
            continue;
        tab[kept] = tab[i];
        tab_link[kept] = tab_link[i];
        kept++;
    }
    tab_n = kept;
    return n;
}

static int m_vnic_del(struct rpc_ctx *ctx, const struct json *params)
{
    double t0 = now_s();
    char err[512];
    struct vnic_selector sel[DEL_SELECT_MAX];
    unsigned nsel;
    bool all;
    if (vnic_del_from_json(params, sel, DEL_SELECT_MAX, &nsel, &all, err, sizeof err) < 0)
        return rpc_fail(ctx, RPC_ERR_PARAMS, "vnic.del: %s", err);
    bool *pick = calloc(tab_n ? tab_n : 1, sizeof *pick);
    if (!pick)
        return rpc_fail(ctx, RPC_ERR_INTERNAL, "out of memory");
    for (unsigned i = 0; all && i < tab_n; i++)
        pick[i] = true;
    for (unsigned s = 0; s < nsel; s++) {
        unsigned matched = 0;
        for (unsigned i = 0; i < tab_n; i++) {
            if (vnic_selector_match(&sel[s], tab[i].name)) {
                pick[i] = true;
                matched++;
            }
        }
        if (matched == 0) {
            free(pick);
            if (sel[s].range)
                return rpc_fail(ctx, RPC_ERR_NOT_FOUND, "no virtual NIC in %s%u..%s%u",
                                sel[s].prefix, sel[s].lo, sel[s].prefix, sel[s].hi);
            return rpc_fail(ctx, RPC_ERR_NOT_FOUND, "no virtual NIC %s", sel[s].prefix);
        }
    }
    unsigned removed = remove_picked(pick);
    free(pick);
    double seconds = now_s() - t0;
    if (removed)
        log_info("%u virtual NICs deleted in %.3f s", removed, seconds);
    if (config_save_err(err, sizeof err) < 0)
        return rpc_fail(ctx, RPC_ERR_FAILED,
                        "configuration not saved: %s; %u virtual NICs are deleted, but the "
                        "stored configuration still has them",
                        err, removed);
    jw_obj_begin(ctx->out);
    jw_kuint(ctx->out, "deleted", removed);
    jw_key(ctx->out, "seconds");
    jw_double(ctx->out, seconds);
    jw_obj_end(ctx->out);
    return 0;
}
RPC_METHOD(rpc_vnic_del, {"vnic.del", m_vnic_del, RPC_F_CONFIG});

static uint64_t rd(const uint64_t *v)
{
    return __atomic_load_n(v, __ATOMIC_RELAXED);
}

static int m_vnic_list(struct rpc_ctx *ctx, const struct json *params)
{
    int64_t offset = 0, limit = LIST_PAGE_MAX;
    if ((json_get(params, "offset") && !json_get_int(params, "offset", 0, INT32_MAX, &offset)) ||
        (json_get(params, "limit") && !json_get_int(params, "limit", 1, LIST_PAGE_MAX, &limit)))
        return rpc_fail(ctx, RPC_ERR_PARAMS, "vnic.list: offset must be 0 or more, limit 1 to %d",
                        LIST_PAGE_MAX);
    struct jw *w = ctx->out;
    jw_obj_begin(w);
    jw_kuint(w, "total", tab_n);
    jw_kuint(w, "offset", (uint64_t)offset);
    jw_key(w, "vnics");
    jw_arr_begin(w);
    for (uint64_t i = (uint64_t)offset; i < tab_n && i < (uint64_t)offset + (uint64_t)limit; i++) {
        jw_obj_begin(w);
        vnic_entry_write(w, &tab[i]);
        jw_kint(w, "ifindex", tab_link[i].ifindex);
        jw_kuint(w, "port", tab_link[i].port);
        const struct port *p = ports_by_index(tab_link[i].port);
        if (p) {
            jw_kuint(w, "rx_packets", rd(&p->stats.rx_packets));
            jw_kuint(w, "tx_packets", rd(&p->stats.tx_packets));
        }
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
    return 0;
}
RPC_METHOD(rpc_vnic_list, {"vnic.list", m_vnic_list, 0});

void vnic_shutdown(void)
{
    bool *host = calloc(tab_n ? tab_n : 1, sizeof *host);
    int *ifindex = calloc(tab_n ? tab_n : 1, sizeof *ifindex);
    for (unsigned i = 0; host && ifindex && i < tab_n; i++) {
        host[i] = !tab[i].netns[0];
        ifindex[i] = tab_link[i].ifindex;
    }
    if (host && ifindex)
        vnic_delete_host_links(ifindex, host, tab_n);
    free(host);
    free(ifindex);
}

/* ---- stored configuration ---- */

static void vnics_save(struct jw *w)
{
    jw_arr_begin(w);
    for (unsigned i = 0; i < tab_n; i++) {
        jw_obj_begin(w);
        vnic_entry_write(w, &tab[i]);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

static bool duplicate_of(const struct vnic_entry *a, const struct vnic_entry *b)
{
    return strcmp(a->name, b->name) == 0 || memcmp(a->mac, b->mac, 6) == 0 || a->ip == b->ip ||
           (a->netns[0] && strcmp(a->netns, b->netns) == 0);
}

static int vnics_restore(const struct json *v, char *err, size_t errlen)
{
    if (v->type != JSON_ARRAY) {
        snprintf(err, errlen, "expected an array");
        return -1;
    }
    double t0 = now_s();
    struct vnic_entry *e = calloc(v->n ? v->n : 1, sizeof *e);
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    unsigned n = 0;
    for (size_t i = 0; i < v->n && n < VNIC_MAX; i++) {
        char why[256];
        if (vnic_entry_from_json(v->items[i], &e[n], why, sizeof why) < 0) {
            log_err("stored virtual NIC %zu: %s", i, why);
            continue;
        }
        bool dup = false;
        for (unsigned k = 0; k < n && !dup; k++)
            dup = duplicate_of(&e[n], &e[k]);
        if (dup) {
            log_err("stored virtual NIC %s repeats another's name, MAC, address or namespace",
                    e[n].name);
            continue;
        }
        n++;
    }
    struct vnic_build b;
    if (vnic_build_init(&b, e, n, true) < 0) {
        free(e);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    unsigned restored = 0;
    if (n && vnic_build_run(&b) == 0 && table_append(&b) == 0)
        for (unsigned j = 0; j < n; j++)
            restored += b.has_port[j];
    log_info("%u of %zu virtual NICs restored in %.3f s", restored, v->n, now_s() - t0);
    vnic_build_free(&b);
    free(e);
    if (restored < v->n) {
        snprintf(err, errlen, "%zu virtual NICs not restored (see above)", v->n - restored);
        return -1;
    }
    return 0;
}
/* After ports: nothing depends on virtual NICs being restored first. */
CONFIG_SECTION(cfg_vnics, {"vnics", vnics_save, vnics_restore, 5});

/* vnic.c - virtual NICs: creating many TAP devices with their MACs, addresses and namespaces in
 * batches, attaching them as switch ports with static MAC entries, removing them, the control
 * methods vnic.add, vnic.del and vnic.list, and the `vnics` section of the stored configuration.
 *
 * Costs that decide the order of things: the kernel waits for an RCU grace period (about
 * 20 ms here) each time it unregisters a device on its own, but only once for all the devices
 * of one group deletion or of all the namespaces that end together. So devices in the switch's
 * namespace are removed by device group, and devices in their own namespace are persistent and
 * end with the namespace; a descriptor is only closed once its device is gone. */
#include "vnic.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "control.h"
#include "dataplane.h"
#include "eth.h"
#include "l2switch.h"
#include "log.h"
#include "netns.h"
#include "nlbatch.h"
#include "ports.h"
#include "tapdev.h"
#include "vnic_json.h"
#include "vnic_spec.h"

#define LIST_PAGE_MAX 1000
#define DEL_SELECT_MAX 64
/* Device groups used for a moment to delete many links in one request. */
#define GROUP_BASE 0x5c000000u
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

static struct nlbatch *host_nl; /* rtnetlink in the switch's own namespace, opened once */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct nlbatch *host_batch(char *err, size_t errlen)
{
    if (!host_nl)
        host_nl = nlbatch_open(-1, err, errlen);
    return host_nl;
}

/* ---- one batch of virtual NICs being created (or torn down) ---- */

struct build {
    const struct vnic_entry *e;
    unsigned n;
    bool restore;    /* re-creating stored ones: reuse namespaces, skip failures */
    int *fd;         /* TAP descriptor while no port owns it, else -1 */
    int *ifindex;    /* 0 until the device exists */
    bool *ns_made;   /* the namespace is ours to delete on teardown */
    bool *ok;        /* the device exists, configured */
    bool *has_port;  /* a port was created for it */
    uint32_t *port;  /* its index */
    unsigned *order; /* namespace jobs: job number -> entry */
    unsigned order_base;
    struct dp_config *draft; /* ports created but not yet committed */
    bool committed;
    char err[512];
};

static void build_free(struct build *b)
{
    free(b->fd);
    free(b->ifindex);
    free(b->ns_made);
    free(b->ok);
    free(b->has_port);
    free(b->port);
    free(b->order);
}

static int build_init(struct build *b, const struct vnic_entry *e, unsigned n, bool restore)
{
    memset(b, 0, sizeof *b);
    b->e = e;
    b->n = n;
    b->restore = restore;
    size_t m = n ? n : 1;
    b->fd = malloc(m * sizeof *b->fd);
    b->ifindex = calloc(m, sizeof *b->ifindex);
    b->ns_made = calloc(m, sizeof *b->ns_made);
    b->ok = calloc(m, sizeof *b->ok);
    b->has_port = calloc(m, sizeof *b->has_port);
    b->port = calloc(m, sizeof *b->port);
    b->order = calloc(m, sizeof *b->order);
    if (!b->fd || !b->ifindex || !b->ns_made || !b->ok || !b->has_port || !b->port || !b->order) {
        build_free(b);
        return -1;
    }
    for (unsigned j = 0; j < n; j++)
        b->fd[j] = -1;
    return 0;
}

/* Removes links of the switch's namespace: marks them with a device group of ours and deletes
 * the group, unless some other link carries that group, then one by one. */
static void delete_host_links(const int *ifindex, const bool *pick, unsigned n)
{
    unsigned picked = 0;
    for (unsigned j = 0; j < n; j++)
        picked += pick[j] && ifindex[j] > 0;
    if (picked == 0)
        return;
    char err[256];
    struct nlbatch *nl = host_batch(err, sizeof err);
    if (!nl) {
        log_err("virtual NICs: cannot delete devices: %s", err);
        return;
    }
    uint32_t group = GROUP_BASE | ((uint32_t)getpid() & 0xffffffu);
    nlbatch_reset(nl);
    unsigned marked = 0;
    for (unsigned j = 0; j < n; j++) {
        if (!pick[j] || ifindex[j] <= 0)
            continue;
        struct nl_link_change g = nl_link_change_none();
        g.set_group = true;
        g.group = group;
        if (nlbatch_link_change(nl, j, ifindex[j], &g) == 0)
            marked++;
    }
    if (marked == 0)
        return;
    int refused = nlbatch_run(nl, err, sizeof err);
    unsigned in_group = 0;
    if (refused >= 0 && nlbatch_count_group(nl, group, &in_group, err, sizeof err) == 0 &&
        in_group == marked - (unsigned)refused) {
        nlbatch_reset(nl);
        nlbatch_group_del(nl, 0, group);
        if (nlbatch_run(nl, err, sizeof err) == 0)
            return;
        nlbatch_first_error(nl, err, sizeof err);
        log_warn("virtual NICs: deleting device group %#x: %s; deleting one by one", group, err);
    } else if (refused >= 0) {
        log_warn("virtual NICs: device group %#x is in use elsewhere; deleting one by one", group);
    }
    nlbatch_reset(nl);
    for (unsigned j = 0; j < n; j++)
        if (pick[j] && ifindex[j] > 0)
            nlbatch_link_del(nl, j, ifindex[j]);
    nlbatch_run(nl, err, sizeof err);
}

/* Undoes a build, or removes committed virtual NICs: host devices first (one group
 * deletion), then namespaces, then the ports, which close descriptors whose devices are gone
 * or persistent. */
static void teardown(struct build *b)
{
    double t0 = now_s();
    bool *host = calloc(b->n ? b->n : 1, sizeof *host);
    for (unsigned j = 0; host && j < b->n; j++)
        host[j] = !b->e[j].netns[0] && b->ifindex[j] > 0 && (b->fd[j] >= 0 || b->has_port[j]);
    if (host)
        delete_host_links(b->ifindex, host, b->n);
    free(host);
    double t1 = now_s();
    char err[256];
    for (unsigned j = 0; j < b->n; j++)
        if (b->ns_made[j] && netns_delete(b->e[j].netns, err, sizeof err) < 0)
            log_warn("virtual NIC %s: %s", b->e[j].name, err);
    double t2 = now_s();
    struct dp_config *draft = b->draft;
    if (!draft && b->committed) {
        for (unsigned j = 0; j < b->n; j++)
            if (b->has_port[j])
                capture_port_removed(b->port[j]);
        draft = dp_config_copy();
    }
    if (draft) {
        for (unsigned j = 0; j < b->n; j++)
            if (b->has_port[j] && port_remove(draft, b->e[j].name, err, sizeof err) < 0)
                log_warn("virtual NIC %s: %s", b->e[j].name, err);
        dp_config_commit(draft);
        b->draft = NULL;
    }
    double t3 = now_s();
    if (b->committed) {
        uint32_t *ports = malloc((b->n ? b->n : 1) * sizeof *ports);
        unsigned k = 0;
        for (unsigned j = 0; ports && j < b->n; j++)
            if (b->has_port[j])
                ports[k++] = b->port[j];
        if (ports)
            l2_fdb_del_ports(ports, k);
        else
            for (unsigned j = 0; j < b->n; j++)
                if (b->has_port[j])
                    l2_fdb_del_port(b->port[j]);
        free(ports);
    }
    double t4 = now_s();
    for (unsigned j = 0; j < b->n; j++) {
        if (b->fd[j] >= 0) {
            close(b->fd[j]);
            b->fd[j] = -1;
        }
        b->has_port[j] = false;
    }
    log_debug("virtual NICs: teardown of %u: host devices %.3f s, namespaces %.3f s, ports "
              "%.3f s, MAC entries %.3f s, descriptors %.3f s",
              b->n, t1 - t0, t2 - t1, t3 - t2, t4 - t3, now_s() - t4);
}

/* Restore only: gives up on one virtual NIC, removing what was made for it. */
static void drop_entry(struct build *b, unsigned j, const char *why)
{
    log_err("virtual NIC %s not restored: %s", b->e[j].name, why);
    if (b->fd[j] >= 0) {
        tapdev_set_persist(b->fd[j], false);
        close(b->fd[j]);
        b->fd[j] = -1;
    }
    char err[256];
    if (b->ns_made[j] && netns_delete(b->e[j].netns, err, sizeof err) < 0)
        log_warn("virtual NIC %s: %s", b->e[j].name, err);
    b->ns_made[j] = false;
    b->ok[j] = false;
}

/* Records refused requests of a batch whose tags are entry numbers: the first refusal
 * becomes b->err; with mark_only (restore) every refused entry is dropped. Returns how many
 * entries failed. */
static unsigned batch_failures(struct build *b, struct nlbatch *nl, bool tolerate_exists)
{
    unsigned failed = 0;
    for (unsigned i = 0; i < nlbatch_queued(nl); i++) {
        struct nlbatch_result r = nlbatch_result(nl, i);
        if (r.error == 0 || (tolerate_exists && r.error == EEXIST) || !b->ok[r.tag])
            continue;
        char why[400];
        snprintf(why, sizeof why, "%s: %s%s%s%s", r.what, strerror(r.error), r.msg[0] ? " (" : "",
                 r.msg, r.msg[0] ? ")" : "");
        if (failed++ == 0)
            snprintf(b->err, sizeof b->err, "%s: %s", b->e[r.tag].name, why);
        if (b->restore)
            drop_entry(b, r.tag, why);
        else
            b->ok[r.tag] = false;
    }
    return failed;
}

/* Devices of the switch's own namespace: created here, configured in one netlink batch. */
static int make_host_devices(struct build *b)
{
    unsigned made = 0;
    for (unsigned j = 0; j < b->n; j++) {
        const struct vnic_entry *e = &b->e[j];
        if (e->netns[0])
            continue;
        char err[256];
        b->fd[j] = tapdev_create(e->name, TAPDEV_F_VNET_HDR, &b->ifindex[j], err, sizeof err);
        if (b->fd[j] < 0) {
            if (!b->restore) {
                snprintf(b->err, sizeof b->err, "%s", err);
                return -1;
            }
            drop_entry(b, j, err);
            continue;
        }
        b->ok[j] = true;
        made++;
    }
    if (made == 0)
        return 0;
    char err[256];
    struct nlbatch *nl = host_batch(err, sizeof err);
    if (!nl) {
        snprintf(b->err, sizeof b->err, "%s", err);
        return -1;
    }
    nlbatch_reset(nl);
    for (unsigned j = 0; j < b->n; j++) {
        const struct vnic_entry *e = &b->e[j];
        if (e->netns[0] || !b->ok[j])
            continue;
        struct nl_link_change c = nl_link_change_none(), up = nl_link_change_none();
        c.mac = e->mac;
        c.ipv6_no_linklocal = !e->ipv6;
        /* Several links share this namespace and often one subnet: each answers ARP only
         * for its own address. */
        c.arp_own_address = true;
        up.up = 1;
        if (nlbatch_link_change(nl, j, b->ifindex[j], &c) < 0 ||
            nlbatch_link_change(nl, j, b->ifindex[j], &up) < 0 ||
            nlbatch_addr4_add(nl, j, b->ifindex[j], e->ip, e->prefix) < 0) {
            snprintf(b->err, sizeof b->err, "out of memory");
            return -1;
        }
    }
    int refused = nlbatch_run(nl, err, sizeof err);
    if (refused < 0) {
        snprintf(b->err, sizeof b->err, "%s", err);
        return -1;
    }
    return batch_failures(b, nl, false) && !b->restore ? -1 : 0;
}

/* On the namespace thread, inside the virtual NIC's namespace: its TAP device (persistent,
 * so that it ends with the namespace rather than costing a grace period on close), then its
 * MAC, loopback, link and address in one batch on a socket of that namespace. */
static int inside_namespace(void *arg, unsigned i, char *err, size_t errlen)
{
    struct build *b = arg;
    unsigned j = b->order[b->order_base + i];
    const struct vnic_entry *e = &b->e[j];
    int index;
    unsigned flags = TAPDEV_F_VNET_HDR | (b->restore ? TAPDEV_F_ATTACH : 0);
    int fd = tapdev_create(e->name, flags, &index, err, errlen);
    if (fd < 0)
        return -1;
    if (tapdev_set_persist(fd, true) < 0) {
        snprintf(err, errlen, "%s: making the device persistent: %s", e->name, strerror(errno));
        close(fd);
        return -1;
    }
    struct nlbatch *nl = nlbatch_open(-1, err, errlen);
    if (!nl)
        goto fail;
    struct nl_link_change c = nl_link_change_none(), up = nl_link_change_none();
    c.mac = e->mac;
    c.ipv6_no_linklocal = !e->ipv6;
    up.up = 1;
    const int loopback = 1;
    if (nlbatch_link_change(nl, 0, index, &c) < 0 ||
        nlbatch_link_change(nl, 1, loopback, &up) < 0 ||
        nlbatch_link_change(nl, 2, index, &up) < 0 ||
        nlbatch_addr4_add(nl, 3, index, e->ip, e->prefix) < 0) {
        snprintf(err, errlen, "out of memory");
        nlbatch_close(nl);
        goto fail;
    }
    int refused = nlbatch_run(nl, err, errlen);
    bool failed = refused < 0;
    for (unsigned k = 0; refused > 0 && !failed && k < nlbatch_queued(nl); k++) {
        struct nlbatch_result r = nlbatch_result(nl, k);
        /* A re-adopted device may still have its address. */
        if (r.error == 0 || (b->restore && r.tag == 3 && r.error == EEXIST))
            continue;
        snprintf(err, errlen, "%s in %s: %s: %s%s%s%s", e->name, e->netns, r.what,
                 strerror(r.error), r.msg[0] ? " (" : "", r.msg, r.msg[0] ? ")" : "");
        failed = true;
    }
    nlbatch_close(nl);
    if (failed)
        goto fail;
    b->fd[j] = fd;
    b->ifindex[j] = index;
    b->ok[j] = true;
    return 0;
fail:
    /* No longer persistent: the device goes with its descriptor. */
    tapdev_set_persist(fd, false);
    close(fd);
    return -1;
}

/* Devices with their own namespace: new namespaces are created and filled on one helper
 * thread; on restore, namespaces that still exist are entered and their devices adopted. */
static int make_ns_devices(struct build *b)
{
    const char **names = calloc(b->n ? b->n : 1, sizeof *names);
    int *nsfds = calloc(b->n ? b->n : 1, sizeof *nsfds);
    if (!names || !nsfds) {
        free(names);
        free(nsfds);
        snprintf(b->err, sizeof b->err, "out of memory");
        return -1;
    }
    int rc = 0;
    char err[512];
    unsigned k = 0;
    for (unsigned j = 0; j < b->n; j++) {
        if (!b->e[j].netns[0] || (b->restore && netns_exists(b->e[j].netns)))
            continue;
        names[k] = b->e[j].netns;
        b->order[k++] = j;
    }
    for (unsigned start = 0; start < k;) {
        b->order_base = start;
        unsigned made =
            netns_create_many(names + start, k - start, NULL, inside_namespace, b, err, sizeof err);
        for (unsigned i = 0; i < made; i++)
            b->ns_made[b->order[start + i]] = true;
        if (start + made == k)
            break;
        if (!b->restore) {
            snprintf(b->err, sizeof b->err, "%s", err);
            rc = -1;
            goto out;
        }
        drop_entry(b, b->order[start + made], err);
        start += made + 1;
    }
    if (!b->restore)
        goto out;
    /* Restore: the namespaces that outlived the switch, with their persistent devices. */
    k = 0;
    for (unsigned j = 0; j < b->n; j++) {
        if (!b->e[j].netns[0] || b->ns_made[j] || b->ok[j] || !netns_exists(b->e[j].netns))
            continue;
        nsfds[k] = netns_open(b->e[j].netns);
        if (nsfds[k] < 0) {
            drop_entry(b, j, strerror(errno));
            continue;
        }
        b->order[k++] = j;
    }
    for (unsigned start = 0; start < k;) {
        b->order_base = start;
        unsigned done =
            netns_enter_many(nsfds + start, k - start, inside_namespace, b, err, sizeof err);
        if (start + done == k)
            break;
        drop_entry(b, b->order[start + done], err);
        start += done + 1;
    }
    for (unsigned i = 0; i < k; i++)
        close(nsfds[i]);
out:
    free(names);
    free(nsfds);
    return rc;
}

/* Ports of kind tap adopting the descriptors, all in one draft. */
static int attach_ports(struct build *b)
{
    b->draft = dp_config_copy();
    for (unsigned j = 0; j < b->n; j++) {
        if (!b->ok[j])
            continue;
        struct port_args args;
        char fdtext[16], err[256];
        memset(&args, 0, sizeof args);
        snprintf(fdtext, sizeof fdtext, "%d", b->fd[j]);
        port_args_set(&args, "_fd", fdtext);
        port_args_set(&args, "_vnic", "1");
        struct port *p = port_create(b->draft, b->e[j].name, "tap", &args, err, sizeof err);
        if (!p) {
            /* The tap kind closes a descriptor it took and then failed on. */
            if (fcntl(b->fd[j], F_GETFD) < 0)
                b->fd[j] = -1;
            if (!b->restore) {
                snprintf(b->err, sizeof b->err, "%s: %s", b->e[j].name, err);
                return -1;
            }
            drop_entry(b, j, err);
            continue;
        }
        b->fd[j] = -1;
        b->has_port[j] = true;
        b->port[j] = p->index;
    }
    return 0;
}

/* Static MAC entries, all in one trip to the data plane: unicast to a virtual NIC is one hash
 * lookup from the first frame, never flooded. */
static int add_mac_entries(struct build *b)
{
    uint8_t(*macs)[ETH_ADDR_LEN] = malloc((b->n ? b->n : 1) * sizeof *macs);
    uint32_t *ports = malloc((b->n ? b->n : 1) * sizeof *ports);
    unsigned *which = malloc((b->n ? b->n : 1) * sizeof *which);
    unsigned k = 0;
    int rc = 0;
    if (!macs || !ports || !which) {
        snprintf(b->err, sizeof b->err, "out of memory");
        rc = -1;
        goto out;
    }
    for (unsigned j = 0; j < b->n; j++) {
        if (!b->has_port[j])
            continue;
        memcpy(macs[k], b->e[j].mac, ETH_ADDR_LEN);
        ports[k] = b->port[j];
        which[k++] = j;
    }
    unsigned added = l2_fdb_add_static_many((const uint8_t(*)[ETH_ADDR_LEN])macs, ports, k, 0);
    if (added < k) {
        snprintf(b->err, sizeof b->err, "%s: the MAC table is full of static entries",
                 b->e[which[added]].name);
        log_err("virtual NICs: %s", b->err);
        rc = -1;
    }
out:
    free(macs);
    free(ports);
    free(which);
    return rc;
}

/* Creates the devices, ports and MAC entries of a build. On failure (not restoring) nothing
 * of it is left and b->err says why. */
static int build_run(struct build *b)
{
    double t0 = now_s(), t1 = t0, t2 = t0, t3 = t0, t4 = t0;
    if (make_host_devices(b) < 0)
        goto fail;
    t1 = now_s();
    if (make_ns_devices(b) < 0)
        goto fail;
    t2 = now_s();
    if (attach_ports(b) < 0)
        goto fail;
    t3 = now_s();
    dp_config_commit(b->draft);
    b->draft = NULL;
    b->committed = true;
    t4 = now_s();
    if (add_mac_entries(b) < 0 && !b->restore)
        goto fail;
    log_debug("virtual NICs: %u built: host devices %.3f s, namespaces %.3f s, ports %.3f s, "
              "commit %.3f s, MAC entries %.3f s",
              b->n, t1 - t0, t2 - t1, t3 - t2, t4 - t3, now_s() - t4);
    return 0;
fail:
    teardown(b);
    return -1;
}

static int table_append(const struct build *b)
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
    struct build b;
    if (!entries || build_init(&b, entries, r.count, false) < 0) {
        free(entries);
        return rpc_fail(ctx, RPC_ERR_INTERNAL, "out of memory");
    }
    for (unsigned k = 0; k < r.count; k++)
        vnic_request_entry(&r, k, &entries[k]);
    int rc = build_run(&b);
    if (rc == 0 && table_append(&b) < 0) {
        teardown(&b);
        snprintf(b.err, sizeof b.err, "out of memory");
        rc = -1;
    }
    if (rc < 0) {
        rpc_fail(ctx, RPC_ERR_FAILED, "%s (nothing was created)", b.err);
        build_free(&b);
        free(entries);
        return -1;
    }
    double seconds = now_s() - t0;
    log_info("virtual NICs %s..%s created in %.3f s", entries[0].name, entries[r.count - 1].name,
             seconds);
    config_save();
    jw_obj_begin(ctx->out);
    jw_kuint(ctx->out, "created", r.count);
    jw_kstr(ctx->out, "first", entries[0].name);
    jw_kstr(ctx->out, "last", entries[r.count - 1].name);
    jw_kbool(ctx->out, "netns", r.netns_prefix[0] != '\0');
    jw_key(ctx->out, "seconds");
    jw_double(ctx->out, seconds);
    jw_obj_end(ctx->out);
    build_free(&b);
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
    struct vnic_entry *e = malloc(n * sizeof *e);
    struct build b;
    if (!e || build_init(&b, e, n, false) < 0) {
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
    teardown(&b);
    build_free(&b);
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
    config_save();
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
        delete_host_links(ifindex, host, tab_n);
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
    struct build b;
    if (build_init(&b, e, n, true) < 0) {
        free(e);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    unsigned restored = 0;
    if (n && build_run(&b) == 0 && table_append(&b) == 0)
        for (unsigned j = 0; j < n; j++)
            restored += b.has_port[j];
    log_info("%u of %zu virtual NICs restored in %.3f s", restored, v->n, now_s() - t0);
    build_free(&b);
    free(e);
    if (restored < v->n) {
        snprintf(err, errlen, "%zu virtual NICs not restored (see above)", v->n - restored);
        return -1;
    }
    return 0;
}
/* After ports: nothing depends on virtual NICs being restored first. */
CONFIG_SECTION(cfg_vnics, {"vnics", vnics_save, vnics_restore, 5});

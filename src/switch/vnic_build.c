/* vnic_build.c - the kernel and switch work behind a batch of virtual NICs: TAP devices in the
 * switch's namespace or in namespaces of their own, their configuration in netlink batches,
 * their ports and static MAC entries, and the teardown of all of it in the cheap order.
 *
 * Costs that decide the order of things: the kernel waits for an RCU grace period (about
 * 20 ms here) each time it unregisters a device on its own; devices unregistered together (a
 * device-group deletion, namespaces that end together) share the wait. So devices in the
 * switch's namespace are removed by device group, devices in their own namespace are persistent
 * and end with the namespace, and a descriptor is only closed once its device is gone. */
#include "vnic_build.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "dataplane.h"
#include "eth.h"
#include "l2switch.h"
#include "log.h"
#include "netns.h"
#include "nlbatch.h"
#include "ports.h"
#include "tapdev.h"

/* Device groups used for a moment to delete many links in one request. */
#define GROUP_BASE 0x5c000000u

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

void vnic_build_free(struct vnic_build *b)
{
    free(b->fd);
    free(b->ifindex);
    free(b->ns_made);
    free(b->ok);
    free(b->has_port);
    free(b->port);
    free(b->order);
}

int vnic_build_init(struct vnic_build *b, const struct vnic_entry *e, unsigned n, bool restore)
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
        vnic_build_free(b);
        return -1;
    }
    for (unsigned j = 0; j < n; j++)
        b->fd[j] = -1;
    return 0;
}

/* Removes links of the switch's namespace: marks them with a device group of ours and deletes
 * the group, unless some other link carries that group, then one by one. */
void vnic_delete_host_links(const int *ifindex, const bool *pick, unsigned n)
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
void vnic_build_teardown(struct vnic_build *b)
{
    double t0 = now_s();
    bool *host = calloc(b->n ? b->n : 1, sizeof *host);
    for (unsigned j = 0; host && j < b->n; j++)
        host[j] = !b->e[j].netns[0] && b->ifindex[j] > 0 && (b->fd[j] >= 0 || b->has_port[j]);
    if (host)
        vnic_delete_host_links(b->ifindex, host, b->n);
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
static void drop_entry(struct vnic_build *b, unsigned j, const char *why)
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
static unsigned batch_failures(struct vnic_build *b, struct nlbatch *nl, bool tolerate_exists)
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
static int make_host_devices(struct vnic_build *b)
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
    struct vnic_build *b = arg;
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
static int make_ns_devices(struct vnic_build *b)
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
static int attach_ports(struct vnic_build *b)
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
static int add_mac_entries(struct vnic_build *b)
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
int vnic_build_run(struct vnic_build *b)
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
    vnic_build_teardown(b);
    return -1;
}

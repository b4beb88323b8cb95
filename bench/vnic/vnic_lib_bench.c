/* vnic_lib_bench.c - times the kernel work behind virtual NICs without the switch: creating N
 * TAP devices (each in its own new network namespace, or all here), configuring them in
 * netlink batches, and removing them by different routes. */
#include <errno.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netns.h"
#include "nlbatch.h"
#include "tapdev.h"

#define BENCH_GROUP 0x5b1ce

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what, const char *err)
{
    fprintf(stderr, "vnic_lib_bench: %s: %s\n", what, err);
    return 1;
}

struct bench {
    unsigned n;
    int *fds, *idx, *socks;
    char (*names)[16];
    bool persist;
};

/* Inside namespace i: its TAP device and a netlink socket, both bound to it. */
static int inside_ns(void *arg, unsigned i, char *err, size_t errlen)
{
    struct bench *b = arg;
    b->fds[i] = tapdev_create(b->names[i], 0, &b->idx[i], err, errlen);
    if (b->fds[i] < 0)
        return -1;
    if (b->persist)
        tapdev_set_persist(b->fds[i], true);
    b->socks[i] = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    return b->socks[i] < 0 ? -1 : 0;
}

static uint32_t addr_of(unsigned i)
{
    return (10u << 24) | (251u << 16) | (i + 1);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: vnic_lib_bench COUNT netns|plain [close|persist|group]\n");
        return 2;
    }
    struct bench b = {.n = (unsigned)atoi(argv[1])};
    unsigned n = b.n;
    bool use_netns = strcmp(argv[2], "netns") == 0;
    const char *del = argc > 3 ? argv[3] : "close";
    b.persist = strcmp(del, "persist") == 0;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);

    char err[512];
    b.fds = calloc(n, sizeof *b.fds);
    b.idx = calloc(n, sizeof *b.idx);
    b.socks = calloc(n, sizeof *b.socks);
    b.names = calloc(n, 16);
    char(*nsnames)[32] = calloc(n, 32);
    const char **nsptrs = calloc(n, sizeof *nsptrs);
    for (unsigned i = 0; i < n; i++) {
        snprintf(b.names[i], 16, "vb%u", i);
        snprintf(nsnames[i], 32, "vbns%u", i);
        nsptrs[i] = nsnames[i];
    }
    double t0 = now_s(), t1, t2;
    struct nlbatch *main_nl = nlbatch_open(-1, err, sizeof err);
    if (!main_nl)
        return fail("nlbatch", err);
    if (use_netns) {
        if (netns_create_many(nsptrs, n, NULL, inside_ns, &b, err, sizeof err) < n)
            return fail("netns", err);
        t1 = now_s();
        for (unsigned i = 0; i < n; i++) {
            struct nlbatch *nb = nlbatch_open(b.socks[i], err, sizeof err);
            if (!nb)
                return fail("ns nlbatch", err);
            uint8_t mac[6] = {0x02, 0x5b, 0, 0, (uint8_t)(i >> 8), (uint8_t)i};
            struct nl_link_change c = nl_link_change_none(), up = nl_link_change_none();
            c.mac = mac;
            c.ipv6_no_linklocal = true;
            up.up = 1;
            nlbatch_link_change(nb, i, b.idx[i], &c);
            nlbatch_link_change(nb, i, 1, &up);
            nlbatch_link_change(nb, i, b.idx[i], &up);
            nlbatch_addr4_add(nb, i, b.idx[i], addr_of(i), 16);
            int refused = nlbatch_run(nb, err, sizeof err);
            if (refused != 0) {
                if (refused > 0)
                    nlbatch_first_error(nb, err, sizeof err);
                return fail("ns batch", err);
            }
            nlbatch_close(nb);
        }
    } else {
        for (unsigned i = 0; i < n; i++) {
            b.fds[i] = tapdev_create(b.names[i], 0, &b.idx[i], err, sizeof err);
            if (b.fds[i] < 0)
                return fail("tap", err);
        }
        t1 = now_s();
        for (unsigned i = 0; i < n; i++) {
            uint8_t mac[6] = {0x02, 0x5b, 0, 0, (uint8_t)(i >> 8), (uint8_t)i};
            struct nl_link_change c = nl_link_change_none(), up = nl_link_change_none();
            c.mac = mac;
            c.ipv6_no_linklocal = true;
            c.arp_own_address = true;
            up.up = 1;
            nlbatch_link_change(main_nl, i, b.idx[i], &c);
            nlbatch_link_change(main_nl, i, b.idx[i], &up);
            nlbatch_addr4_add(main_nl, i, b.idx[i], addr_of(i), 16);
        }
        int refused = nlbatch_run(main_nl, err, sizeof err);
        if (refused != 0) {
            if (refused > 0)
                nlbatch_first_error(main_nl, err, sizeof err);
            return fail("main batch", err);
        }
    }
    t2 = now_s();
    printf("create count=%u mode=%s devices=%.3f config=%.3f total=%.3f s\n", n, argv[2], t1 - t0,
           t2 - t1, t2 - t0);
    fflush(stdout);
    if (getenv("BENCH_PAUSE"))
        sleep((unsigned)atoi(getenv("BENCH_PAUSE")));
    double d0 = now_s();
    if (use_netns)
        for (unsigned i = 0; i < n; i++)
            if (netns_delete(nsnames[i], err, sizeof err) < 0)
                return fail("netns delete", err);
    if (strcmp(del, "group") == 0 && !use_netns) {
        nlbatch_reset(main_nl);
        for (unsigned i = 0; i < n; i++) {
            struct nl_link_change g = nl_link_change_none();
            g.set_group = true;
            g.group = BENCH_GROUP;
            nlbatch_link_change(main_nl, i, b.idx[i], &g);
        }
        nlbatch_group_del(main_nl, n, BENCH_GROUP);
        if (nlbatch_run(main_nl, err, sizeof err) != 0) {
            nlbatch_first_error(main_nl, err, sizeof err);
            return fail("group delete", err);
        }
    }
    double d1 = now_s();
    for (unsigned i = 0; i < n; i++) {
        close(b.fds[i]);
        if (use_netns)
            close(b.socks[i]);
    }
    double d2 = now_s();
    printf("delete count=%u mode=%s/%s unlink=%.3f close=%.3f total=%.3f s\n", n, argv[2], del,
           d1 - d0, d2 - d1, d2 - d0);
    nlbatch_close(main_nl);
    return 0;
}

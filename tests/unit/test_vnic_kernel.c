/* test_vnic_kernel.c - the kernel interfaces behind virtual NICs, against the real kernel (needs
 * root): TAP creation without reuse, rtnetlink batches with per-request errors, chunking and
 * group deletion, and named namespaces created, entered and deleted. Link work happens in a
 * private network namespace; named namespaces carry the process id in their names. */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "netns.h"
#include "nlbatch.h"
#include "tapdev.h"

static int sock;

static bool link_flags(const char *name, short *flags, uint8_t mac[6])
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
        return false;
    *flags = ifr.ifr_flags;
    if (ioctl(sock, SIOCGIFHWADDR, &ifr) < 0)
        return false;
    memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    return true;
}

static bool has_address(const char *name, uint32_t addr)
{
    struct ifaddrs *list, *a;
    bool found = false;
    if (getifaddrs(&list) < 0)
        return false;
    for (a = list; a; a = a->ifa_next)
        if (a->ifa_addr && a->ifa_addr->sa_family == AF_INET && strcmp(a->ifa_name, name) == 0 &&
            ((struct sockaddr_in *)a->ifa_addr)->sin_addr.s_addr == htonl(addr))
            found = true;
    freeifaddrs(list);
    return found;
}

static bool has_ipv6(const char *name)
{
    struct ifaddrs *list, *a;
    bool found = false;
    if (getifaddrs(&list) < 0)
        return false;
    for (a = list; a; a = a->ifa_next)
        if (a->ifa_addr && a->ifa_addr->sa_family == AF_INET6 && strcmp(a->ifa_name, name) == 0)
            found = true;
    freeifaddrs(list);
    return found;
}

static void test_tap_and_batch(void)
{
    char err[256];
    int index = 0;
    int fd = tapdev_create("tk0", TAPDEV_F_VNET_HDR, &index, err, sizeof err);
    CHECK(fd >= 0);
    CHECK(index > 0);
    CHECK_EQ(tapdev_ifindex(sock, "tk0"), index);
    CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
    CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    int other;
    CHECK_EQ(tapdev_create("tk0", 0, &other, err, sizeof err), -1);
    CHECK(strstr(err, "already exists") != NULL);
    CHECK_EQ(tapdev_create("lo", 0, &other, err, sizeof err), -1); /* not a TAP device */
    CHECK_EQ(tapdev_create("a234567890123456", 0, &other, err, sizeof err), -1);
    CHECK_EQ(tapdev_create("", 0, &other, err, sizeof err), -1);
    CHECK_EQ(tapdev_ifindex(sock, "tk-none"), 0);

    struct nlbatch *b = nlbatch_open(-1, err, sizeof err);
    CHECK(b != NULL);
    if (!b)
        return;
    uint8_t mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55}, got[6];
    struct nl_link_change c = nl_link_change_none(), up = nl_link_change_none();
    c.mac = mac;
    c.ipv6_no_linklocal = true;
    c.arp_own_address = true;
    up.up = 1;
    CHECK_EQ(nlbatch_link_change(b, 7, index, &c), 0);
    CHECK_EQ(nlbatch_link_change(b, 7, index, &up), 0);
    CHECK_EQ(nlbatch_addr4_add(b, 7, index, 0x0a090001u, 24), 0);
    CHECK_EQ(nlbatch_queued(b), 3);
    CHECK_EQ(nlbatch_run(b, err, sizeof err), 0);
    short flags = 0;
    CHECK(link_flags("tk0", &flags, got));
    CHECK(flags & IFF_UP);
    CHECK(memcmp(got, mac, 6) == 0);
    CHECK(has_address("tk0", 0x0a090001u));
    FILE *f = fopen("/proc/sys/net/ipv4/conf/tk0/arp_ignore", "r");
    int arp_ignore = -1;
    if (f) {
        CHECK_EQ(fscanf(f, "%d", &arp_ignore), 1);
        fclose(f);
    }
    CHECK_EQ(arp_ignore, 1);

    /* Refusals are reported per request; the requests around them still run. */
    nlbatch_reset(b);
    CHECK_EQ(nlbatch_addr4_add(b, 1, index, 0x0a090001u, 24), 0); /* exists */
    CHECK_EQ(nlbatch_addr4_add(b, 2, index, 0x0a090002u, 24), 0);
    CHECK_EQ(nlbatch_link_change(b, 3, 999999, &up), 0); /* no such link */
    CHECK_EQ(nlbatch_run(b, err, sizeof err), 2);
    struct nlbatch_result r0 = nlbatch_result(b, 0), r1 = nlbatch_result(b, 1),
                          r2 = nlbatch_result(b, 2);
    CHECK_EQ(r0.tag, 1);
    CHECK_EQ(r0.error, EEXIST);
    CHECK_STR(r0.what, "adding address");
    CHECK_EQ(r1.error, 0);
    CHECK_EQ(r2.tag, 3);
    CHECK_EQ(r2.error, ENODEV);
    CHECK(has_address("tk0", 0x0a090002u));
    CHECK(nlbatch_first_error(b, err, sizeof err));
    CHECK(strstr(err, "adding address") != NULL);
    CHECK_EQ(nlbatch_result(b, 3).error, EINVAL); /* out of range */

    /* Hundreds of requests: several chunks, every acknowledgement collected. */
    enum { MANY = 300 };
    int fds[MANY], idx[MANY];
    unsigned made = 0;
    for (unsigned i = 0; i < MANY; i++) {
        char name[16];
        snprintf(name, sizeof name, "tm%u", i);
        fds[i] = tapdev_create(name, 0, &idx[i], err, sizeof err);
        made += fds[i] >= 0;
    }
    CHECK_EQ(made, MANY);
    nlbatch_reset(b);
    for (unsigned i = 0; i < MANY; i++) {
        uint8_t m[6] = {0x02, 0x22, 0, 0, (uint8_t)(i >> 8), (uint8_t)i};
        struct nl_link_change mc = nl_link_change_none();
        mc.mac = m;
        mc.set_group = true;
        mc.group = 0x5c0000aa;
        nlbatch_link_change(b, i, idx[i], &mc);
        nlbatch_link_change(b, i, idx[i], &up);
        nlbatch_addr4_add(b, i, idx[i], 0x0a0a0000u + i + 1, 16);
    }
    CHECK_EQ(nlbatch_queued(b), 3 * MANY);
    CHECK_EQ(nlbatch_run(b, err, sizeof err), 0);
    CHECK(has_address("tm299", 0x0a0a0000u + 300));
    /* Only links asked for it go without an IPv6 link-local address. */
    CHECK(!has_ipv6("tk0"));
    CHECK(has_ipv6("tm5"));
    unsigned in_group = 0;
    CHECK_EQ(nlbatch_count_group(b, 0x5c0000aa, &in_group, err, sizeof err), 0);
    CHECK_EQ(in_group, MANY);
    nlbatch_reset(b);
    CHECK_EQ(nlbatch_group_del(b, 0, 0x5c0000aa), 0);
    CHECK_EQ(nlbatch_run(b, err, sizeof err), 0);
    CHECK_EQ(tapdev_ifindex(sock, "tm0"), 0);
    CHECK_EQ(tapdev_ifindex(sock, "tm299"), 0);
    CHECK_EQ(tapdev_ifindex(sock, "tk0"), index); /* not in the group: untouched */
    CHECK_EQ(nlbatch_count_group(b, 0x5c0000aa, &in_group, err, sizeof err), 0);
    CHECK_EQ(in_group, 0);
    for (unsigned i = 0; i < MANY; i++)
        if (fds[i] >= 0)
            close(fds[i]);

    /* A persistent device outlives its descriptor; attaching finds it again. */
    CHECK_EQ(tapdev_set_persist(fd, true), 0);
    close(fd);
    CHECK_EQ(tapdev_ifindex(sock, "tk0"), index);
    fd = tapdev_create("tk0", TAPDEV_F_ATTACH, &other, err, sizeof err);
    CHECK(fd >= 0);
    CHECK_EQ(other, index);
    nlbatch_reset(b);
    nlbatch_link_del(b, 0, index);
    CHECK_EQ(nlbatch_run(b, err, sizeof err), 0);
    CHECK_EQ(tapdev_ifindex(sock, "tk0"), 0);
    close(fd);
    nlbatch_close(b);
}

struct inside_log {
    ino_t ns_ino[4];
    int tap_fd[4];
    unsigned fail_at; /* make this call fail */
};

static int inside(void *arg, unsigned i, char *err, size_t errlen)
{
    struct inside_log *log = arg;
    struct stat st;
    if (stat("/proc/thread-self/ns/net", &st) == 0)
        log->ns_ino[i] = st.st_ino;
    if (i == log->fail_at) {
        snprintf(err, errlen, "refused on purpose");
        return -1;
    }
    int index;
    log->tap_fd[i] = tapdev_create("tin", 0, &index, err, errlen);
    return log->tap_fd[i] < 0 ? -1 : 0;
}

/* Only notes where it ran; fails at fail_at. */
static int probe(void *arg, unsigned i, char *err, size_t errlen)
{
    struct inside_log *log = arg;
    struct stat st;
    if (stat("/proc/thread-self/ns/net", &st) == 0)
        log->ns_ino[i] = st.st_ino;
    if (i == log->fail_at) {
        snprintf(err, errlen, "refused on purpose");
        return -1;
    }
    return 0;
}

static ino_t ino_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_ino : 0;
}

static void test_netns(void)
{
    CHECK(netns_name_valid("a.b-c_9"));
    const char *bad[] = {"", ".", "..", "a/b", "a b", "x\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(!netns_name_valid(bad[i]));
    char long_name[NETNS_NAME_MAX + 2];
    memset(long_name, 'n', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    CHECK(!netns_name_valid(long_name));

    char names[3][32], path[3][128], err[512];
    const char *ptr[3];
    for (int i = 0; i < 3; i++) {
        snprintf(names[i], sizeof names[i], "sluice-unit-%d-%d", (int)getpid(), i);
        snprintf(path[i], sizeof path[i], "/run/netns/%s", names[i]);
        ptr[i] = names[i];
    }
    ino_t self = ino_of("/proc/thread-self/ns/net");
    struct inside_log log = {.fail_at = 99};
    int nsfds[3] = {-1, -1, -1};
    CHECK_EQ(netns_create_many(ptr, 2, nsfds, inside, &log, err, sizeof err), 2);
    CHECK(netns_exists(names[0]) && netns_exists(names[1]));
    CHECK(nsfds[0] >= 0 && nsfds[1] >= 0);
    /* Each ran inside its own new namespace; this thread stayed where it was. */
    CHECK_EQ(ino_of(path[0]), log.ns_ino[0]);
    CHECK_EQ(ino_of(path[1]), log.ns_ino[1]);
    CHECK(log.ns_ino[0] != log.ns_ino[1] && log.ns_ino[0] != self);
    CHECK_EQ(ino_of("/proc/thread-self/ns/net"), self);
    CHECK(log.tap_fd[0] >= 0 && log.tap_fd[1] >= 0);
    CHECK_EQ(tapdev_ifindex(sock, "tin"), 0); /* created in there, not here */

    /* An existing name is refused and left alone. */
    CHECK_EQ(netns_create_many(ptr, 1, NULL, NULL, NULL, err, sizeof err), 0);
    CHECK(strstr(err, "already exists") != NULL);
    CHECK_EQ(ino_of(path[0]), log.ns_ino[0]);

    /* Entering existing namespaces by descriptor. */
    struct inside_log enter = {.fail_at = 1};
    CHECK_EQ(netns_enter_many(nsfds, 2, probe, &enter, err, sizeof err), 1);
    CHECK_EQ(enter.ns_ino[0], log.ns_ino[0]);
    CHECK_EQ(enter.ns_ino[1], log.ns_ino[1]);
    CHECK(strstr(err, "refused on purpose") != NULL);
    CHECK_EQ(ino_of("/proc/thread-self/ns/net"), self);

    /* A failure part-way: the namespace that failed is undone, the one before stays. */
    struct inside_log fail = {.fail_at = 1, .tap_fd = {-1, -1, -1, -1}};
    const char *third[2] = {names[2], "sluice-unit-never"};
    char never[64];
    snprintf(never, sizeof never, "sluice-unit-%d-x", (int)getpid());
    third[1] = never;
    CHECK_EQ(netns_create_many(third, 2, NULL, inside, &fail, err, sizeof err), 1);
    CHECK(netns_exists(names[2]));
    CHECK(!netns_exists(never));

    for (int i = 0; i < 3; i++) {
        CHECK_EQ(netns_delete(names[i], err, sizeof err), 0);
        CHECK(!netns_exists(names[i]));
    }
    CHECK_EQ(netns_delete(names[0], err, sizeof err), 0); /* already gone: nothing to do */
    CHECK_EQ(netns_delete("../etc", err, sizeof err), -1);
    CHECK_EQ(netns_open(names[0]), -1);
    for (int i = 0; i < 2; i++) {
        close(nsfds[i]);
        close(log.tap_fd[i]);
    }
    if (fail.tap_fd[0] >= 0)
        close(fail.tap_fd[0]);
}

int main(void)
{
    /* Links are made in a namespace of this process alone. */
    CHECK_EQ(unshare(CLONE_NEWNET), 0);
    sock = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK(sock >= 0);
    test_tap_and_batch();
    test_netns();
    close(sock);
    return check_exit();
}

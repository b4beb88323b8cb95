/* test_vnic_spec.c - virtual NIC request arithmetic: address, MAC and name ranges, every
 * rejection of a request, conflicts with existing virtual NICs, and deletion selectors. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "vnic_spec.h"

static struct vnic_request good_request(void)
{
    struct vnic_request r = {.count = 16,
                             .mac = {0x02, 0x00, 0x00, 0x00, 0x01, 0x00},
                             .ip = (10u << 24) | (1u << 8) | 1,
                             .prefix = 16};
    strcpy(r.name_prefix, "vnic");
    return r;
}

static int check_request(const struct vnic_request *r, const char *want_in_err)
{
    char err[256] = "";
    int rc = vnic_request_check(r, err, sizeof err);
    if (want_in_err && !strstr(err, want_in_err))
        fprintf(stderr, "error '%s' lacks '%s'\n", err, want_in_err);
    CHECK(!want_in_err || strstr(err, want_in_err));
    return rc;
}

static void test_parse_ipv4(void)
{
    uint32_t ip = 0;
    unsigned prefix = 0;
    CHECK(vnic_parse_ipv4_prefix("10.0.0.1/16", &ip, &prefix));
    CHECK_EQ(ip, 0x0a000001u);
    CHECK_EQ(prefix, 16);
    CHECK(vnic_parse_ipv4_prefix("255.255.255.255/32", &ip, &prefix));
    CHECK_EQ(ip, 0xffffffffu);
    CHECK(vnic_parse_ipv4_prefix("0.0.0.0/0", &ip, &prefix));
    const char *bad[] = {"",
                         "10.0.0.1",
                         "10.0.0.1/",
                         "10.0.0.1/33",
                         "256.0.0.1/8",
                         "10.0.0/8",
                         "10.0.0.01/8",
                         "10.0.0.1/08",
                         " 10.0.0.1/8",
                         "10.0.0.1/8 ",
                         "a.b.c.d/8",
                         "10.0.0.1.5/8",
                         "10..0.1/8",
                         "10.0.0.1/1/2",
                         "-1.0.0.1/8",
                         "1000.0.0.1/8",
                         "10.0.0.1/-1",
                         "10.0.0.1/+8"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bool ok = vnic_parse_ipv4_prefix(bad[i], &ip, &prefix);
        if (ok)
            fprintf(stderr, "accepted '%s'\n", bad[i]);
        CHECK(!ok);
    }
    char buf[16];
    vnic_format_ipv4(0xc0a80a01u, buf);
    CHECK_STR(buf, "192.168.10.1");
}

static void test_mac_arithmetic(void)
{
    uint8_t mac[6] = {0x02, 0x12, 0x34, 0x56, 0x78, 0xff}, back[6];
    CHECK_EQ(vnic_mac_to_u64(mac), 0x0212345678ffull);
    vnic_mac_from_u64(vnic_mac_to_u64(mac) + 1, back);
    uint8_t want[6] = {0x02, 0x12, 0x34, 0x56, 0x79, 0x00};
    CHECK(memcmp(back, want, 6) == 0);
}

static void test_request_accepts(void)
{
    struct vnic_request r = good_request();
    CHECK_EQ(check_request(&r, NULL), 0);
    r.count = VNIC_MAX;
    CHECK_EQ(check_request(&r, NULL), 0);
    /* /31: both addresses are hosts; /32: exactly one. */
    r = good_request();
    r.ip = 0x0a000000u;
    r.prefix = 31;
    r.count = 2;
    CHECK_EQ(check_request(&r, NULL), 0);
    r.prefix = 32;
    r.count = 1;
    CHECK_EQ(check_request(&r, NULL), 0);
    /* The last host below the broadcast address is fine. */
    r = good_request();
    r.ip = 0x0a0000f0u;
    r.prefix = 24;
    r.count = 15;
    CHECK_EQ(check_request(&r, NULL), 0);
    /* A range may end at the last MAC of its first octet. */
    r = good_request();
    memcpy(r.mac, (uint8_t[6]){0x02, 0xff, 0xff, 0xff, 0xff, 0xf0}, 6);
    CHECK_EQ(check_request(&r, NULL), 0);
    strcpy(r.netns_prefix, "vns.a-b_");
    CHECK_EQ(check_request(&r, NULL), 0);
}

static void test_request_rejects(void)
{
    struct vnic_request r = good_request();
    r.count = 0;
    CHECK_EQ(check_request(&r, "count 0"), -1);
    r.count = VNIC_MAX + 1;
    CHECK_EQ(check_request(&r, "count"), -1);

    const char *bad_prefixes[] = {"", "1vnic", "vn/ic", "vn ic", "vn.ic", "_x", "abcdefghijklmno"};
    for (size_t i = 0; i < sizeof bad_prefixes / sizeof bad_prefixes[0]; i++) {
        r = good_request();
        strcpy(r.name_prefix, bad_prefixes[i]);
        CHECK_EQ(check_request(&r, "name prefix"), -1);
    }
    r = good_request();
    strcpy(r.name_prefix, "abcdefghijkl"); /* 12 + "15" fits, 12 + "1023" does not */
    CHECK_EQ(check_request(&r, NULL), 0);
    r.count = 1024;
    CHECK_EQ(check_request(&r, "longer than 15"), -1);
    r = good_request();
    r.first = 99999990; /* names past 8 digits */
    CHECK_EQ(check_request(&r, "longer than"), -1);
    r.first = 0xfffffff8u; /* the last number wraps */
    CHECK_EQ(check_request(&r, "longer than"), -1);

    const char *bad_ns[] = {"ns/x", "1ns", "n s", "..", ".x"};
    for (size_t i = 0; i < sizeof bad_ns / sizeof bad_ns[0]; i++) {
        r = good_request();
        strcpy(r.netns_prefix, bad_ns[i]);
        CHECK_EQ(check_request(&r, "namespace prefix"), -1);
    }
    r = good_request();
    memset(r.netns_prefix, 'n', 63);
    r.netns_prefix[63] = '\0';
    CHECK_EQ(check_request(&r, "namespace name"), -1);

    r = good_request();
    memset(r.mac, 0, 6);
    CHECK_EQ(check_request(&r, "all zeros"), -1);
    r.mac[0] = 0x01;
    CHECK_EQ(check_request(&r, "multicast"), -1);
    r = good_request();
    memcpy(r.mac, (uint8_t[6]){0x02, 0xff, 0xff, 0xff, 0xff, 0xff}, 6);
    CHECK_EQ(check_request(&r, "run past"), -1);
    memcpy(r.mac, (uint8_t[6]){0xfe, 0xff, 0xff, 0xff, 0xff, 0xff}, 6);
    CHECK_EQ(check_request(&r, "run past"), -1);

    r = good_request();
    r.ip = 0x0a0000fau; /* 10.0.0.250/24, 16 addresses */
    r.prefix = 24;
    CHECK_EQ(check_request(&r, "do not fit"), -1);
    r.count = 6; /* 250..255 */
    CHECK_EQ(check_request(&r, "broadcast"), -1);
    r.ip = 0x0a000000u;
    r.count = 1;
    CHECK_EQ(check_request(&r, "network address"), -1);
    r.prefix = 32;
    r.ip = 0x0a000005u;
    r.count = 2;
    CHECK_EQ(check_request(&r, "do not fit"), -1);
    r.prefix = 33;
    r.count = 1;
    CHECK_EQ(check_request(&r, "prefix length"), -1);
    r = good_request();
    r.ip = 0x7f000001u;
    r.prefix = 8;
    CHECK_EQ(check_request(&r, "reserved"), -1);
    r.ip = 0xe0000001u;
    r.prefix = 4;
    CHECK_EQ(check_request(&r, "reserved"), -1);
    r.ip = 0x00000001u;
    r.prefix = 8;
    CHECK_EQ(check_request(&r, "reserved"), -1);
    r.ip = 0x7efffff8u; /* 126.255.255.248/7 runs into 127/8 */
    r.prefix = 7;
    CHECK_EQ(check_request(&r, "reserved"), -1);
    r.ip = 0xfffffff0u;
    r.prefix = 0;
    r.count = 100; /* runs past 255.255.255.255 */
    CHECK_EQ(check_request(&r, NULL), -1);
}

static void make_entry(struct vnic_entry *e, const char *name, const char *netns, uint8_t last,
                       uint32_t ip)
{
    memset(e, 0, sizeof *e);
    strcpy(e->name, name);
    strcpy(e->netns, netns);
    memcpy(e->mac, (uint8_t[6]){0x02, 0, 0, 0, 0x01, last}, 6);
    e->ip = ip;
    e->prefix = 16;
}

static void test_conflicts(void)
{
    struct vnic_entry ex[4];
    make_entry(&ex[0], "vnic0", "", 0x80, 0x0a000280u);
    make_entry(&ex[1], "vnic7", "", 0x81, 0x0a000281u);
    make_entry(&ex[2], "vnic10", "vns10", 0x82, 0x0a000282u);
    make_entry(&ex[3], "other3", "", 0x83, 0x0a000283u);
    char err[256];
    CHECK_EQ(vnic_first_number("vnic", "", ex, 4), 11);
    CHECK_EQ(vnic_first_number("vnic1", "", ex, 4), 1); /* vnic10 is vnic1 + "0" */
    CHECK_EQ(vnic_first_number("fresh", "", ex, 4), 0);
    CHECK_EQ(vnic_first_number("other", "", ex, 4), 4);
    /* A new name prefix in used namespaces continues their numbering. */
    CHECK_EQ(vnic_first_number("fresh", "vns", ex, 4), 11);
    CHECK_EQ(vnic_first_number("fresh", "other", ex, 4), 0);
    CHECK_EQ(vnic_first_number("fresh", NULL, ex, 4), 0);

    struct vnic_request r = good_request(); /* MACs ..:01:00-0f, IPs 10.0.1.1-16 */
    r.first = 11;
    CHECK_EQ(vnic_request_conflicts(&r, ex, 4, err, sizeof err), 0);

    r.mac[5] = 0x7f; /* 0x7f..0x8e covers 0x80 */
    CHECK_EQ(vnic_request_conflicts(&r, ex, 4, err, sizeof err), -1);
    CHECK(strstr(err, "MAC 02:00:00:00:01:80 of vnic0") != NULL);

    r = good_request();
    r.first = 11;
    r.ip = 0x0a000283u; /* covers other3's address */
    CHECK_EQ(vnic_request_conflicts(&r, ex, 4, err, sizeof err), -1);
    CHECK(strstr(err, "10.0.2.131 of other3") != NULL);

    r = good_request();
    r.first = 5; /* vnic5..vnic20 covers vnic7 */
    CHECK_EQ(vnic_request_conflicts(&r, ex, 4, err, sizeof err), -1);
    CHECK(strstr(err, "vnic7 exists") != NULL);
    r.first = 0;
    strcpy(r.name_prefix, "vnic1"); /* vnic10 is "vnic1" number 0 */
    CHECK_EQ(vnic_request_conflicts(&r, ex, 4, err, sizeof err), -1);
    CHECK(strstr(err, "vnic10 exists") != NULL);

    r = good_request();
    strcpy(r.name_prefix, "fresh");
    strcpy(r.netns_prefix, "vns");
    r.first = 3; /* vns3..vns18 covers vns10 */
    CHECK_EQ(vnic_request_conflicts(&r, ex, 4, err, sizeof err), -1);
    CHECK(strstr(err, "namespace vns10") != NULL);
    r.first = 11;
    CHECK_EQ(vnic_request_conflicts(&r, ex, 4, err, sizeof err), 0);

    r = good_request();
    r.first = 11;
    r.count = VNIC_MAX - 3;
    CHECK_EQ(vnic_request_conflicts(&r, ex, 4, err, sizeof err), -1);
    CHECK(strstr(err, "limit") != NULL);
    r.count = VNIC_MAX - 4;
    strcpy(r.name_prefix, "x");
    r.ip = 0x0b000001u;
    r.mac[1] = 0x77;
    CHECK_EQ(vnic_request_conflicts(&r, ex, 4, err, sizeof err), 0);
}

static void test_entries(void)
{
    struct vnic_request r = good_request();
    memcpy(r.mac, (uint8_t[6]){0x02, 0, 0, 0, 0x01, 0xfe}, 6);
    r.ip = 0x0a0001ffu;
    r.first = 9;
    strcpy(r.netns_prefix, "ns-");
    r.ipv6 = true;
    struct vnic_entry e;
    vnic_request_entry(&r, 2, &e);
    CHECK_STR(e.name, "vnic11");
    CHECK_STR(e.netns, "ns-11");
    CHECK(memcmp(e.mac, (uint8_t[6]){0x02, 0, 0, 0, 0x02, 0x00}, 6) == 0);
    CHECK_EQ(e.ip, 0x0a000201u);
    CHECK_EQ(e.prefix, 16);
    CHECK(e.ipv6);
    char err[256];
    CHECK_EQ(vnic_entry_check(&e, err, sizeof err), 0);
    r.netns_prefix[0] = '\0';
    vnic_request_entry(&r, 0, &e);
    CHECK_STR(e.netns, "");

    struct vnic_entry bad = e;
    strcpy(bad.name, "");
    CHECK_EQ(vnic_entry_check(&bad, err, sizeof err), -1);
    bad = e;
    strcpy(bad.name, "a/b");
    CHECK_EQ(vnic_entry_check(&bad, err, sizeof err), -1);
    bad = e;
    memset(bad.name, 'a', sizeof bad.name); /* not terminated */
    CHECK_EQ(vnic_entry_check(&bad, err, sizeof err), -1);
    bad = e;
    strcpy(bad.netns, "x/../y");
    CHECK_EQ(vnic_entry_check(&bad, err, sizeof err), -1);
    bad = e;
    memset(bad.netns, 'n', sizeof bad.netns);
    CHECK_EQ(vnic_entry_check(&bad, err, sizeof err), -1);
    bad = e;
    bad.mac[0] = 0x03;
    CHECK_EQ(vnic_entry_check(&bad, err, sizeof err), -1);
    CHECK(strstr(err, "multicast") != NULL);
    bad = e;
    bad.prefix = 40;
    CHECK_EQ(vnic_entry_check(&bad, err, sizeof err), -1);
    bad = e;
    bad.ip = 0x0a000000u;
    CHECK_EQ(vnic_entry_check(&bad, err, sizeof err), -1);
    bad = e;
    bad.ip = 0x7f000001u;
    CHECK_EQ(vnic_entry_check(&bad, err, sizeof err), -1);
}

static void test_selectors(void)
{
    struct vnic_selector s;
    char err[256];
    CHECK_EQ(vnic_selector_parse("vnic7", &s, err, sizeof err), 0);
    CHECK(!s.range);
    CHECK(vnic_selector_match(&s, "vnic7"));
    CHECK(!vnic_selector_match(&s, "vnic70"));
    CHECK_EQ(vnic_selector_parse("vnic3..vnic12", &s, err, sizeof err), 0);
    CHECK(s.range);
    CHECK_STR(s.prefix, "vnic");
    CHECK_EQ(s.lo, 3);
    CHECK_EQ(s.hi, 12);
    CHECK(vnic_selector_match(&s, "vnic3"));
    CHECK(vnic_selector_match(&s, "vnic12"));
    CHECK(!vnic_selector_match(&s, "vnic13"));
    CHECK(!vnic_selector_match(&s, "vnic2"));
    CHECK(!vnic_selector_match(&s, "vnic05"));
    CHECK(!vnic_selector_match(&s, "vnicx5"));
    CHECK_EQ(vnic_selector_parse("v0..v0", &s, err, sizeof err), 0);
    CHECK(vnic_selector_match(&s, "v0"));
    CHECK_EQ(vnic_selector_parse("vnic010..vnic012", &s, err, sizeof err), 0);
    CHECK_STR(s.prefix, "vnic0");

    const char *bad[] = {"",
                         "vnic9..vnic3",
                         "vnic3..vn4",
                         "..",
                         "vnic..vnic3",
                         "3..5",
                         "vnic3..",
                         "bad/name",
                         "a234567890123456",
                         "vnic1..vnic2..vnic3",
                         "vnic3..vnic999999999",
                         "1abc"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = vnic_selector_parse(bad[i], &s, err, sizeof err);
        if (rc == 0)
            fprintf(stderr, "accepted selector '%s'\n", bad[i]);
        CHECK_EQ(rc, -1);
    }
    unsigned n;
    CHECK(vnic_name_number("vnic42", "vnic", &n) && n == 42);
    CHECK(!vnic_name_number("vnic042", "vnic", &n));
    CHECK(!vnic_name_number("vnic", "vnic", &n));
    CHECK(!vnic_name_number("vni42", "vnic", &n));
}

int main(void)
{
    test_parse_ipv4();
    test_mac_arithmetic();
    test_request_accepts();
    test_request_rejects();
    test_conflicts();
    test_entries();
    test_selectors();
    return check_exit();
}

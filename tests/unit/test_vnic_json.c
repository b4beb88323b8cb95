/* test_vnic_json.c - virtual NIC control parameters, stored records and sluicectl arguments:
 * what is accepted, and every rejection. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "vnic_json.h"

static struct json *parse(const char *text)
{
    char err[128];
    struct json *j = json_parse(text, strlen(text), err, sizeof err);
    if (!j)
        fprintf(stderr, "test input does not parse: %s: %s\n", text, err);
    return j;
}

/* Parses `params` as vnic.add parameters; returns the result and checks that a rejection's
 * message contains `want`. */
static int add_params(const char *params, struct vnic_request *r, const char *want)
{
    struct json *j = parse(params);
    char err[256] = "";
    int rc = vnic_request_from_json(j, r, err, sizeof err);
    if (want && !strstr(err, want))
        fprintf(stderr, "'%s': error '%s' lacks '%s'\n", params, err, want);
    CHECK(!want || strstr(err, want) != NULL);
    json_free(j);
    return rc;
}

static void test_add_params(void)
{
    struct vnic_request r;
    CHECK_EQ(
        add_params("{\"count\":3,\"mac\":\"02:00:00:00:00:10\",\"ip\":\"10.1.0.1/16\"}", &r, NULL),
        0);
    CHECK_EQ(r.count, 3);
    CHECK_EQ(r.mac[5], 0x10);
    CHECK_EQ(r.ip, 0x0a010001u);
    CHECK_EQ(r.prefix, 16);
    CHECK_STR(r.name_prefix, "vnic");
    CHECK_STR(r.netns_prefix, "");
    CHECK(!r.ipv6);
    CHECK_EQ(add_params("{\"count\":1,\"mac\":\"02:AB:cd:00:00:10\",\"ip\":\"10.1.0.1/16\","
                        "\"name\":\"v\",\"netns\":\"ns-\",\"ipv6\":true}",
                        &r, NULL),
             0);
    CHECK_STR(r.name_prefix, "v");
    CHECK_STR(r.netns_prefix, "ns-");
    CHECK(r.ipv6);
    CHECK_EQ(r.mac[1], 0xab);

    const char *mac = "\"mac\":\"02:00:00:00:00:10\"", *ip = "\"ip\":\"10.1.0.1/16\"";
    char buf[512];
    struct {
        const char *fmt, *want;
    } bad[] = {
        {"[]", "object"},
        {"{\"mac\":\"02:00:00:00:00:10\",\"ip\":\"10.1.0.1/16\"}", "missing 'count'"},
        {"{\"count\":0,%s,%s}", "whole number"},
        {"{\"count\":4097,%s,%s}", "whole number"},
        {"{\"count\":1.5,%s,%s}", "whole number"},
        {"{\"count\":\"3\",%s,%s}", "whole number"},
        {"{\"count\":-1,%s,%s}", "whole number"},
        {"{\"count\":3,%s}", "missing 'ip'"},
        {"{\"count\":3,\"ip\":\"10.1.0.1/16\"}", "missing 'mac'"},
        {"{\"count\":3,\"mac\":5,%s}", "'mac' must be a string"},
        {"{\"count\":3,\"mac\":\"02:00:00:00:00\",%s}", "MAC like"},
        {"{\"count\":3,\"mac\":\"02:00:00:00:00:1g\",%s}", "MAC like"},
        {"{\"count\":3,\"mac\":\" 2:00:00:00:00:10\",%s}", "MAC like"},
        {"{\"count\":3,\"mac\":\"02-00-00-00-00-10\",%s}", "MAC like"},
        {"{\"count\":3,\"mac\":\"02:00:00:00:00:10:\",%s}", "'mac' is longer"},
        {"{\"count\":3,%s,\"ip\":\"10.1.0.1\"}", "IPv4 address with a prefix"},
        {"{\"count\":3,%s,\"ip\":\"10.1.0.1/16/2\"}", "IPv4 address with a prefix"},
        {"{\"count\":3,%s,\"ip\":\"100.100.100.100/32x\"}", "'ip' is longer"},
        {"{\"count\":3,%s,\"ip\":[]}", "'ip' must be a string"},
        {"{\"count\":3,%s,%s,\"name\":7}", "'name' must be a string"},
        {"{\"count\":3,%s,%s,\"name\":\"abcdefghijklmnop\"}", "'name' is longer"},
        {"{\"count\":3,%s,%s,\"netns\":null}", "'netns' must be a string"},
        {"{\"count\":3,%s,%s,\"ipv6\":1}", "true or false"},
        {"{\"count\":3,%s,%s,\"colour\":\"red\"}", "unknown parameter 'colour'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        /* The fixed fields fill the %s holes in order (MAC before address). */
        bool has_mac = strstr(bad[i].fmt, "\"mac\"") != NULL;
        bool has_ip = strstr(bad[i].fmt, "\"ip\"") != NULL;
        if (has_mac && !has_ip)
            snprintf(buf, sizeof buf, bad[i].fmt, ip);
        else if (!has_mac && has_ip)
            snprintf(buf, sizeof buf, bad[i].fmt, mac);
        else
            snprintf(buf, sizeof buf, bad[i].fmt, mac, ip);
        CHECK_EQ(add_params(buf, &r, bad[i].want), -1);
    }
}

static void test_entries(void)
{
    struct vnic_entry e = {.name = "vnic7",
                           .netns = "ns7",
                           .mac = {2, 0, 0, 0, 0, 7},
                           .ip = 0x0a000008u,
                           .prefix = 24,
                           .ipv6 = true};
    struct jw w;
    jw_init(&w);
    jw_obj_begin(&w);
    vnic_entry_write(&w, &e);
    jw_obj_end(&w);
    CHECK_STR(jw_text(&w),
              "{\"name\":\"vnic7\",\"mac\":\"02:00:00:00:00:07\",\"ip\":\"10.0.0.8/24\","
              "\"netns\":\"ns7\",\"ipv6\":true}");
    struct json *j = parse(jw_text(&w));
    struct vnic_entry back;
    char err[256];
    CHECK_EQ(vnic_entry_from_json(j, &back, err, sizeof err), 0);
    CHECK_STR(back.name, e.name);
    CHECK_STR(back.netns, e.netns);
    CHECK(memcmp(back.mac, e.mac, 6) == 0);
    CHECK_EQ(back.ip, e.ip);
    CHECK_EQ(back.prefix, e.prefix);
    CHECK_EQ(back.ipv6, e.ipv6);
    json_free(j);
    jw_free(&w);

    const char *bad[] = {
        "{\"mac\":\"02:00:00:00:00:07\",\"ip\":\"10.0.0.8/24\"}",
        "{\"name\":\"vnic7\",\"ip\":\"10.0.0.8/24\"}",
        "{\"name\":\"vnic7\",\"mac\":\"02:00:00:00:00:07\"}",
        "{\"name\":\"vn/c7\",\"mac\":\"02:00:00:00:00:07\",\"ip\":\"10.0.0.8/24\"}",
        "{\"name\":\"vnic7\",\"mac\":\"03:00:00:00:00:07\",\"ip\":\"10.0.0.8/24\"}",
        "{\"name\":\"vnic7\",\"mac\":\"02:00:00:00:00:07\",\"ip\":\"10.0.0.0/24\"}",
        "{\"name\":\"vnic7\",\"mac\":\"02:00:00:00:00:07\",\"ip\":\"127.0.0.8/8\"}",
        "{\"name\":\"vnic7\",\"mac\":\"02:00:00:00:00:07\",\"ip\":\"10.0.0.8/24\",\"netns\":\"../"
        "x\"}",
        "{\"name\":\"vnic7\",\"mac\":\"02:00:00:00:00:07\",\"ip\":\"10.0.0.8/24\",\"extra\":1}",
        "{\"name\":\"vnic7\",\"mac\":\"02:00:00:00:00:07\",\"ip\":\"10.0.0.8/24\",\"ipv6\":\"no\"}",
        "[1,2]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        j = parse(bad[i]);
        int rc = vnic_entry_from_json(j, &back, err, sizeof err);
        if (rc == 0)
            fprintf(stderr, "accepted record %s\n", bad[i]);
        CHECK_EQ(rc, -1);
        json_free(j);
    }
}

static int del_params(const char *text, unsigned *nsel, bool *all)
{
    struct vnic_selector sel[4];
    char err[256];
    struct json *j = parse(text);
    int rc = vnic_del_from_json(j, sel, 4, nsel, all, err, sizeof err);
    json_free(j);
    return rc;
}

static void test_del_params(void)
{
    unsigned n;
    bool all;
    CHECK_EQ(del_params("{\"all\":true}", &n, &all), 0);
    CHECK(all);
    CHECK_EQ(n, 0);
    CHECK_EQ(del_params("{\"select\":[\"vnic1\",\"vnic3..vnic5\"]}", &n, &all), 0);
    CHECK(!all);
    CHECK_EQ(n, 2);
    const char *bad[] = {
        "{}",
        "{\"all\":false}",
        "{\"all\":true,\"select\":[\"vnic1\"]}",
        "{\"all\":1}",
        "{\"select\":[]}",
        "{\"select\":\"vnic1\"}",
        "{\"select\":[1]}",
        "{\"select\":[\"vnic5..vnic3\"]}",
        "{\"select\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}",
        "{\"select\":[\"vnic1\"],\"force\":true}",
        "3",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = del_params(bad[i], &n, &all);
        if (rc == 0)
            fprintf(stderr, "accepted %s\n", bad[i]);
        CHECK_EQ(rc, -1);
    }
}

static int args(int (*fn)(int, char **, struct jw *, char *, size_t), const char *line, char *out,
                size_t outlen, const char *want_err)
{
    char copy[512], *argv[32];
    int argc = 0;
    snprintf(copy, sizeof copy, "%s", line);
    for (char *t = strtok(copy, " "); t && argc < 32; t = strtok(NULL, " "))
        argv[argc++] = t;
    struct jw w;
    char err[256] = "";
    jw_init(&w);
    int rc = fn(argc, argv, &w, err, sizeof err);
    if (rc == 0)
        snprintf(out, outlen, "%s", jw_text(&w));
    if (want_err && !strstr(err, want_err))
        fprintf(stderr, "'%s': error '%s' lacks '%s'\n", line, err, want_err);
    CHECK(!want_err || strstr(err, want_err) != NULL);
    jw_free(&w);
    return rc;
}

static void test_ctl_args(void)
{
    char out[512];
    CHECK_EQ(args(vnic_add_args_to_json,
                  "vnic-add --count 4 --mac 02:00:00:00:00:01 --ip 10.0.0.1/24", out, sizeof out,
                  NULL),
             0);
    CHECK_STR(out, "{\"count\":4,\"mac\":\"02:00:00:00:00:01\",\"ip\":\"10.0.0.1/24\"}");
    CHECK_EQ(args(vnic_add_args_to_json,
                  "vnic-add --ip=10.0.0.1/24 --count=4 --netns n- --mac 02:00:00:00:00:01 "
                  "--name v --ipv6",
                  out, sizeof out, NULL),
             0);
    CHECK_STR(out, "{\"count\":4,\"mac\":\"02:00:00:00:00:01\",\"ip\":\"10.0.0.1/24\","
                   "\"netns\":\"n-\",\"name\":\"v\",\"ipv6\":true}");
    struct {
        const char *line, *want;
    } bad[] = {
        {"vnic-add", "--count is required"},
        {"vnic-add --count 4 --mac 02:00:00:00:00:01", "--ip is required"},
        {"vnic-add --count 4 --ip 10.0.0.1/24", "--mac is required"},
        {"vnic-add --count four --mac 02:00:00:00:00:01 --ip 10.0.0.1/24", "not a number"},
        {"vnic-add --count -4 --mac 02:00:00:00:00:01 --ip 10.0.0.1/24", "not a number"},
        {"vnic-add --count 9999999999 --mac 02:00:00:00:00:01 --ip 10.0.0.1/24", "not a number"},
        {"vnic-add --count= --mac 02:00:00:00:00:01 --ip 10.0.0.1/24", "not a number"},
        {"vnic-add --count 4 --count 5 --mac 02:00:00:00:00:01 --ip 10.0.0.1/24", "twice"},
        {"vnic-add --count 4 --mac 02:00:00:00:00:01 --ip", "--ip needs a value"},
        {"vnic-add --count 4 --mac 02:00:00:00:00:01 --ip 10.0.0.1/24 extra", "unknown argument"},
        {"vnic-add --count 4 --macs 02:00:00:00:00:01 --ip 10.0.0.1/24", "unknown argument"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_EQ(args(vnic_add_args_to_json, bad[i].line, out, sizeof out, bad[i].want), -1);

    CHECK_EQ(args(vnic_del_args_to_json, "vnic-del vnic1 vnic3..vnic5", out, sizeof out, NULL), 0);
    CHECK_STR(out, "{\"select\":[\"vnic1\",\"vnic3..vnic5\"]}");
    CHECK_EQ(args(vnic_del_args_to_json, "vnic-del --all", out, sizeof out, NULL), 0);
    CHECK_STR(out, "{\"all\":true}");
    CHECK_EQ(args(vnic_del_args_to_json, "vnic-del", out, sizeof out, "--all"), -1);
    CHECK_EQ(args(vnic_del_args_to_json, "vnic-del --all vnic1", out, sizeof out, "--all"), -1);
    CHECK_EQ(args(vnic_del_args_to_json, "vnic-del --force", out, sizeof out, "unknown"), -1);
}

int main(void)
{
    test_add_params();
    test_entries();
    test_del_params();
    test_ctl_args();
    return check_exit();
}

/* test_ofparse.c - ovs-ofctl syntax: every field and action parsed and formatted as Open vSwitch
 * 3.1's ovs-ofctl dump-flows prints it (expected strings taken from a real switch), round trips,
 * dump-flows lines, port names, command-specific rules, and error messages naming the token. */
#include <stdlib.h>

#include "check.h"
#include "flowkey.h"
#include "ofparse.h"

static const uint64_t SEC = 1000000000ull;

/* What dump-flows prints after the statistics: "MATCH actions=ACTIONS". */
static void format_rule_text(const struct flow_mod *fm, char *out, size_t size)
{
    char match[OFP_LINE_MAX], acts[OFP_LINE_MAX];
    ofp_format_match(&fm->value, &fm->mask, fm->priority, match, sizeof(match));
    ofp_format_actions(fm->actions, acts, sizeof(acts));
    snprintf(out, size, "%s%sactions=%s", match, match[0] ? " " : "", acts);
}

/* Parses `in` as add-flow, formats, compares with `want`, then parses the output again and
 * checks it is the same flow. */
static void round_trip(const char *in, const char *want)
{
    struct flow_mod fm, fm2;
    char err[256] = "", out[3 * OFP_LINE_MAX], out2[3 * OFP_LINE_MAX];
    int r = ofp_parse_flow(in, FLOW_CMD_ADD, NULL, &fm, err, sizeof(err));
    if (r != 0) {
        fprintf(stderr, "parse failed for \"%s\": %s\n", in, err);
        CHECK(r == 0);
        flow_mod_release(&fm);
        return;
    }
    format_rule_text(&fm, out, sizeof(out));
    CHECK_STR(out, want);
    /* The dump text (with a comma before actions) parses back to the same flow. */
    char again[3 * OFP_LINE_MAX];
    snprintf(again, sizeof(again), "%s", out);
    CHECK_EQ(ofp_parse_flow(again, FLOW_CMD_ADD, NULL, &fm2, err, sizeof(err)), 0);
    format_rule_text(&fm2, out2, sizeof(out2));
    CHECK_STR(out2, out);
    CHECK(flowkey_equal(&fm.value, &fm2.value));
    CHECK(flowkey_equal(&fm.mask, &fm2.mask));
    CHECK_EQ(fm.priority, fm2.priority);
    CHECK(flow_actions_equal(fm.actions, fm2.actions));
    flow_mod_release(&fm);
    flow_mod_release(&fm2);
}

static void test_ovs_formats(void)
{
    static const char *const cases[][2] = {
        {"priority=100,ip,nw_dst=10.0.0.1,actions=output:2",
         "priority=100,ip,nw_dst=10.0.0.1 actions=output:2"},
        {"in_port=1,actions=drop", "in_port=1 actions=drop"},
        {"cookie=0x12,idle_timeout=10,hard_timeout=20,priority=5,tcp,dl_src=00:11:22:33:44:55,"
         "dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,dl_vlan=10,dl_vlan_pcp=3,nw_src=10.0.0.0/8,"
         "nw_dst=1.2.3.0/255.255.255.0,nw_tos=8,nw_ttl=64,tp_src=80,tp_dst=0x1000/0xf000,"
         "tcp_flags=+syn-ack,actions=mod_vlan_vid:5,mod_vlan_pcp:2,strip_vlan,"
         "mod_dl_src:00:00:00:00:00:01,mod_dl_dst:00:00:00:00:00:02,mod_nw_src:1.1.1.1,"
         "mod_nw_dst:2.2.2.2,mod_nw_tos:16,mod_tp_src:1,mod_tp_dst:2,dec_ttl,output:3,in_port,"
         "normal,flood,all",
         "priority=5,tcp,dl_vlan=10,dl_vlan_pcp=3,dl_src=00:11:22:33:44:55,"
         "dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,nw_src=10.0.0.0/8,nw_dst=1.2.3.0/24,"
         "nw_tos=8,nw_ttl=64,tp_src=80,tp_dst=0x1000/0xf000,tcp_flags=+syn-ack "
         "actions=mod_vlan_vid:5,mod_vlan_pcp:2,strip_vlan,mod_dl_src:00:00:00:00:00:01,"
         "mod_dl_dst:00:00:00:00:00:02,mod_nw_src:1.1.1.1,mod_nw_dst:2.2.2.2,mod_nw_tos:16,"
         "mod_tp_src:1,mod_tp_dst:2,dec_ttl,output:3,IN_PORT,NORMAL,FLOOD,ALL"},
        {"priority=7,udp6,ipv6_src=2001:db8::/32,ipv6_dst=::1,ipv6_label=0x12345,tp_dst=53,"
         "actions=output:1",
         "priority=7,udp6,ipv6_src=2001:db8::/32,ipv6_dst=::1,ipv6_label=0x12345,tp_dst=53 "
         "actions=output:1"},
        {"priority=8,arp,arp_op=1,arp_spa=10.0.0.1,arp_tpa=10.0.0.0/24,actions=flood",
         "priority=8,arp,arp_spa=10.0.0.1,arp_tpa=10.0.0.0/24,arp_op=1 actions=FLOOD"},
        {"priority=9,icmp,icmp_type=8,icmp_code=0,ip_dscp=46,actions=all",
         "priority=9,icmp,nw_tos=184,icmp_type=8,icmp_code=0 actions=ALL"},
        {"priority=10,icmp6,icmp_type=135,actions=all",
         "priority=10,icmp6,icmp_type=135 actions=ALL"},
        {"priority=11,dl_vlan=0xffff,actions=all", "priority=11,vlan_tci=0x0000 actions=ALL"},
        {"priority=12,ipv6,nw_proto=58,nw_tos=0x20,actions=all",
         "priority=12,icmp6,nw_tos=32 actions=ALL"},
        {"priority=13,tcp6,tp_src=0x10/0xfff0,actions=all",
         "priority=13,tcp6,tp_src=0x10/0xfff0 actions=ALL"},
        {"priority=32768,dl_type=0x88cc,actions=all", "dl_type=0x88cc actions=ALL"},
        {"priority=14,ip,nw_src=10.1.0.0/255.255.0.255,nw_ttl=3,actions=output:1",
         "priority=14,ip,nw_src=10.1.0.0/255.255.0.255,nw_ttl=3 actions=output:1"},
        {"priority=15,tcp,tcp_flags=0x002/0x012,actions=output:1",
         "priority=15,tcp,tcp_flags=+syn-ack actions=output:1"},
        {"priority=16,dl_vlan=7,dl_vlan_pcp=5,actions=output:1",
         "priority=16,dl_vlan=7,dl_vlan_pcp=5 actions=output:1"},
        {"priority=17,dl_vlan_pcp=5,actions=output:1",
         "priority=17,dl_vlan_pcp=5 actions=output:1"},
        {"priority=18,udp,tp_src=1,tp_dst=2,actions=output:1",
         "priority=18,udp,tp_src=1,tp_dst=2 actions=output:1"},
        {"priority=19,ipv6,ipv6_src=2001:db8::1/ffff:ffff::,actions=output:1",
         "priority=19,ipv6,ipv6_src=2001:db8::/32 actions=output:1"},
        {"priority=20,arp,nw_proto=2,actions=output:1",
         "priority=20,arp,arp_op=2 actions=output:1"},
        {"priority=21,icmp6,icmp_code=3,actions=output:1",
         "priority=21,icmp6,icmp_code=3 actions=output:1"},
        {"priority=22,ip,nw_proto=6,actions=output:1", "priority=22,tcp actions=output:1"},
        {"priority=23,ip,nw_proto=17,tp_src=5,actions=output:1",
         "priority=23,udp,tp_src=5 actions=output:1"},
        {"priority=24,dl_type=0x800,nw_proto=1,actions=output:1",
         "priority=24,icmp actions=output:1"},
        {"priority=25,dl_src=00:00:00:00:00:01/ff:ff:ff:ff:ff:ff,dl_dst=ff:ff:ff:ff:ff:ff,"
         "actions=output:1",
         "priority=25,dl_src=00:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff actions=output:1"},
        {"priority=26,dl_vlan=0,actions=output:1", "priority=26,dl_vlan=0 actions=output:1"},
        {"priority=30,tcp,tcp_flags=0x002,actions=output:1",
         "priority=30,tcp,tcp_flags=syn actions=output:1"},
        {"priority=31,tcp,tcp_flags=0x012/0x0ff,actions=output:1",
         "priority=31,tcp,tcp_flags=-fin+syn-rst-psh+ack-urg-ece-cwr actions=output:1"},
        {"priority=32,tcp,tcp_flags=syn,actions=output:1",
         "priority=32,tcp,tcp_flags=syn actions=output:1"},
        {"priority=33,ipv6,ipv6_src=2001:db8::1/ffff:0:ffff::,actions=output:1",
         "priority=33,ipv6,ipv6_src=2001::/ffff:0:ffff:: actions=output:1"},
        {"priority=34,ipv6,ipv6_label=0x5/0xf,actions=output:1",
         "priority=34,ipv6,ipv6_label=0x00005/0x0000f actions=output:1"},
        {"priority=35,in_port=3,ip,nw_ecn=1,actions=output:1",
         "priority=35,ip,in_port=3,nw_ecn=1 actions=output:1"},
        {"priority=37,tcp,tp_src=80/0xffff,tp_dst=0/0,actions=output:1",
         "priority=37,tcp,tp_src=80 actions=output:1"},
        {"priority=38,dl_src=00:11:22:33:44:55/ff:ff:ff:00:00:00,actions=output:1",
         "priority=38,dl_src=00:11:22:00:00:00/ff:ff:ff:00:00:00 actions=output:1"},
        {"priority=39,ip,nw_src=0.0.0.0/0,actions=output:1", "priority=39,ip actions=output:1"},
        {"priority=41,vlan_tci=0x1005/0x1fff,actions=output:1",
         "priority=41,dl_vlan=5 actions=output:1"},
        {"priority=42,ip,nw_frag=later,actions=output:1",
         "priority=42,ip,nw_frag=later actions=output:1"},
        {"priority=43,ip,ip_dscp=10,actions=output:1", "priority=43,ip,nw_tos=40 actions=output:1"},
        {"priority=44,tcp,tcp_flags=-syn+ack+fin,actions=output:1",
         "priority=44,tcp,tcp_flags=+fin-syn+ack actions=output:1"},
        {"priority=45,tcp,tcp_flags=+ns+cwr+ece+urg+psh+rst,actions=output:1",
         "priority=45,tcp,tcp_flags=+rst+psh+urg+ece+cwr+ns actions=output:1"},
        {"priority=47,tcp,tcp_flags=0x0000,actions=output:1",
         "priority=47,tcp,tcp_flags=0 actions=output:1"},
        {"priority=65535,actions=output:65279", "priority=65535 actions=output:65279"},
        {"priority=48,actions=output:1,output:2", "priority=48 actions=output:1,output:2"},
        {"priority=49,cookie=0xffffffffffffffff,actions=mod_nw_tos:4",
         "priority=49 actions=mod_nw_tos:4"},
        {"priority=50,cookie=0x1,actions=mod_vlan_vid:4095",
         "priority=50 actions=mod_vlan_vid:4095"},
        {"table=0,priority=51,actions=in_port", "priority=51 actions=IN_PORT"},
        {"priority=3,tcp,tcp_flags=syn|ack,actions=drop",
         "priority=3,tcp,tcp_flags=syn|ack actions=drop"},
        {"priority=6,tcp6,tcp_flags=+fin+syn+rst+psh+ack+urg+ece+cwr+ns,actions=drop",
         "priority=6,tcp6,tcp_flags=+fin+syn+rst+psh+ack+urg+ece+cwr+ns actions=drop"},
        {"priority=2,arp,nw_src=10.0.0.1,nw_dst=10.0.0.2,actions=drop",
         "priority=2,arp,arp_spa=10.0.0.1,arp_tpa=10.0.0.2 actions=drop"},
        {"priority=18,ipv6,ipv6_src=::/0,ipv6_dst=fe80::/10,actions=drop",
         "priority=18,ipv6,ipv6_dst=fe80::/10 actions=drop"},
        {"priority=14,udp,tp_dst=0x35,actions=drop", "priority=14,udp,tp_dst=53 actions=drop"},
        {"priority=22 ip nw_src=1.2.3.4 actions=drop",
         "priority=22,ip,nw_src=1.2.3.4 actions=drop"},
        {"ip,nw_dst=10.0.0.1/255.0.255.0,actions=drop",
         "ip,nw_dst=10.0.0.0/255.0.255.0 actions=drop"},
        {"ip,nw_src=10.0.0.1/255.255.255.0,actions=drop", "ip,nw_src=10.0.0.0/24 actions=drop"},
        {"actions=", "actions=drop"},
        {"actions=output:1,,output:2", "actions=output:1,output:2"},
        {"priority=20,vlan_tci=0x0000/0x1000,actions=drop",
         "priority=20,vlan_tci=0x0000/0x1000 actions=drop"},
        {"priority=32,actions=push_vlan:0x88a8", "priority=32 actions=push_vlan:0x88a8"},
        {"priority=21,dl_vlan=0x10,actions=drop", "priority=21,dl_vlan=16 actions=drop"},
        /* Aliases and forms beyond what dumps print. */
        {"eth_type=0x0806,eth_src=02:00:00:00:00:01,actions=NORMAL",
         "arp,dl_src=02:00:00:00:00:01 actions=NORMAL"},
        {"tcp,tcp_dst=22,actions=2,3", "tcp,tp_dst=22 actions=output:2,output:3"},
        {"udp6,udp_src=53,actions=output:4", "udp6,tp_src=53 actions=output:4"},
        {"icmp,icmpv4_type=3,icmpv4_code=1,actions=drop",
         "icmp,icmp_type=3,icmp_code=1 actions=drop"},
        {"icmp6,icmpv6_type=136,actions=drop", "icmp6,icmp_type=136 actions=drop"},
        {"ip,ip_src=1.2.3.4,ip_dst=5.6.7.8,ip_proto=99,actions=drop",
         "ip,nw_src=1.2.3.4,nw_dst=5.6.7.8,nw_proto=99 actions=drop"},
        {"ip,nw_frag=no,actions=drop", "ip,nw_frag=no actions=drop"},
        {"ip,nw_frag=yes,actions=drop", "ip,nw_frag=yes actions=drop"},
        {"ip,nw_frag=first,actions=drop", "ip,nw_frag=first actions=drop"},
        {"ip,nw_frag=not_later,actions=drop", "ip,nw_frag=not_later actions=drop"},
        {"ipv6,ip_ecn=3,nw_ttl=1,actions=drop", "ipv6,nw_ecn=3,nw_ttl=1 actions=drop"},
        {"sctp,tp_dst=9,actions=drop", "sctp,tp_dst=9 actions=drop"},
        {"ip,nw_proto=2,actions=drop", "ip,nw_proto=2 actions=drop"},
        {"icmp,nw_frag=later,icmp_type=3,actions=drop",
         "icmp,nw_frag=later,icmp_type=3 actions=drop"},
        {"vlan_tci=0x5005,actions=drop", "dl_vlan=5,dl_vlan_pcp=2 actions=drop"},
        {"vlan_tci=0x5005/0xefff,actions=drop", "vlan_tci=0x4005/0xefff actions=drop"},
        {"priority=1,actions=pop_vlan,push_vlan:0x8100,mod_vlan_vid:3,output:1",
         "priority=1 actions=strip_vlan,push_vlan:0x8100,mod_vlan_vid:3,output:1"},
        {"actions=output:normal,output:FLOOD,output:in_port,output:all",
         "actions=NORMAL,FLOOD,IN_PORT,ALL"},
        {"  priority=5 , ip  ,  actions=drop", "priority=5,ip actions=drop"},
        {"dl_type=0x88cc,action=drop", "dl_type=0x88cc actions=drop"},
        {"ipv6,ipv6_dst=2001:db8::1,actions=drop", "ipv6,ipv6_dst=2001:db8::1 actions=drop"},
        {"ipv6,ipv6_src=::1/0::ffff,actions=drop", "ipv6,ipv6_src=::1/::ffff actions=drop"},
        {"dl_vlan=4095,dl_vlan_pcp=7,actions=drop", "dl_vlan=4095,dl_vlan_pcp=7 actions=drop"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        round_trip(cases[i][0], cases[i][1]);
}

/* A dump line can be pasted back as add-flow input. */
static void test_dump_lines(void)
{
    struct flow_table *t = flowtable_create_default(100 * SEC);
    char line[OFP_LINE_MAX];
    const struct flow_rule **rules;
    CHECK_EQ(flowtable_collect(t, NULL, false, FLOW_ORDER_PRIORITY, &rules), 1);
    ofp_format_flow_stats(rules[0], 100 * SEC + 7991000000ull, line, sizeof(line));
    CHECK_STR(line, " cookie=0x0, duration=7.991s, table=0, n_packets=0, n_bytes=0, idle_age=7, "
                    "priority=0 actions=NORMAL");
    ofp_format_flow_stats(rules[0], 102 * SEC, line, sizeof(line));
    CHECK_STR(line, " cookie=0x0, duration=2s, table=0, n_packets=0, n_bytes=0, idle_age=2, "
                    "priority=0 actions=NORMAL");
    free(rules);

    struct flow_mod fm;
    char err[256];
    const char *in = " cookie=0x12, duration=0.063s, table=0, n_packets=0, n_bytes=0, "
                     "idle_timeout=10, hard_timeout=20, idle_age=0, priority=5,tcp,dl_vlan=10,"
                     "nw_dst=1.2.3.0/24,tp_dst=0x1000/0xf000 actions=mod_vlan_vid:5,output:3";
    CHECK_EQ(ofp_parse_flow(in, FLOW_CMD_ADD, NULL, &fm, err, sizeof(err)), 0);
    CHECK_EQ(fm.new_cookie, 0x12);
    CHECK(fm.set_cookie);
    CHECK_EQ(fm.idle_timeout, 10);
    CHECK_EQ(fm.hard_timeout, 20);
    struct flow_edit *e = flowtable_edit_begin(t);
    CHECK_EQ(flowtable_edit_apply(e, &fm, 200 * SEC, err, sizeof(err)), 1);
    flow_mod_release(&fm);
    struct flow_table *t2 = flowtable_edit_commit(e);
    flowtable_free(t);
    t = t2;
    CHECK_EQ(flowtable_collect(t, NULL, false, FLOW_ORDER_PRIORITY, &rules), 2);
    const struct flow_rule *r = rules[0];
    flow_rule_hit(r, 1500, 201 * SEC);
    flow_rule_hit(r, 500, 201 * SEC + SEC / 2);
    ofp_format_flow_stats(r, 203 * SEC + 63000000, line, sizeof(line));
    CHECK_STR(line, " cookie=0x12, duration=3.063s, table=0, n_packets=2, n_bytes=2000, "
                    "idle_timeout=10, hard_timeout=20, idle_age=1, priority=5,tcp,dl_vlan=10,"
                    "nw_dst=1.2.3.0/24,tp_dst=0x1000/0xf000 actions=mod_vlan_vid:5,output:3");
    ofp_format_flow(r, line, sizeof(line));
    CHECK_STR(line, "cookie=0x12,idle_timeout=10,hard_timeout=20,priority=5,tcp,dl_vlan=10,"
                    "nw_dst=1.2.3.0/24,tp_dst=0x1000/0xf000,actions=mod_vlan_vid:5,output:3");
    free(rules);

    /* After mod-flows, hard_age differs from the duration and is shown. */
    CHECK_EQ(ofp_parse_flow("tcp,actions=output:9", FLOW_CMD_MODIFY, NULL, &fm, err, sizeof(err)),
             0);
    e = flowtable_edit_begin(t);
    CHECK_EQ(flowtable_edit_apply(e, &fm, 205 * SEC, err, sizeof(err)), 1);
    flow_mod_release(&fm);
    t2 = flowtable_edit_commit(e);
    flowtable_free(t);
    t = t2;
    flowtable_collect(t, NULL, false, FLOW_ORDER_PRIORITY, &rules);
    ofp_format_flow_stats(rules[0], 206 * SEC, line, sizeof(line));
    CHECK_STR(line, " cookie=0x12, duration=6s, table=0, n_packets=2, n_bytes=2000, "
                    "idle_timeout=10, hard_timeout=20, idle_age=4, hard_age=1, priority=5,tcp,"
                    "dl_vlan=10,nw_dst=1.2.3.0/24,tp_dst=0x1000/0xf000 actions=output:9");
    free(rules);

    /* A catch-all at the default priority has an empty match. */
    CHECK_EQ(ofp_parse_flow("actions=drop", FLOW_CMD_ADD, NULL, &fm, err, sizeof(err)), 0);
    e = flowtable_edit_begin(t);
    flowtable_edit_apply(e, &fm, 300 * SEC, err, sizeof(err));
    flow_mod_release(&fm);
    t2 = flowtable_edit_commit(e);
    flowtable_free(t);
    t = t2;
    flowtable_collect(t, NULL, false, FLOW_ORDER_PRIORITY, &rules);
    ofp_format_flow_stats(rules[0], 300 * SEC, line, sizeof(line));
    CHECK_STR(line, " cookie=0x0, duration=0s, table=0, n_packets=0, n_bytes=0, idle_age=0, "
                    "actions=drop");
    ofp_format_flow(rules[0], line, sizeof(line));
    CHECK_STR(line, "actions=drop");
    /* Truncation reports the full length and stays terminated. */
    char small[10];
    size_t need = ofp_format_flow_stats(rules[0], 300 * SEC, small, sizeof(small));
    CHECK(need > sizeof(small));
    CHECK_EQ(strlen(small), sizeof(small) - 1);
    free(rules);
    flowtable_free(t);
}

/* Each field matches the frame it describes and not a frame that differs in it. */
static void test_fields_against_frames(void)
{
    uint8_t f[128] = {0};
    /* 02:..:02 <- 02:..:01, VLAN 10 PCP 3, IPv4 TOS 0xb9 TTL 64 TCP 10.0.0.1:1234 ->
     * 10.0.0.2:80, flags SYN. */
    const uint8_t hdr[] = {
        2,    0,    0,    0,    0, 2,  2, 0, 0,  0, 0, 1, 0x81, 0, 0x60, 10,   0x08, 0x00,
        0x45, 0xb9, 0,    40,   0, 0,  0, 0, 64, 6, 0, 0, 10,   0, 0,    1,    10,   0,
        0,    2,    0x04, 0xd2, 0, 80, 0, 0, 0,  0, 0, 0, 0,    0, 0x50, 0x02, 0x20, 0};
    memcpy(f, hdr, sizeof(hdr));
    struct flow_key k;
    flowkey_extract(f, 18 + 40, 7, &k, NULL);
    static const char *const hits[] = {
        "in_port=7",
        "dl_src=02:00:00:00:00:01",
        "dl_dst=02:00:00:00:00:00/ff:ff:ff:ff:ff:00",
        "dl_type=0x0800",
        "dl_vlan=10",
        "dl_vlan_pcp=3",
        "vlan_tci=0x7000/0xf000",
        "ip,nw_src=10.0.0.1",
        "ip,nw_dst=10.0.0.0/30",
        "ip,nw_proto=6",
        "ip,nw_tos=184",
        "ip,ip_dscp=46",
        "ip,nw_ecn=1",
        "ip,nw_ttl=64",
        "ip,nw_frag=no",
        "tcp,tp_src=1234",
        "tcp,tp_dst=80",
        "tcp,tp_dst=0x50/0xfff0",
        "tcp,tcp_flags=syn",
        "tcp,tcp_flags=+syn-ack",
        "tcp",
    };
    static const char *const misses[] = {
        "in_port=8",
        "dl_src=02:00:00:00:00:02",
        "dl_type=0x86dd",
        "dl_vlan=11",
        "dl_vlan=0xffff",
        "dl_vlan_pcp=2",
        "ip,nw_src=10.0.0.2",
        "ip,nw_dst=10.0.1.0/24",
        "udp",
        "ip,nw_tos=8",
        "ip,nw_ecn=2",
        "ip,nw_ttl=63",
        "ip,nw_frag=yes",
        "tcp,tp_src=1235",
        "tcp,tp_dst=81",
        "tcp,tcp_flags=+ack",
        "arp",
        "ipv6",
    };
    char err[256];
    struct flow_mod fm;
    for (size_t i = 0; i < sizeof(hits) / sizeof(hits[0]); i++) {
        CHECK_EQ(ofp_parse_flow(hits[i], FLOW_CMD_DELETE, NULL, &fm, err, sizeof(err)), 0);
        if (!flowkey_matches(&k, &fm.value, &fm.mask))
            fprintf(stderr, "should match: %s\n", hits[i]);
        CHECK(flowkey_matches(&k, &fm.value, &fm.mask));
        flow_mod_release(&fm);
    }
    for (size_t i = 0; i < sizeof(misses) / sizeof(misses[0]); i++) {
        CHECK_EQ(ofp_parse_flow(misses[i], FLOW_CMD_DELETE, NULL, &fm, err, sizeof(err)), 0);
        if (flowkey_matches(&k, &fm.value, &fm.mask))
            fprintf(stderr, "should not match: %s\n", misses[i]);
        CHECK(!flowkey_matches(&k, &fm.value, &fm.mask));
        flow_mod_release(&fm);
    }

    /* IPv6 UDP with a flow label; ICMP; ARP. */
    uint8_t v6[14 + 40 + 8] = {2, 0,    0,    0,    0,    2,    2,    0, 0, 0,  0,
                               1, 0x86, 0xdd, 0x6b, 0x81, 0x23, 0x45, 0, 8, 17, 64};
    v6[14 + 8] = 0x20;
    v6[14 + 9] = 0x01;
    v6[14 + 23] = 1; /* 2001::1 */
    v6[14 + 24] = 0xfe;
    v6[14 + 25] = 0x80;
    v6[14 + 39] = 2; /* fe80::2 */
    v6[54 + 1] = 53;
    v6[54 + 3] = 99;
    v6[54 + 5] = 8;
    flowkey_extract(v6, sizeof(v6), 1, &k, NULL);
    static const char *const v6hits[] = {
        "ipv6,ipv6_src=2001::1",   "ipv6,ipv6_src=2001::/16",  "ipv6,ipv6_dst=fe80::/10",
        "ipv6,ipv6_label=0x12345", "udp6,tp_src=53,tp_dst=99", "ipv6,nw_tos=184",
        "ipv6,nw_ttl=64",
    };
    for (size_t i = 0; i < sizeof(v6hits) / sizeof(v6hits[0]); i++) {
        CHECK_EQ(ofp_parse_flow(v6hits[i], FLOW_CMD_DELETE, NULL, &fm, err, sizeof(err)), 0);
        CHECK(flowkey_matches(&k, &fm.value, &fm.mask));
        flow_mod_release(&fm);
    }
    CHECK_EQ(
        ofp_parse_flow("ipv6,ipv6_label=0x12346", FLOW_CMD_DELETE, NULL, &fm, err, sizeof(err)), 0);
    CHECK(!flowkey_matches(&k, &fm.value, &fm.mask));
    flow_mod_release(&fm);

    uint8_t icmp[14 + 20 + 8] = {2,    0, 0,    0, 0, 2,  2, 0, 0, 0, 0,  1,
                                 0x08, 0, 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1};
    icmp[34] = 3;
    icmp[35] = 1;
    flowkey_extract(icmp, sizeof(icmp), 1, &k, NULL);
    CHECK_EQ(ofp_parse_flow("icmp,icmp_type=3,icmp_code=1", FLOW_CMD_DELETE, NULL, &fm, err,
                            sizeof(err)),
             0);
    CHECK(flowkey_matches(&k, &fm.value, &fm.mask));
    flow_mod_release(&fm);

    uint8_t arp[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0,  1, 0x08, 0x06,
                       0,    1,    0x08, 0,    6,    4,    0, 2, 2, 0, 0,  0, 0,    1,
                       10,   0,    0,    1,    0,    0,    0, 0, 0, 0, 10, 0, 0,    9};
    flowkey_extract(arp, sizeof(arp), 1, &k, NULL);
    CHECK_EQ(ofp_parse_flow("arp,arp_op=2,arp_spa=10.0.0.1,arp_tpa=10.0.0.9", FLOW_CMD_DELETE, NULL,
                            &fm, err, sizeof(err)),
             0);
    CHECK(flowkey_matches(&k, &fm.value, &fm.mask));
    flow_mod_release(&fm);
}

struct expect_err {
    enum flow_cmd cmd;
    const char *in;
    const char *msg; /* the message starts with this */
};

static void test_errors(void)
{
    static const struct expect_err cases[] = {
        {FLOW_CMD_ADD, "priority=x,actions=drop", "priority=x: invalid priority"},
        {FLOW_CMD_ADD, "priority=70000,actions=drop", "priority=70000: invalid priority"},
        {FLOW_CMD_ADD, "foo=1,actions=drop", "foo=1: unknown field or keyword"},
        {FLOW_CMD_ADD, "bogus,actions=drop", "bogus: unknown field or keyword"},
        {FLOW_CMD_ADD, "nw_src=1.2.3.4,actions=drop", "nw_src=1.2.3.4: nw_src needs ip or arp"},
        {FLOW_CMD_ADD, "ip,nw_src=1.2.3.300,actions=drop",
         "nw_src=1.2.3.300: \"1.2.3.300\" is not"},
        {FLOW_CMD_ADD, "tcp,tp_src=70000,actions=drop", "tp_src=70000: value out of range"},
        {FLOW_CMD_ADD, "tp_src=80,actions=drop", "tp_src=80: tp_src needs tcp, udp or sctp"},
        {FLOW_CMD_ADD, "ip,tp_src=80,actions=drop", "tp_src=80: tp_src needs tcp"},
        {FLOW_CMD_ADD, "udp,tcp_flags=syn,actions=drop", "tcp_flags=syn: tcp_flags needs tcp"},
        {FLOW_CMD_ADD, "tcp,icmp_type=3,actions=drop", "icmp_type=3: icmp_type needs icmp"},
        {FLOW_CMD_ADD, "ip,ipv6_src=::1,actions=drop", "ipv6_src=::1: ipv6_src needs ipv6"},
        {FLOW_CMD_ADD, "ip,arp_op=1,actions=drop", "arp_op=1: arp_op needs arp"},
        {FLOW_CMD_ADD, "nw_ttl=3,actions=drop", "nw_ttl=3: nw_ttl needs ip or ipv6"},
        {FLOW_CMD_ADD, "actions=output:foo", "output:foo: unknown port \"foo\""},
        {FLOW_CMD_ADD, "actions=bogus", "bogus: unknown action"},
        {FLOW_CMD_ADD, "actions=output", "output: output needs a port"},
        {FLOW_CMD_ADD, "actions=output:", "output:: output needs a port"},
        {FLOW_CMD_ADD, "ip", "must specify actions"},
        {FLOW_CMD_ADD, "dl_src=zz,actions=drop", "dl_src=zz: \"zz\" is not an Ethernet address"},
        {FLOW_CMD_ADD, "dl_src=00:11:22:33:44,actions=drop", "dl_src=00:11:22:33:44: \""},
        {FLOW_CMD_ADD, "dl_dst=00:11:22:33:44:55/zz,actions=drop",
         "dl_dst=00:11:22:33:44:55/zz: "
         "invalid Ethernet mask"},
        {FLOW_CMD_ADD, "ip,nw_src=1.2.3.4/33,actions=drop", "nw_src=1.2.3.4/33: prefix length"},
        {FLOW_CMD_ADD, "ip,nw_src=1.2.3.4/255.0.x.0,actions=drop",
         "nw_src=1.2.3.4/255.0.x.0: "
         "invalid netmask"},
        {FLOW_CMD_ADD, "ipv6,ipv6_src=::1/129,actions=drop", "ipv6_src=::1/129: prefix length"},
        {FLOW_CMD_ADD, "ipv6,ipv6_src=::g,actions=drop", "ipv6_src=::g: \"::g\" is not"},
        {FLOW_CMD_ADD, "tcp,tcp_flags=+syn+bogus,actions=drop",
         "tcp_flags=+syn+bogus: unknown TCP flag \"bogus\""},
        {FLOW_CMD_ADD, "tcp,tcp_flags=+syn|ack,actions=drop", "tcp_flags=+syn|ack: unknown TCP"},
        {FLOW_CMD_ADD, "tcp,tcp_flags=0x1000,actions=drop", "tcp_flags=0x1000: value out of"},
        {FLOW_CMD_ADD, "tcp,tcp_flags=0x200/0x200,actions=drop", "tcp_flags=0x200/0x200: mask"},
        {FLOW_CMD_ADD, "dl_vlan=5000,actions=drop", "dl_vlan=5000: VLAN ID must be"},
        {FLOW_CMD_ADD, "dl_vlan_pcp=8,actions=drop", "dl_vlan_pcp=8: value out of range"},
        {FLOW_CMD_ADD, "dl_vlan=0xffff,dl_vlan_pcp=3,actions=drop", "dl_vlan_pcp=3: conflicts"},
        {FLOW_CMD_ADD, "dl_type=0x10000,actions=drop", "dl_type=0x10000: value out of range"},
        {FLOW_CMD_ADD, "dl_type=0x800/0xff00,actions=drop",
         "dl_type=0x800/0xff00: this field "
         "cannot be masked"},
        {FLOW_CMD_ADD, "ip,nw_proto=256,actions=drop", "nw_proto=256: value out of range"},
        {FLOW_CMD_ADD, "udp,nw_frag=later,tp_dst=5,actions=drop",
         "tp_dst=5: tp_dst cannot match later fragments"},
        {FLOW_CMD_ADD, "igmp,actions=drop", "igmp: unknown field or keyword"},
        {FLOW_CMD_ADD, "ip,nw_tos=3,actions=drop", "nw_tos=3: nw_tos must be a multiple of 4"},
        {FLOW_CMD_ADD, "ip,ip_dscp=64,actions=drop", "ip_dscp=64: value out of range"},
        {FLOW_CMD_ADD, "ip,nw_ecn=4,actions=drop", "nw_ecn=4: value out of range"},
        {FLOW_CMD_ADD, "ip,nw_frag=maybe,actions=drop", "nw_frag=maybe: expected no, yes"},
        {FLOW_CMD_ADD, "ipv6,ipv6_label=0x100000,actions=drop", "ipv6_label=0x100000: value"},
        {FLOW_CMD_ADD, "icmp,icmp_type=3/0xf,actions=drop", "icmp_type=3/0xf: this field cannot"},
        {FLOW_CMD_ADD, "icmp6,icmp_type=300,actions=drop", "icmp_type=300: value out of range"},
        {FLOW_CMD_ADD, "in_port=70000,actions=drop", "in_port=70000: port number out of range"},
        {FLOW_CMD_ADD, "in_port=eth0,actions=drop", "in_port=eth0: unknown port \"eth0\""},
        {FLOW_CMD_ADD, "in_port=1/1,actions=drop", "in_port=1/1: in_port cannot be masked"},
        {FLOW_CMD_ADD, "tcp,udp,actions=drop", "udp: conflicts with an earlier value"},
        {FLOW_CMD_ADD, "ip,arp,actions=drop", "arp: conflicts with an earlier value"},
        {FLOW_CMD_ADD, "ip,ip=1,actions=drop", "ip=1: ip takes no value"},
        {FLOW_CMD_ADD, "ip,nw_src,actions=drop", "nw_src: missing value"},
        {FLOW_CMD_ADD, "actions=mod_vlan_vid:5000", "mod_vlan_vid:5000: not a valid VLAN ID"},
        {FLOW_CMD_ADD, "actions=mod_vlan_pcp:8", "mod_vlan_pcp:8: not a valid VLAN PCP"},
        {FLOW_CMD_ADD, "actions=push_vlan:0x1234", "push_vlan:0x1234: not a valid VLAN ethertype"},
        {FLOW_CMD_ADD, "actions=mod_nw_tos:3", "mod_nw_tos:3: not a valid TOS"},
        {FLOW_CMD_ADD, "actions=mod_nw_src:1.2.3", "mod_nw_src:1.2.3: not a valid IPv4 address"},
        {FLOW_CMD_ADD, "actions=mod_dl_dst", "mod_dl_dst: not a valid Ethernet address"},
        {FLOW_CMD_ADD, "actions=mod_tp_src:65536", "mod_tp_src:65536: not a valid port"},
        {FLOW_CMD_ADD, "actions=strip_vlan:5", "strip_vlan:5: strip_vlan takes no argument"},
        {FLOW_CMD_ADD, "actions=dec_ttl(1)", "dec_ttl(1): dec_ttl takes no argument"},
        {FLOW_CMD_ADD, "actions=output:1,drop", "drop: must not be accompanied"},
        {FLOW_CMD_ADD, "actions=drop:1", "drop:1: drop takes no argument"},
        {FLOW_CMD_ADD, "actions=output:local", "output:local: port local is not supported"},
        {FLOW_CMD_ADD, "actions=output(port=1", "output(port=1: missing closing parenthesis"},
        {FLOW_CMD_ADD, "idle_timeout=x,actions=drop", "idle_timeout=x: invalid idle_timeout"},
        {FLOW_CMD_ADD, "hard_timeout=65536,actions=drop", "hard_timeout=65536: invalid"},
        {FLOW_CMD_ADD, "cookie=zz,actions=drop", "cookie=zz: invalid cookie"},
        {FLOW_CMD_ADD, "cookie=0x5/0xff,actions=drop", "cookie=0x5/0xff: flow additions cannot"},
        {FLOW_CMD_ADD, "table=1,actions=drop", "table=1: there is one table"},
        {FLOW_CMD_ADD, "out_port=1,actions=drop", "out_port=1: out_port is only for"},
        {FLOW_CMD_ADD, "send_flow_rem,actions=drop", "send_flow_rem: not supported"},
        {FLOW_CMD_ADD, "check_overlap,actions=drop", "check_overlap: not supported"},
        {FLOW_CMD_DELETE, "priority=5", "priority=5: priority is only allowed with --strict"},
        {FLOW_CMD_DELETE, "cookie=0x5", "cookie=0x5: cannot set a cookie here"},
        {FLOW_CMD_DELETE, "ip,actions=drop", "actions: not allowed when deleting"},
        {FLOW_CMD_DELETE, "idle_timeout=5", "idle_timeout=5: timeouts are only"},
        {FLOW_CMD_DELETE, "out_port=x", "out_port=x: unknown port"},
        {FLOW_CMD_MODIFY, "ip", "must specify actions"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct flow_mod fm;
        char err[256] = "";
        int r = ofp_parse_flow(cases[i].in, cases[i].cmd, NULL, &fm, err, sizeof(err));
        CHECK_EQ(r, -1);
        if (strncmp(err, cases[i].msg, strlen(cases[i].msg)) != 0) {
            fprintf(stderr, "input \"%s\": got \"%s\", want \"%s...\"\n", cases[i].in, err,
                    cases[i].msg);
            CHECK(0);
        }
        flow_mod_release(&fm);
    }
    /* Too long, too many actions. */
    size_t big = OFP_MAX_INPUT + 10;
    char *s = malloc(big + 1);
    memset(s, ' ', big);
    s[big] = '\0';
    struct flow_mod fm;
    char err[256];
    CHECK_EQ(ofp_parse_flow(s, FLOW_CMD_ADD, NULL, &fm, err, sizeof(err)), -1);
    CHECK(strstr(err, "too long") != NULL);
    strcpy(s, "actions=");
    for (int i = 0; i < FLOW_MAX_ACTIONS + 1; i++)
        strcat(s, "output:1,");
    CHECK_EQ(ofp_parse_flow(s, FLOW_CMD_ADD, NULL, &fm, err, sizeof(err)), -1);
    CHECK(strstr(err, "too many actions") != NULL);
    free(s);
    /* err may be NULL. */
    CHECK_EQ(ofp_parse_flow("bogus", FLOW_CMD_ADD, NULL, &fm, NULL, 0), -1);
}

/* What each command accepts. */
static void test_commands(void)
{
    struct flow_mod fm;
    char err[256] = "";
    CHECK_EQ(ofp_parse_flow("priority=5,ip", FLOW_CMD_DELETE_STRICT, NULL, &fm, err, sizeof(err)),
             0);
    CHECK_EQ(fm.priority, 5);
    CHECK(fm.actions == NULL);
    CHECK_EQ(ofp_parse_flow("cookie=0x5/-1,out_port=3,table=255", FLOW_CMD_DELETE, NULL, &fm, err,
                            sizeof(err)),
             0);
    CHECK_EQ(fm.cookie_match, 5);
    CHECK_EQ(fm.cookie_mask, UINT64_MAX);
    CHECK_EQ(fm.out_port, 3);
    CHECK(!fm.set_cookie);
    CHECK_EQ(ofp_parse_flow("", FLOW_CMD_DELETE, NULL, &fm, err, sizeof(err)), 0);
    CHECK_EQ(fm.mask.w[0] | fm.mask.w[5], 0);
    /* mod-flows: cookie with a mask selects, without sets. */
    CHECK_EQ(ofp_parse_flow("cookie=1/-1,cookie=2,ip,actions=normal", FLOW_CMD_MODIFY, NULL, &fm,
                            err, sizeof(err)),
             0);
    CHECK_EQ(fm.cookie_match, 1);
    CHECK_EQ(fm.cookie_mask, UINT64_MAX);
    CHECK(fm.set_cookie);
    CHECK_EQ(fm.new_cookie, 2);
    CHECK_EQ(fm.actions->n, 1);
    flow_mod_release(&fm);
    CHECK_EQ(ofp_parse_flow("ip,actions=normal", FLOW_CMD_MODIFY, NULL, &fm, err, sizeof(err)), 0);
    CHECK(!fm.set_cookie);
    flow_mod_release(&fm);
    CHECK_EQ(
        ofp_parse_flow("cookie=0x7,ip,actions=normal", FLOW_CMD_ADD, NULL, &fm, err, sizeof(err)),
        0);
    CHECK(fm.set_cookie);
    CHECK_EQ(fm.new_cookie, 7);
    flow_mod_release(&fm);

    /* add-flows lines. */
    CHECK_EQ(ofp_parse_flow_line("", NULL, &fm, err, sizeof(err)), 1);
    CHECK_EQ(ofp_parse_flow_line("   # a comment", NULL, &fm, err, sizeof(err)), 1);
    CHECK_EQ(ofp_parse_flow_line("ip,actions=drop", NULL, &fm, err, sizeof(err)), 0);
    CHECK_EQ(fm.cmd, FLOW_CMD_ADD);
    flow_mod_release(&fm);
    CHECK_EQ(ofp_parse_flow_line("add ip,actions=drop", NULL, &fm, err, sizeof(err)), 0);
    CHECK_EQ(fm.cmd, FLOW_CMD_ADD);
    flow_mod_release(&fm);
    CHECK_EQ(ofp_parse_flow_line("modify_strict priority=3,ip actions=output:1", NULL, &fm, err,
                                 sizeof(err)),
             0);
    CHECK_EQ(fm.cmd, FLOW_CMD_MODIFY_STRICT);
    CHECK_EQ(fm.priority, 3);
    flow_mod_release(&fm);
    CHECK_EQ(ofp_parse_flow_line("delete in_port=4", NULL, &fm, err, sizeof(err)), 0);
    CHECK_EQ(fm.cmd, FLOW_CMD_DELETE);
    CHECK_EQ(fm.value.in_port, 4);
    CHECK_EQ(ofp_parse_flow_line("delete_strict priority=1,in_port=4", NULL, &fm, err, sizeof(err)),
             0);
    CHECK_EQ(fm.cmd, FLOW_CMD_DELETE_STRICT);
    CHECK_EQ(ofp_parse_flow_line("modify ip", NULL, &fm, err, sizeof(err)), -1);
    CHECK(strstr(err, "must specify actions") != NULL);
    CHECK_EQ(ofp_parse_flow_line("delete priority=1", NULL, &fm, err, sizeof(err)), -1);
}

static bool resolve(void *arg, const char *name, uint32_t *index)
{
    (void)arg;
    if (strcmp(name, "eth0") == 0) {
        *index = 10;
        return true;
    }
    if (strcmp(name, "tap-1") == 0) {
        *index = 11;
        return true;
    }
    return false;
}

static void test_port_names(void)
{
    struct ofp_ports ports = {resolve, NULL};
    struct flow_mod fm;
    char err[256] = "";
    CHECK_EQ(ofp_parse_flow("in_port=eth0,actions=output:tap-1,eth0,3", FLOW_CMD_ADD, &ports, &fm,
                            err, sizeof(err)),
             0);
    CHECK_EQ(fm.value.in_port, 10);
    CHECK_EQ(fm.mask.in_port, UINT32_MAX);
    CHECK_EQ(fm.actions->n, 3);
    CHECK_EQ(fm.actions->a[0].arg.port, 11);
    CHECK_EQ(fm.actions->a[1].type, FA_OUTPUT);
    CHECK_EQ(fm.actions->a[1].arg.port, 10);
    CHECK_EQ(fm.actions->a[2].arg.port, 3);
    flow_mod_release(&fm);
    CHECK_EQ(ofp_parse_flow("out_port=tap-1", FLOW_CMD_DELETE, &ports, &fm, err, sizeof(err)), 0);
    CHECK_EQ(fm.out_port, 11);
    CHECK_EQ(
        ofp_parse_flow("in_port=eth1,actions=drop", FLOW_CMD_ADD, &ports, &fm, err, sizeof(err)),
        -1);
    CHECK_STR(err, "in_port=eth1: unknown port \"eth1\"");
    flow_mod_release(&fm);
    CHECK_EQ(ofp_parse_flow("actions=eth1", FLOW_CMD_ADD, &ports, &fm, err, sizeof(err)), -1);
    CHECK_STR(err, "eth1: unknown action");
    flow_mod_release(&fm);
}

int main(void)
{
    test_ovs_formats();
    test_dump_lines();
    test_fields_against_frames();
    test_errors();
    test_commands();
    test_port_names();
    return check_exit();
}

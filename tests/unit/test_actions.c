/* test_actions.c - executing actions on packets: every header edit is checked by recomputing the
 * IPv4, TCP and UDP checksums from scratch; VLAN edits, dec_ttl, outputs and their order. */
#include <linux/virtio_net.h>
#include <stdlib.h>

#include "actions.h"
#include "byteorder.h"
#include "check.h"
#include "checksum.h"
#include "eth.h"
#include "flowkey.h"
#include "packet.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

struct pkt_spec {
    bool ipv6;
    uint8_t proto; /* 6, 17, 1 or 58 */
    bool vlan;
    uint16_t frag; /* IPv4 flags+offset word */
    bool udp_zero_csum;
    unsigned payload;
    unsigned ip_options; /* IPv4 option bytes, a multiple of 4 */
};

/* The L4 pseudo-header sum of an IP packet at l3 (not folded). */
static uint32_t pseudo_sum(const uint8_t *ip, bool ipv6, uint8_t proto, uint32_t l4_len)
{
    uint32_t sum = 0;
    if (ipv6) {
        sum = inet_sum_add(0, ip + 8, 32);
        sum += l4_len >> 16;
        sum += l4_len & 0xffff;
    } else {
        sum = inet_sum_add(0, ip + 12, 8);
        sum += l4_len;
    }
    return sum + proto;
}

/* Builds a frame with valid checksums into p; returns L3 offset. */
static unsigned build(struct pkt *p, const struct pkt_spec *s)
{
    uint8_t *f = p->data;
    memset(f, 0, 256);
    uint8_t dst[6] = {0x02, 0, 0, 0, 0, 2}, src[6] = {0x02, 0, 0, 0, 0, 1};
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    unsigned off = 12;
    if (s->vlan) {
        store_be16(f + 12, ETHTYPE_VLAN);
        store_be16(f + 14, (uint16_t)(3 << 13 | 100));
        off = 16;
    }
    store_be16(f + off, s->ipv6 ? ETHTYPE_IPV6 : ETHTYPE_IPV4);
    unsigned l3 = off + 2;
    unsigned l4_hdr = s->proto == 6 ? 20 : s->proto == 17 ? 8 : 8;
    unsigned l4_len = l4_hdr + s->payload;
    unsigned l3_len = s->ipv6 ? 40 : 20 + s->ip_options;
    uint8_t *ip = f + l3;
    if (s->ipv6) {
        ip[0] = 0x60 | 0x0b; /* traffic class 0xb5 */
        ip[1] = 0x50 | 0x1;
        store_be16(ip + 2, 0x2345);
        store_be16(ip + 4, (uint16_t)l4_len);
        ip[6] = s->proto;
        ip[7] = 64;
        for (int i = 0; i < 32; i++)
            ip[8 + i] = (uint8_t)rnd();
    } else {
        ip[0] = (uint8_t)(0x40 | l3_len / 4);
        ip[1] = 0xb9; /* DSCP 46, ECN 1 */
        store_be16(ip + 2, (uint16_t)(l3_len + l4_len));
        store_be16(ip + 4, (uint16_t)rnd());
        store_be16(ip + 6, s->frag);
        ip[8] = 64;
        ip[9] = s->proto;
        store_be32(ip + 12, rnd());
        store_be32(ip + 16, rnd());
        for (unsigned i = 20; i < l3_len; i++)
            ip[i] = 1; /* NOP options */
        store_be16(ip + 10, inet_sum_fold_complement(inet_sum_add(0, ip, l3_len)));
    }
    uint8_t *l4 = ip + l3_len;
    for (unsigned i = 0; i < l4_len; i++)
        l4[i] = (uint8_t)rnd();
    if (s->proto == 6) {
        l4[12] = 0x50;
        store_be16(l4 + 16, 0);
        store_be16(l4 + 16, inet_sum_fold_complement(
                                inet_sum_add(pseudo_sum(ip, s->ipv6, 6, l4_len), l4, l4_len)));
    } else if (s->proto == 17) {
        store_be16(l4 + 4, (uint16_t)l4_len);
        store_be16(l4 + 6, 0);
        if (!s->udp_zero_csum) {
            uint16_t c = inet_sum_fold_complement(
                inet_sum_add(pseudo_sum(ip, s->ipv6, 17, l4_len), l4, l4_len));
            store_be16(l4 + 6, c ? c : 0xffff);
        }
    } else {
        l4[0] = s->proto == 1 ? 8 : 128;
        l4[1] = 0;
        store_be16(l4 + 2, 0);
        store_be16(l4 + 2, inet_sum_fold_complement(inet_sum_add(0, l4, l4_len)));
    }
    p->len = l3 + l3_len + l4_len;
    return l3;
}

/* Verifies every checksum of the frame from scratch. */
static bool checksums_valid(const struct pkt *p)
{
    struct flow_key k;
    struct flow_layout lay;
    flowkey_extract(p->data, p->len, 0, &k, &lay);
    if (!lay.l3)
        return false;
    const uint8_t *ip = p->data + lay.l3;
    bool v6 = k.dl_type == ETHTYPE_IPV6;
    if (!v6 && inet_sum_fold_complement(inet_sum_add(0, ip, lay.l3_len)) != 0)
        return false;
    if (!lay.l4 || (k.nw_frag & FLOW_FRAG_ANY))
        return true;
    const uint8_t *l4 = p->data + lay.l4;
    uint32_t l4_len = lay.ip_end - lay.l4;
    if (k.nw_proto == 6 || k.nw_proto == 17) {
        if (k.nw_proto == 17 && load_be16(l4 + 6) == 0 && !v6)
            return true;
        return inet_sum_fold_complement(
                   inet_sum_add(pseudo_sum(ip, v6, k.nw_proto, l4_len), l4, l4_len)) == 0;
    }
    return inet_sum_fold_complement(inet_sum_add(0, l4, l4_len)) == 0;
}

struct out_log {
    unsigned n;
    char kind[16];
    uint32_t port[16];
    bool last[16];
    uint8_t snapshot[16][64];
};

static void out_output(void *ctx, struct pkt *p, uint32_t port, bool last)
{
    struct out_log *l = ctx;
    l->kind[l->n] = 'o';
    l->port[l->n] = port;
    l->last[l->n] = last;
    memcpy(l->snapshot[l->n], p->data, 64);
    l->n++;
}

static void out_normal(void *ctx, struct pkt *p, bool last)
{
    struct out_log *l = ctx;
    l->kind[l->n] = 'n';
    l->last[l->n] = last;
    memcpy(l->snapshot[l->n], p->data, 64);
    l->n++;
}

static void out_flood(void *ctx, struct pkt *p, bool all, bool last)
{
    struct out_log *l = ctx;
    l->kind[l->n] = all ? 'a' : 'f';
    l->last[l->n] = last;
    memcpy(l->snapshot[l->n], p->data, 64);
    l->n++;
}

static const struct flow_output_ops ops = {out_output, out_normal, out_flood};

static enum flow_verdict run1(struct pkt *p, struct flow_action a, struct out_log *log)
{
    struct flow_actions *acts = flow_actions_new(&a, 1);
    enum flow_verdict v = flow_actions_execute(acts, p, &ops, log);
    flow_actions_free(acts);
    return v;
}

static struct flow_action act(uint8_t type)
{
    struct flow_action a;
    memset(&a, 0, sizeof(a));
    a.type = type;
    return a;
}

/* Random packets of every kind, each L3/L4 edit, checksums recomputed after each. */
static void test_header_mods_random(void)
{
    struct pkt_pool *pool = pkt_pool_create(2, 2048);
    struct pkt *p = pkt_alloc(pool);
    unsigned verified = 0, changed_l4 = 0;
    for (int iter = 0; iter < 4000; iter++) {
        struct pkt_spec s = {0};
        s.ipv6 = rnd() % 3 == 0;
        static const uint8_t protos[] = {6, 17, 6, 17, 1};
        s.proto = protos[rnd() % 5];
        if (s.proto == 1 && s.ipv6)
            s.proto = 58;
        s.vlan = rnd() % 2;
        s.udp_zero_csum = s.proto == 17 && !s.ipv6 && rnd() % 4 == 0;
        s.payload = rnd() % 200;
        s.ip_options = s.ipv6 ? 0 : (rnd() % 3) * 4;
        p->data = p->buf + PKT_HEADROOM;
        build(p, &s);
        CHECK(checksums_valid(p));

        struct flow_action a;
        switch (rnd() % 6) {
        case 0:
            a = act(FA_MOD_NW_SRC);
            a.arg.ipv4 = rnd();
            break;
        case 1:
            a = act(FA_MOD_NW_DST);
            a.arg.ipv4 = rnd();
            break;
        case 2:
            a = act(FA_MOD_TP_SRC);
            a.arg.tp_port = (uint16_t)rnd();
            break;
        case 3:
            a = act(FA_MOD_TP_DST);
            a.arg.tp_port = (uint16_t)rnd();
            break;
        case 4:
            a = act(FA_MOD_NW_TOS);
            a.arg.tos = (uint8_t)(rnd() & 0xfc);
            break;
        default:
            a = act(FA_DEC_TTL);
            break;
        }
        uint8_t before[512];
        memcpy(before, p->data, p->len);
        struct out_log log = {0};
        CHECK_EQ(run1(p, a, &log), FLOW_DROPPED);
        struct flow_key k;
        struct flow_layout lay;
        flowkey_extract(p->data, p->len, 0, &k, &lay);
        CHECK(checksums_valid(p));
        verified++;
        /* The field really changed to the requested value. */
        switch (a.type) {
        case FA_MOD_NW_SRC:
            if (!s.ipv6)
                CHECK_EQ(k.nw_src, a.arg.ipv4);
            else
                CHECK(memcmp(before, p->data, p->len) == 0);
            break;
        case FA_MOD_NW_DST:
            if (!s.ipv6)
                CHECK_EQ(k.nw_dst, a.arg.ipv4);
            break;
        case FA_MOD_TP_SRC:
        case FA_MOD_TP_DST:
            if (s.proto == 6 || s.proto == 17) {
                CHECK_EQ(a.type == FA_MOD_TP_SRC ? k.tp_src : k.tp_dst, a.arg.tp_port);
                changed_l4++;
            } else {
                CHECK(memcmp(before, p->data, p->len) == 0);
            }
            break;
        case FA_MOD_NW_TOS:
            CHECK_EQ(k.nw_tos, (a.arg.tos & 0xfc) | (s.ipv6 ? 0xb5 & 3 : 0xb9 & 3));
            break;
        case FA_DEC_TTL:
            CHECK_EQ(k.nw_ttl, 63);
            break;
        }
        if (s.udp_zero_csum)
            CHECK_EQ(load_be16(p->data + lay.l4 + 6), 0);
    }
    CHECK(changed_l4 > 500);
    fprintf(stderr, "%u edited packets verified\n", verified);
    pkt_free(p);
    pkt_pool_destroy(pool);
}

/* A UDP checksum that becomes 0 after an edit is sent as 0xffff (0 means "none"). */
static void test_udp_zero_result(void)
{
    struct pkt_pool *pool = pkt_pool_create(1, 2048);
    struct pkt *p = pkt_alloc(pool);
    struct pkt_spec s = {.proto = 17, .payload = 10};
    for (int tries = 0; tries < 200000; tries++) {
        build(p, &s);
        unsigned l4 = 14 + 20;
        uint16_t c = load_be16(p->data + l4 + 6);
        /* Choose the new port so that the checksum comes out as 0: c' = ~(~c + ~old + new). */
        uint16_t old_port = load_be16(p->data + l4 + 2);
        uint32_t want = (uint32_t)(uint16_t)~c + (uint16_t)~old_port;
        want = (want & 0xffff) + (want >> 16);
        uint16_t new_port = (uint16_t)(0xffff - want);
        if (inet_csum_replace16(c, old_port, new_port) != 0)
            continue;
        struct flow_action a = act(FA_MOD_TP_DST);
        a.arg.tp_port = new_port;
        struct out_log log = {0};
        run1(p, a, &log);
        CHECK_EQ(load_be16(p->data + l4 + 2), new_port);
        CHECK_EQ(load_be16(p->data + l4 + 6), 0xffff);
        CHECK(checksums_valid(p));
        break;
    }
    pkt_free(p);
    pkt_pool_destroy(pool);
}

/* With a partial (offloaded) checksum, the field holds the pseudo-header sum. */
static void test_partial_checksum(void)
{
    struct pkt_pool *pool = pkt_pool_create(1, 2048);
    struct pkt *p = pkt_alloc(pool);
    struct pkt_spec s = {.proto = 6, .payload = 100};
    unsigned l3 = build(p, &s);
    unsigned l4 = l3 + 20;
    uint8_t *ip = p->data + l3;
    p->offload.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    p->offload.csum_start = (uint16_t)l4;
    p->offload.csum_offset = 16;
    uint32_t l4_len = 20 + 100;
    uint16_t pseudo = inet_sum_fold(pseudo_sum(ip, false, 6, l4_len));
    store_be16(p->data + l4 + 16, pseudo);
    struct flow_action a = act(FA_MOD_NW_DST);
    a.arg.ipv4 = 0xc0a80101;
    struct out_log log = {0};
    run1(p, a, &log);
    uint16_t want = inet_sum_fold(pseudo_sum(ip, false, 6, l4_len));
    CHECK_EQ(load_be16(p->data + l4 + 16), want);
    CHECK_EQ(inet_sum_fold_complement(inet_sum_add(0, ip, 20)), 0);
    /* A port change is covered by the offload, so the field stays. */
    a = act(FA_MOD_TP_SRC);
    a.arg.tp_port = 4242;
    run1(p, a, &log);
    CHECK_EQ(load_be16(p->data + l4 + 16), want);
    CHECK_EQ(load_be16(p->data + l4), 4242);
    /* Completing the checksum now gives a valid segment. */
    store_be16(p->data + l4 + 16, inet_sum_fold_complement(inet_sum_add(0, p->data + l4, l4_len)));
    CHECK(checksums_valid(p));
    pkt_free(p);
    pkt_pool_destroy(pool);
}

static void test_vlan(void)
{
    struct pkt_pool *pool = pkt_pool_create(1, 2048);
    struct pkt *p = pkt_alloc(pool);
    struct pkt_spec s = {.proto = 17, .payload = 20};
    build(p, &s);
    uint32_t len0 = p->len;
    struct out_log log = {0};
    struct flow_key k;

    struct flow_action a = act(FA_MOD_VLAN_VID);
    a.arg.vid = 42;
    CHECK_EQ(run1(p, a, &log), FLOW_DROPPED);
    CHECK_EQ(p->len, len0 + 4);
    flowkey_extract(p->data, p->len, 0, &k, NULL);
    CHECK_EQ(k.vlan_tci, FLOW_VLAN_PRESENT | 42);
    CHECK_EQ(k.dl_type, ETHTYPE_IPV4);
    CHECK(checksums_valid(p));

    a = act(FA_MOD_VLAN_PCP);
    a.arg.pcp = 5;
    run1(p, a, &log);
    flowkey_extract(p->data, p->len, 0, &k, NULL);
    CHECK_EQ(k.vlan_tci, FLOW_VLAN_PRESENT | 5 << 13 | 42);
    CHECK_EQ(p->len, len0 + 4);

    a = act(FA_MOD_VLAN_VID);
    a.arg.vid = 7;
    run1(p, a, &log);
    flowkey_extract(p->data, p->len, 0, &k, NULL);
    CHECK_EQ(k.vlan_tci, FLOW_VLAN_PRESENT | 5 << 13 | 7); /* PCP kept */

    a = act(FA_PUSH_VLAN);
    a.arg.tpid = ETHTYPE_QINQ;
    run1(p, a, &log);
    CHECK_EQ(p->len, len0 + 8);
    CHECK_EQ(load_be16(p->data + 12), ETHTYPE_QINQ);
    CHECK_EQ(load_be16(p->data + 14), 0);
    CHECK_EQ(load_be16(p->data + 16), ETHTYPE_VLAN);
    CHECK_EQ(load_be16(p->data + 18), 5 << 13 | 7);

    run1(p, act(FA_STRIP_VLAN), &log);
    run1(p, act(FA_STRIP_VLAN), &log);
    CHECK_EQ(p->len, len0);
    flowkey_extract(p->data, p->len, 0, &k, NULL);
    CHECK_EQ(k.vlan_tci, 0);
    CHECK(checksums_valid(p));
    run1(p, act(FA_STRIP_VLAN), &log); /* untagged: nothing to strip */
    CHECK_EQ(p->len, len0);

    /* mod_vlan_pcp on an untagged frame adds a tag with VID 0. */
    a = act(FA_MOD_VLAN_PCP);
    a.arg.pcp = 2;
    run1(p, a, &log);
    flowkey_extract(p->data, p->len, 0, &k, NULL);
    CHECK_EQ(k.vlan_tci, FLOW_VLAN_PRESENT | 2 << 13);
    run1(p, act(FA_STRIP_VLAN), &log);

    /* Offload offsets move with the headers. */
    p->offload.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    p->offload.csum_start = 34;
    p->offload.hdr_len = 42;
    a = act(FA_PUSH_VLAN);
    a.arg.tpid = ETHTYPE_VLAN;
    run1(p, a, &log);
    CHECK_EQ(p->offload.csum_start, 38);
    CHECK_EQ(p->offload.hdr_len, 46);
    run1(p, act(FA_STRIP_VLAN), &log);
    CHECK_EQ(p->offload.csum_start, 34);
    p->offload.flags = 0;
    p->offload.hdr_len = 0;

    /* No headroom: the frame moves into the tailroom. */
    memmove(p->buf, p->data, p->len);
    p->data = p->buf;
    uint8_t copy[256];
    memcpy(copy, p->data, p->len);
    a = act(FA_MOD_VLAN_VID);
    a.arg.vid = 9;
    CHECK_EQ(run1(p, a, &log), FLOW_DROPPED);
    CHECK_EQ(p->len, len0 + 4);
    CHECK(memcmp(p->data, copy, 12) == 0);
    CHECK(memcmp(p->data + 16, copy + 12, len0 - 12) == 0);
    /* Neither head- nor tailroom: the action reports it. */
    p->data = p->buf;
    p->len = p->buf_size;
    store_be16(p->data + 12, ETHTYPE_IPV4);
    CHECK_EQ(run1(p, a, &log), FLOW_NO_ROOM);
    pkt_free(p);
    pkt_pool_destroy(pool);
}

static void test_dec_ttl_and_outputs(void)
{
    struct pkt_pool *pool = pkt_pool_create(1, 2048);
    struct pkt *p = pkt_alloc(pool);
    struct pkt_spec s = {.proto = 6, .payload = 10};
    unsigned l3 = build(p, &s);
    p->in_port = 3;
    p->data[l3 + 8] = 2;
    store_be16(p->data + l3 + 10, 0);
    store_be16(p->data + l3 + 10, inet_sum_fold_complement(inet_sum_add(0, p->data + l3, 20)));

    struct flow_action list[6];
    list[0] = act(FA_OUTPUT);
    list[0].arg.port = 1;
    list[1] = act(FA_DEC_TTL);
    list[2] = act(FA_OUTPUT);
    list[2].arg.port = 3; /* the receiving port: skipped */
    list[3] = act(FA_IN_PORT);
    list[4] = act(FA_NORMAL);
    list[5] = act(FA_ALL);
    struct flow_actions *acts = flow_actions_new(list, 6);
    CHECK(acts->a[0].changes_later);
    CHECK(!acts->a[2].changes_later);
    CHECK(flow_actions_modify(acts));
    CHECK(flow_actions_output_to(acts, 1));
    CHECK(!flow_actions_output_to(acts, 2));
    struct out_log log = {0};
    CHECK_EQ(flow_actions_execute(acts, p, &ops, &log), FLOW_SENT);
    CHECK_EQ(log.n, 4);
    CHECK_EQ(log.kind[0], 'o');
    CHECK_EQ(log.port[0], 1);
    CHECK(!log.last[0]);
    CHECK_EQ(log.snapshot[0][l3 + 8], 2); /* sent before the decrement */
    CHECK_EQ(log.kind[1], 'o');
    CHECK_EQ(log.port[1], 3); /* in_port */
    CHECK(log.last[1]);
    CHECK_EQ(log.snapshot[1][l3 + 8], 1);
    CHECK_EQ(log.kind[2], 'n');
    CHECK_EQ(log.kind[3], 'a');
    CHECK(checksums_valid(p));

    /* TTL 1 now: the packet goes no further, but the first output already happened. */
    memset(&log, 0, sizeof(log));
    CHECK_EQ(flow_actions_execute(acts, p, &ops, &log), FLOW_TTL_EXPIRED);
    CHECK_EQ(log.n, 1);
    CHECK_EQ(p->data[l3 + 8], 1);
    flow_actions_free(acts);

    /* IPv6 hop limit. */
    s.ipv6 = true;
    l3 = build(p, &s);
    CHECK_EQ(run1(p, act(FA_DEC_TTL), &log), FLOW_DROPPED);
    CHECK_EQ(p->data[l3 + 7], 63);
    p->data[l3 + 7] = 0;
    CHECK_EQ(run1(p, act(FA_DEC_TTL), &log), FLOW_TTL_EXPIRED);

    /* Non-IP: dec_ttl and IP edits do nothing. */
    uint8_t arp[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0,
                       1,    0x08, 0x06, 0,    1,    0x08, 0, 6, 4, 0, 1};
    memcpy(p->data, arp, sizeof(arp));
    p->len = sizeof(arp);
    struct flow_action arp_acts[3] = {act(FA_DEC_TTL), act(FA_MOD_NW_SRC), act(FA_MOD_TP_DST)};
    arp_acts[1].arg.ipv4 = 0x01020304;
    acts = flow_actions_new(arp_acts, 3);
    CHECK_EQ(flow_actions_execute(acts, p, &ops, &log), FLOW_DROPPED);
    CHECK(memcmp(p->data, arp, sizeof(arp)) == 0);
    flow_actions_free(acts);

    /* MAC rewrites. */
    struct flow_action mac = act(FA_MOD_DL_SRC);
    memcpy(mac.arg.mac, "\x02\xaa\xbb\xcc\xdd\xee", 6);
    run1(p, mac, &log);
    CHECK(memcmp(p->data + 6, "\x02\xaa\xbb\xcc\xdd\xee", 6) == 0);
    mac.type = FA_MOD_DL_DST;
    run1(p, mac, &log);
    CHECK(memcmp(p->data, "\x02\xaa\xbb\xcc\xdd\xee", 6) == 0);

    /* An empty list drops. */
    acts = flow_actions_new(NULL, 0);
    CHECK_EQ(flow_actions_execute(acts, p, &ops, &log), FLOW_DROPPED);
    CHECK(!flow_actions_modify(acts));
    flow_actions_free(acts);
    CHECK(flow_actions_new(list, FLOW_MAX_ACTIONS + 1) == NULL);
    pkt_free(p);
    pkt_pool_destroy(pool);
}

/* Later fragments have no transport header: port edits leave them alone, address edits only
 * fix the IP checksum. */
static void test_fragments(void)
{
    struct pkt_pool *pool = pkt_pool_create(1, 2048);
    struct pkt *p = pkt_alloc(pool);
    struct pkt_spec s = {.proto = 6, .payload = 40, .frag = 0x00b9}; /* offset 185*8 */
    build(p, &s);
    uint8_t before[256];
    memcpy(before, p->data, p->len);
    struct flow_action a = act(FA_MOD_TP_DST);
    a.arg.tp_port = 99;
    struct out_log log = {0};
    run1(p, a, &log);
    CHECK(memcmp(before, p->data, p->len) == 0);
    a = act(FA_MOD_NW_SRC);
    a.arg.ipv4 = 0x0a0a0a0a;
    run1(p, a, &log);
    CHECK(checksums_valid(p));
    CHECK(memcmp(before + 14 + 20, p->data + 14 + 20, p->len - 34) == 0); /* payload intact */
    pkt_free(p);
    pkt_pool_destroy(pool);
}

int main(void)
{
    test_header_mods_random();
    test_udp_zero_result();
    test_partial_checksum();
    test_vlan();
    test_dec_ttl_and_outputs();
    test_fragments();
    return check_exit();
}

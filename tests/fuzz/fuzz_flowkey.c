/* fuzz_flowkey.c - libFuzzer target for the packet path of flows: eth_parse and flow key
 * extraction on arbitrary bytes, then every header-editing action on the same frame. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "eth.h"
#include "flowkey.h"
#include "packet.h"

static void out_output(void *ctx, struct pkt *p, uint32_t port, bool last)
{
    (void)ctx;
    (void)port;
    (void)last;
    /* Touch the whole frame as a sender would. */
    volatile uint8_t sum = 0;
    for (uint32_t i = 0; i < p->len; i++)
        sum ^= p->data[i];
}

static void out_normal(void *ctx, struct pkt *p, bool last)
{
    out_output(ctx, p, 0, last);
}

static void out_flood(void *ctx, struct pkt *p, bool all, bool last)
{
    (void)all;
    out_output(ctx, p, 0, last);
}

static const struct flow_output_ops ops = {out_output, out_normal, out_flood};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 9000)
        return 0;
    /* First byte: headroom and tailroom for tag pushes; the rest is the frame. */
    unsigned headroom = data[0] & 0x0f, tailroom = data[0] >> 4;
    const uint8_t *frame = data + 1;
    uint32_t len = (uint32_t)(size - 1);

    uint8_t *copy = malloc(len);
    memcpy(copy, frame, len);
    struct eth_info ei;
    bool eth_ok = eth_parse(copy, len, &ei);
    struct flow_key key;
    struct flow_layout lay;
    bool ok = flowkey_extract(copy, len, 3, &key, &lay);
    if (ok != eth_ok)
        __builtin_trap();
    if (lay.l3 >= len && lay.l3)
        __builtin_trap();
    if (lay.l4 && (lay.l4 >= len || lay.l4 + lay.l4_len > len || lay.ip_end > len))
        __builtin_trap();
    (void)flowkey_hash(&key);
    free(copy);

    /* Every editing action, in an order that pushes and pops tags between L3/L4 edits. */
    struct flow_action a[20];
    memset(a, 0, sizeof(a));
    unsigned n = 0;
    a[n++] = (struct flow_action){.type = FA_MOD_NW_SRC, .arg.ipv4 = 0x0a000001};
    a[n++] = (struct flow_action){.type = FA_MOD_TP_DST, .arg.tp_port = 8080};
    a[n++] = (struct flow_action){.type = FA_OUTPUT, .arg.port = 1};
    a[n++] = (struct flow_action){.type = FA_MOD_VLAN_VID, .arg.vid = 5};
    a[n++] = (struct flow_action){.type = FA_MOD_NW_DST, .arg.ipv4 = 0x0a000002};
    a[n++] = (struct flow_action){.type = FA_MOD_TP_SRC, .arg.tp_port = 1};
    a[n++] = (struct flow_action){.type = FA_MOD_NW_TOS, .arg.tos = 0xb8};
    a[n++] = (struct flow_action){.type = FA_PUSH_VLAN, .arg.tpid = ETHTYPE_QINQ};
    a[n++] = (struct flow_action){.type = FA_MOD_VLAN_PCP, .arg.pcp = 3};
    a[n++] = (struct flow_action){.type = FA_STRIP_VLAN};
    a[n++] = (struct flow_action){.type = FA_STRIP_VLAN};
    a[n++] = (struct flow_action){.type = FA_MOD_DL_SRC, .arg.mac = {2, 0, 0, 0, 0, 1}};
    a[n++] = (struct flow_action){.type = FA_MOD_DL_DST, .arg.mac = {2, 0, 0, 0, 0, 2}};
    a[n++] = (struct flow_action){.type = FA_NORMAL};
    a[n++] = (struct flow_action){.type = FA_DEC_TTL};
    a[n++] = (struct flow_action){.type = FA_ALL};
    struct flow_actions *acts = flow_actions_new(a, n);

    struct pkt p;
    memset(&p, 0, sizeof(p));
    p.buf_size = headroom + len + tailroom;
    p.buf = malloc(p.buf_size);
    p.data = p.buf + headroom;
    p.len = len;
    p.in_port = 3;
    p.refcnt = 1;
    memcpy(p.data, frame, len);
    if (len > 40 && (frame[0] & 1)) {
        p.offload.flags = 1; /* VIRTIO_NET_HDR_F_NEEDS_CSUM */
        p.offload.csum_start = (uint16_t)lay.l4;
    }
    flow_actions_execute(acts, &p, &ops, NULL);
    if (p.data < p.buf || p.data + p.len > p.buf + p.buf_size)
        __builtin_trap();
    flowkey_extract(p.data, p.len, 3, &key, &lay);
    free(p.buf);
    flow_actions_free(acts);
    return 0;
}

/* actions.c - executing an action list on a packet: VLAN tag edits, header rewrites with
 * incremental checksum updates, TTL decrement, and outputs through the caller's callbacks. */
#include "actions.h"

#include <linux/virtio_net.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "checksum.h"
#include "eth.h"
#include "flowkey.h"

struct flow_actions *flow_actions_new(const struct flow_action *a, unsigned n)
{
    if (n > FLOW_MAX_ACTIONS)
        return NULL;
    struct flow_actions *acts = malloc(sizeof(*acts) + n * sizeof(acts->a[0]));
    if (!acts)
        return NULL;
    acts->n = n;
    if (n)
        memcpy(acts->a, a, n * sizeof(acts->a[0]));
    bool changes = false;
    for (unsigned i = n; i-- > 0;) {
        acts->a[i].changes_later = changes;
        uint8_t t = acts->a[i].type;
        if (t != FA_OUTPUT && t != FA_IN_PORT && t != FA_NORMAL && t != FA_FLOOD && t != FA_ALL)
            changes = true;
    }
    return acts;
}

void flow_actions_free(struct flow_actions *acts)
{
    free(acts);
}

struct flow_actions *flow_actions_clone(const struct flow_actions *acts)
{
    return flow_actions_new(acts->a, acts->n);
}

static bool action_equal(const struct flow_action *x, const struct flow_action *y)
{
    if (x->type != y->type)
        return false;
    switch (x->type) {
    case FA_OUTPUT:
        return x->arg.port == y->arg.port;
    case FA_MOD_VLAN_VID:
        return x->arg.vid == y->arg.vid;
    case FA_MOD_VLAN_PCP:
        return x->arg.pcp == y->arg.pcp;
    case FA_PUSH_VLAN:
        return x->arg.tpid == y->arg.tpid;
    case FA_MOD_DL_SRC:
    case FA_MOD_DL_DST:
        return memcmp(x->arg.mac, y->arg.mac, 6) == 0;
    case FA_MOD_NW_SRC:
    case FA_MOD_NW_DST:
        return x->arg.ipv4 == y->arg.ipv4;
    case FA_MOD_NW_TOS:
        return x->arg.tos == y->arg.tos;
    case FA_MOD_TP_SRC:
    case FA_MOD_TP_DST:
        return x->arg.tp_port == y->arg.tp_port;
    default:
        return true;
    }
}

bool flow_actions_equal(const struct flow_actions *x, const struct flow_actions *y)
{
    if (x->n != y->n)
        return false;
    for (uint32_t i = 0; i < x->n; i++)
        if (!action_equal(&x->a[i], &y->a[i]))
            return false;
    return true;
}

bool flow_actions_output_to(const struct flow_actions *acts, uint32_t port)
{
    for (uint32_t i = 0; i < acts->n; i++)
        if (acts->a[i].type == FA_OUTPUT && acts->a[i].arg.port == port)
            return true;
    return false;
}

bool flow_actions_modify(const struct flow_actions *acts)
{
    return acts->n && (acts->a[0].changes_later || acts->a[0].type >= FA_MOD_VLAN_VID);
}

/* ---- execution ---- */

struct exec {
    struct pkt *p;
    bool have_layout;
    struct flow_key key;
    struct flow_layout lay;
};

static void need_layout(struct exec *x)
{
    if (!x->have_layout) {
        flowkey_extract(x->p->data, x->p->len, x->p->in_port, &x->key, &x->lay);
        x->have_layout = true;
    }
}

static bool is_ipv4(struct exec *x)
{
    need_layout(x);
    return x->lay.l3 && x->key.dl_type == ETHTYPE_IPV4;
}

static bool is_ipv6(struct exec *x)
{
    need_layout(x);
    return x->lay.l3 && x->key.dl_type == ETHTYPE_IPV6;
}

/* Does the L4 checksum field hold only the pseudo-header sum, to be completed by whoever
 * finishes the offload? Then pseudo-header changes update it, payload changes do not. */
static bool l4_csum_partial(const struct exec *x)
{
    return (x->p->offload.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
           x->p->offload.csum_start == x->lay.l4;
}

/* Where the TCP or UDP checksum is, or NULL (other protocols, later fragments, short). */
static uint8_t *l4_csum_field(struct exec *x)
{
    if (!x->lay.l4)
        return NULL;
    if (x->key.nw_proto == IPPROTO_NUM_TCP)
        return x->p->data + x->lay.l4 + 16;
    if (x->key.nw_proto == IPPROTO_NUM_UDP)
        return x->p->data + x->lay.l4 + 6;
    return NULL;
}

/* A 16-bit word covered by the L4 checksum changed (in_pseudo: it is in the pseudo-header). */
static void l4_word_changed(struct exec *x, uint16_t old_word, uint16_t new_word, bool in_pseudo)
{
    uint8_t *f = l4_csum_field(x);
    if (!f || old_word == new_word)
        return;
    uint16_t c = load_be16(f);
    if (l4_csum_partial(x)) {
        if (in_pseudo)
            store_be16(f, (uint16_t)~inet_csum_replace16((uint16_t)~c, old_word, new_word));
        return;
    }
    if (x->key.nw_proto == IPPROTO_NUM_UDP) {
        if (c == 0)
            return; /* no checksum, and it stays that way */
        c = inet_csum_replace16(c, old_word, new_word);
        store_be16(f, c ? c : 0xffff);
        return;
    }
    store_be16(f, inet_csum_replace16(c, old_word, new_word));
}

static void set_ipv4_addr(struct exec *x, unsigned offset, uint32_t addr)
{
    if (!is_ipv4(x))
        return;
    uint8_t *ip = x->p->data + x->lay.l3;
    for (unsigned i = 0; i < 2; i++) {
        uint8_t *w = ip + offset + 2 * i;
        uint16_t old_word = load_be16(w), new_word = (uint16_t)(addr >> (16 - 16 * i));
        store_be16(w, new_word);
        store_be16(ip + 10, inet_csum_replace16(load_be16(ip + 10), old_word, new_word));
        l4_word_changed(x, old_word, new_word, true);
    }
    if (offset == 12)
        x->key.nw_src = addr;
    else
        x->key.nw_dst = addr;
}

static void set_tp_port(struct exec *x, unsigned offset, uint16_t port)
{
    need_layout(x);
    if (!x->lay.l4 || (x->key.nw_proto != IPPROTO_NUM_TCP && x->key.nw_proto != IPPROTO_NUM_UDP))
        return;
    uint8_t *w = x->p->data + x->lay.l4 + offset;
    uint16_t old_word = load_be16(w);
    store_be16(w, port);
    l4_word_changed(x, old_word, port, false);
}

static void set_tos(struct exec *x, uint8_t dscp_bits)
{
    if (is_ipv4(x)) {
        uint8_t *ip = x->p->data + x->lay.l3;
        uint16_t old_word = load_be16(ip);
        ip[1] = (uint8_t)((ip[1] & 0x03) | (dscp_bits & 0xfc));
        store_be16(ip + 10, inet_csum_replace16(load_be16(ip + 10), old_word, load_be16(ip)));
    } else if (is_ipv6(x)) {
        uint8_t *ip = x->p->data + x->lay.l3;
        uint8_t tc = (uint8_t)((ip[0] & 0x0f) << 4 | ip[1] >> 4);
        tc = (uint8_t)((tc & 0x03) | (dscp_bits & 0xfc));
        ip[0] = (uint8_t)((ip[0] & 0xf0) | tc >> 4);
        ip[1] = (uint8_t)((ip[1] & 0x0f) | (tc & 0x0f) << 4);
    }
}

/* false: the TTL was already 0 or 1. */
static bool dec_ttl(struct exec *x)
{
    if (is_ipv4(x)) {
        uint8_t *ip = x->p->data + x->lay.l3;
        if (ip[8] <= 1)
            return false;
        uint16_t old_word = load_be16(ip + 8);
        ip[8]--;
        store_be16(ip + 10, inet_csum_replace16(load_be16(ip + 10), old_word, load_be16(ip + 8)));
    } else if (is_ipv6(x)) {
        uint8_t *ip = x->p->data + x->lay.l3;
        if (ip[7] <= 1)
            return false;
        ip[7]--;
    }
    return true;
}

static bool frame_has_tag(const struct pkt *p)
{
    if (p->len < ETH_HDR_LEN + VLAN_HDR_LEN)
        return false;
    uint16_t type = load_be16(p->data + 12);
    return type == ETHTYPE_VLAN || type == ETHTYPE_QINQ;
}

/* Offload offsets count from the frame start: a tag added or removed in front shifts them. */
static void shift_offload(struct pkt *p, int delta)
{
    if (p->offload.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
        p->offload.csum_start = (uint16_t)(p->offload.csum_start + delta);
    if (p->offload.hdr_len)
        p->offload.hdr_len = (uint16_t)(p->offload.hdr_len + delta);
}

static bool push_tag(struct exec *x, uint16_t tpid, uint16_t tci)
{
    struct pkt *p = x->p;
    if (p->len < 12)
        return true; /* not an Ethernet frame: nothing to tag */
    if (pkt_headroom(p) < VLAN_HDR_LEN) {
        if (pkt_tailroom(p) < VLAN_HDR_LEN)
            return false;
        memmove(p->data + VLAN_HDR_LEN, p->data, p->len);
        p->data += VLAN_HDR_LEN;
    }
    eth_push_vlan(&p->data, &p->len, pkt_headroom(p), tpid, tci);
    shift_offload(p, VLAN_HDR_LEN);
    x->have_layout = false;
    return true;
}

static void strip_tag(struct exec *x)
{
    if (eth_pop_vlan(&x->p->data, &x->p->len)) {
        shift_offload(x->p, -VLAN_HDR_LEN);
        x->have_layout = false;
    }
}

/* mod_vlan_vid / mod_vlan_pcp: change the bits under mask, adding a tag if there is none. */
static bool set_tci(struct exec *x, uint16_t bits, uint16_t mask)
{
    struct pkt *p = x->p;
    if (frame_has_tag(p)) {
        uint16_t tci = load_be16(p->data + 14);
        store_be16(p->data + 14, (uint16_t)((tci & ~mask) | bits));
        return true;
    }
    return push_tag(x, ETHTYPE_VLAN, bits);
}

enum flow_verdict flow_actions_execute(const struct flow_actions *acts, struct pkt *p,
                                       const struct flow_output_ops *ops, void *ctx)
{
    struct exec x = {.p = p};
    unsigned outputs = 0;
    for (uint32_t i = 0; i < acts->n; i++) {
        const struct flow_action *a = &acts->a[i];
        bool last = !a->changes_later;
        switch (a->type) {
        case FA_OUTPUT:
            if (a->arg.port != p->in_port) {
                ops->output(ctx, p, a->arg.port, last);
                outputs++;
            }
            break;
        case FA_IN_PORT:
            ops->output(ctx, p, p->in_port, last);
            outputs++;
            break;
        case FA_NORMAL:
            ops->normal(ctx, p, last);
            outputs++;
            break;
        case FA_FLOOD:
        case FA_ALL:
            ops->flood(ctx, p, a->type == FA_ALL, last);
            outputs++;
            break;
        case FA_MOD_VLAN_VID:
            if (!set_tci(&x, a->arg.vid & FLOW_VLAN_VID_MASK, FLOW_VLAN_VID_MASK))
                return FLOW_NO_ROOM;
            break;
        case FA_MOD_VLAN_PCP:
            if (!set_tci(&x, (uint16_t)((a->arg.pcp & 7) << 13), FLOW_VLAN_PCP_MASK))
                return FLOW_NO_ROOM;
            break;
        case FA_STRIP_VLAN:
            strip_tag(&x);
            break;
        case FA_PUSH_VLAN:
            if (!push_tag(&x, a->arg.tpid, 0))
                return FLOW_NO_ROOM;
            break;
        case FA_MOD_DL_SRC:
            if (p->len >= ETH_HDR_LEN)
                memcpy(p->data + 6, a->arg.mac, 6);
            break;
        case FA_MOD_DL_DST:
            if (p->len >= ETH_HDR_LEN)
                memcpy(p->data, a->arg.mac, 6);
            break;
        case FA_MOD_NW_SRC:
            set_ipv4_addr(&x, 12, a->arg.ipv4);
            break;
        case FA_MOD_NW_DST:
            set_ipv4_addr(&x, 16, a->arg.ipv4);
            break;
        case FA_MOD_NW_TOS:
            set_tos(&x, a->arg.tos);
            break;
        case FA_MOD_TP_SRC:
            set_tp_port(&x, 0, a->arg.tp_port);
            break;
        case FA_MOD_TP_DST:
            set_tp_port(&x, 2, a->arg.tp_port);
            break;
        case FA_DEC_TTL:
            if (!dec_ttl(&x))
                return FLOW_TTL_EXPIRED;
            break;
        default:
            break;
        }
    }
    return outputs ? FLOW_SENT : FLOW_DROPPED;
}

/* port_afpacket.c - the `afpacket` port: an existing Linux interface, received through TPACKET_V2
 * and V3 mmap rings chosen by load (or one of them) and sent with one sendmmsg per burst. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/bpf.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "eth.h"
#include "offload.h"
#include "port.h"

/* Both rings take 16 MiB. V3 hands a block over when it is full or after RX_RETIRE_MS: many
 * small blocks absorb a long stall (about 100k minimum-size frames) while each still fits a
 * 64 KiB GSO frame, but a lone frame waits for the block timer (1 ms or more). V2 hands over
 * every frame as it is written and wakes the poller for it; its 8192 fixed slots of
 * RX_FRAME_SIZE hold any MTU-sized frame, and larger ones (GSO) reach us through the socket's
 * receive queue instead (PACKET_COPY_THRESH), in ring order. */
#define RX_BLOCK_SIZE (1u << 17)
#define RX_BLOCKS 128
#define RX_FRAME_SIZE 2048
#define RX_SLOTS (RX_BLOCK_SIZE / RX_FRAME_SIZE * RX_BLOCKS)
#define RX_RETIRE_MS 1 /* V3: a partly filled block is handed over after this long */
/* V2: room for the oversized frames queued beside the ring (each holds its whole skb). */
#define RX_QUEUE_BYTES (8 << 20)

/* rx_ring=auto: both rings, in one fanout group whose eBPF program sends every frame to one
 * of them. A port that receives AUTO_V3_FRAMES within AUTO_WINDOW_NS (by the kernel's receive
 * times) is switched to V3, where such a rate fills a block about as fast as the block timer
 * would hand it over; one that received fewer than AUTO_V2_FRAMES in a window goes back to V2. */
#define AUTO_WINDOW_NS 1000000
#define AUTO_V3_FRAMES 400
#define AUTO_V2_FRAMES 200
/* After a switch the ring no longer selected may still hold frames the other has not: a V3
 * block is handed over only when its timer fires. Until it surely has, only that ring is read,
 * so the frames of a flow keep their order across the switch. */
#define AUTO_HOLD_NS (3 * RX_RETIRE_MS * 1000000ull)
/* Newer than the installed headers: the group's hook ignores frames the host sends. */
#ifndef PACKET_FANOUT_FLAG_IGNORE_OUTGOING
#define PACKET_FANOUT_FLAG_IGNORE_OUTGOING 0x4000
#endif

struct rxring {
    int fd;
    bool v3;
    uint8_t *map;
    size_t size;
    unsigned cur_slot;              /* V2: next slot to look at */
    unsigned cur_block;             /* V3 */
    struct tpacket3_hdr *cur_frame; /* V3: next frame in the current block, NULL between blocks */
    uint32_t frames_left;
};

enum ring_mode { MODE_AUTO, MODE_V2, MODE_V3 };

struct afp {
    char dev[IFNAMSIZ];
    int ifindex;
    int tx_fd;
    enum ring_mode mode;
    struct rxring rx[2]; /* auto: [0] V2, [1] V3; otherwise [0] only */
    unsigned nrx;
    int map_fd, prog_fd;
    uint32_t *sel;            /* auto: the ring index the fanout program returns */
    bool on_v3;               /* auto: the fanout selects the V3 ring */
    uint64_t window_start_ns; /* auto, on V2: receive time of the window's first frame */
    unsigned window_frames;
    uint64_t hold_until_ns; /* auto: after a switch, only the old ring is read until then */
};

static struct tpacket_block_desc *block_at(struct rxring *a, unsigned i)
{
    return (struct tpacket_block_desc *)(a->map + (size_t)i * RX_BLOCK_SIZE);
}

static int setup_ring(struct afp *p, struct rxring *a, char *err, size_t errlen)
{
    int one = 1, version = a->v3 ? TPACKET_V3 : TPACKET_V2;
    a->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (a->fd < 0) {
        snprintf(err, errlen, "cannot open a packet socket: %s", strerror(errno));
        return -1;
    }
    /* tpacket_req is the leading part of tpacket_req3; V2 reads only that part. */
    struct tpacket_req3 req = {
        .tp_block_size = RX_BLOCK_SIZE,
        .tp_block_nr = RX_BLOCKS,
        .tp_frame_size = RX_FRAME_SIZE,
        .tp_frame_nr = RX_SLOTS,
        .tp_retire_blk_tov = a->v3 ? RX_RETIRE_MS : 0,
    };
    socklen_t reqlen = a->v3 ? sizeof(req) : sizeof(struct tpacket_req);
    if (setsockopt(a->fd, SOL_PACKET, PACKET_VERSION, &version, sizeof(version)) < 0 ||
        setsockopt(a->fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) < 0 ||
        setsockopt(a->fd, SOL_PACKET, PACKET_RX_RING, &req, reqlen) < 0) {
        snprintf(err, errlen, "cannot set up the receive ring: %s", strerror(errno));
        return -1;
    }
    if (!a->v3) {
        int qbytes = RX_QUEUE_BYTES;
        if (setsockopt(a->fd, SOL_PACKET, PACKET_COPY_THRESH, &one, sizeof(one)) < 0) {
            snprintf(err, errlen, "cannot queue large frames beside the ring: %s", strerror(errno));
            return -1;
        }
        if (setsockopt(a->fd, SOL_SOCKET, SO_RCVBUFFORCE, &qbytes, sizeof(qbytes)) < 0)
            setsockopt(a->fd, SOL_SOCKET, SO_RCVBUF, &qbytes, sizeof(qbytes));
    }
    a->size = (size_t)RX_BLOCK_SIZE * RX_BLOCKS;
    a->map = mmap(NULL, a->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED | MAP_POPULATE,
                  a->fd, 0);
    if (a->map == MAP_FAILED)
        a->map = mmap(NULL, a->size, PROT_READ | PROT_WRITE, MAP_SHARED, a->fd, 0);
    if (a->map == MAP_FAILED) {
        a->map = NULL;
        snprintf(err, errlen, "cannot map the receive ring: %s", strerror(errno));
        return -1;
    }
    /* Packets this port sends must not come back as received ones. */
    setsockopt(a->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
    struct sockaddr_ll sll = {
        .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = p->ifindex};
    if (bind(a->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
        snprintf(err, errlen, "cannot bind to %s: %s", p->dev, strerror(errno));
        return -1;
    }
    struct packet_mreq mr = {.mr_ifindex = p->ifindex, .mr_type = PACKET_MR_PROMISC};
    if (setsockopt(a->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
        snprintf(err, errlen, "cannot make %s promiscuous: %s", p->dev, strerror(errno));
        return -1;
    }
    return 0;
}

static long bpf_call(int cmd, union bpf_attr *attr)
{
    return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* The fanout group's eBPF program returns the ring index held in a one-element array map that
 * is also mapped here: switching rings is a store, with no system call and no wait for the
 * kernel to retire the old program. */
static int setup_selector(struct afp *a)
{
    union bpf_attr m = {.map_type = BPF_MAP_TYPE_ARRAY,
                        .key_size = 4,
                        .value_size = 4,
                        .max_entries = 1,
                        .map_flags = BPF_F_MMAPABLE};
    a->map_fd = (int)bpf_call(BPF_MAP_CREATE, &m);
    if (a->map_fd < 0)
        return -1;
    a->sel = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, a->map_fd, 0);
    if (a->sel == MAP_FAILED) {
        a->sel = NULL;
        return -1;
    }
    struct bpf_insn prog[] = {
        /* r1 = &value[0] (a two-slot load of the map value's address) */
        {.code = BPF_LD | BPF_DW | BPF_IMM,
         .dst_reg = 1,
         .src_reg = BPF_PSEUDO_MAP_VALUE,
         .imm = a->map_fd},
        {.imm = 0},
        {.code = BPF_LDX | BPF_W | BPF_MEM, .dst_reg = 0, .src_reg = 1},
        {.code = BPF_JMP | BPF_EXIT},
    };
    static const char license[] = "GPL";
    union bpf_attr p = {.prog_type = BPF_PROG_TYPE_SOCKET_FILTER,
                        .insn_cnt = sizeof(prog) / sizeof(prog[0]),
                        .insns = (uint64_t)(uintptr_t)prog,
                        .license = (uint64_t)(uintptr_t)license};
    a->prog_fd = (int)bpf_call(BPF_PROG_LOAD, &p);
    return a->prog_fd < 0 ? -1 : 0;
}

static uint64_t mono_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void select_ring(struct afp *a, bool v3)
{
    __atomic_store_n(a->sel, v3 ? 1u : 0u, __ATOMIC_RELAXED);
    a->on_v3 = v3;
    a->window_start_ns = 0;
    a->window_frames = 0;
    a->hold_until_ns = mono_now_ns() + AUTO_HOLD_NS;
}

static int setup_rx(struct afp *a, char *err, size_t errlen)
{
    /* Without the right to load BPF programs (CAP_BPF) the port keeps the V2 ring alone. */
    if (a->mode == MODE_AUTO && setup_selector(a) < 0)
        a->mode = MODE_V2;
    a->nrx = a->mode == MODE_AUTO ? 2 : 1;
    a->rx[0].v3 = a->mode == MODE_V3;
    a->rx[1].v3 = true;
    for (unsigned i = 0; i < a->nrx; i++)
        if (setup_ring(a, &a->rx[i], err, errlen) < 0)
            return -1;
    if (a->mode != MODE_AUTO)
        return 0;
    int flags = PACKET_FANOUT_EBPF | PACKET_FANOUT_FLAG_IGNORE_OUTGOING;
    int first = (flags | PACKET_FANOUT_FLAG_UNIQUEID) << 16, group = 0;
    socklen_t len = sizeof(group);
    if (setsockopt(a->rx[0].fd, SOL_PACKET, PACKET_FANOUT, &first, sizeof(first)) < 0 ||
        getsockopt(a->rx[0].fd, SOL_PACKET, PACKET_FANOUT, &group, &len) < 0) {
        snprintf(err, errlen, "cannot group the receive rings: %s", strerror(errno));
        return -1;
    }
    int second = (group & 0xffff) | flags << 16;
    if (setsockopt(a->rx[1].fd, SOL_PACKET, PACKET_FANOUT, &second, sizeof(second)) < 0 ||
        setsockopt(a->rx[0].fd, SOL_PACKET, PACKET_FANOUT_DATA, &a->prog_fd, sizeof(a->prog_fd)) <
            0) {
        snprintf(err, errlen, "cannot group the receive rings: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static int setup_tx(struct afp *a, char *err, size_t errlen)
{
    int one = 1;
    /* Protocol 0: this socket only sends, it never queues received packets. */
    a->tx_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (a->tx_fd < 0 || setsockopt(a->tx_fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) < 0) {
        snprintf(err, errlen, "cannot open a sending packet socket: %s", strerror(errno));
        return -1;
    }
    setsockopt(a->tx_fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
    int sndbuf = 4 << 20;
    setsockopt(a->tx_fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf));
    struct sockaddr_ll sll = {
        .sll_family = AF_PACKET, .sll_protocol = 0, .sll_ifindex = a->ifindex};
    if (bind(a->tx_fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
        snprintf(err, errlen, "cannot bind to %s: %s", a->dev, strerror(errno));
        return -1;
    }
    return 0;
}

static void afp_free(struct afp *a)
{
    for (unsigned i = 0; i < 2; i++) {
        if (a->rx[i].map)
            munmap(a->rx[i].map, a->rx[i].size);
        if (a->rx[i].fd >= 0)
            close(a->rx[i].fd);
    }
    if (a->sel)
        munmap(a->sel, 4096);
    if (a->prog_fd >= 0)
        close(a->prog_fd);
    if (a->map_fd >= 0)
        close(a->map_fd);
    if (a->tx_fd >= 0)
        close(a->tx_fd);
    free(a);
}

static int afp_open(struct port *p, char *err, size_t errlen)
{
    const char *dev = port_arg(&p->args, "dev");
    if (!dev) {
        snprintf(err, errlen, "type=afpacket needs dev=INTERFACE");
        return -1;
    }
    if (strlen(dev) >= IFNAMSIZ) {
        snprintf(err, errlen, "interface name too long: %s", dev);
        return -1;
    }
    struct afp *a = calloc(1, sizeof(*a));
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    a->rx[0].fd = a->rx[1].fd = a->tx_fd = a->map_fd = a->prog_fd = -1;
    snprintf(a->dev, sizeof(a->dev), "%s", dev);
    const char *ring = port_arg(&p->args, "rx_ring");
    if (!ring || strcmp(ring, "auto") == 0) {
        a->mode = MODE_AUTO;
    } else if (strcmp(ring, "v2") == 0) {
        a->mode = MODE_V2;
    } else if (strcmp(ring, "v3") == 0) {
        a->mode = MODE_V3;
    } else {
        snprintf(err, errlen, "rx_ring must be auto, v2 or v3, not %s", ring);
        afp_free(a);
        return -1;
    }
    a->ifindex = (int)if_nametoindex(dev);
    if (a->ifindex == 0) {
        snprintf(err, errlen, "no such interface: %s", dev);
        afp_free(a);
        return -1;
    }
    if (setup_rx(a, err, errlen) < 0 || setup_tx(a, err, errlen) < 0) {
        afp_free(a);
        return -1;
    }
    p->priv = a;
    return 0;
}

static void release_block(struct rxring *a)
{
    struct tpacket_block_desc *b = block_at(a, a->cur_block);
    __atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    a->cur_block = (a->cur_block + 1) % RX_BLOCKS;
    a->cur_frame = NULL;
}

/* What the ring's frame header says about a frame, the same for both ring versions. */
struct rx_meta {
    uint32_t status, len, snaplen;
    uint16_t tci, tpid;
    uint64_t ts_ns;
};

/* The kernel strips the 802.1Q tag into the ring's metadata: put it back in front, in the
 * pool packet's headroom. */
static void push_tag(struct pkt *p, const struct rx_meta *m)
{
    uint16_t tpid = (m->status & TP_STATUS_VLAN_TPID_VALID) ? m->tpid : ETHTYPE_VLAN;
    if (eth_push_vlan(&p->data, &p->len, pkt_headroom(p), tpid, m->tci))
        offload_shift(&p->offload, VLAN_HDR_LEN);
}

static bool has_tag(const struct rx_meta *m)
{
    return (m->status & TP_STATUS_VLAN_VALID) && m->len >= 12;
}

/* Copies one ring frame (preceded by its virtio-net header) into a packet. */
static bool copy_frame(struct port *port, const uint8_t *frame, const struct rx_meta *m,
                       struct pkt *p)
{
    uint32_t len = m->snaplen;
    if (len != m->len || len + (has_tag(m) ? VLAN_HDR_LEN : 0) > pkt_tailroom(p)) {
        port->stats.rx_packets++;
        /* A cut frame is one V2 had no room for beside the ring (its queue was full). */
        port->stats.rx_drops[len < m->len ? DROP_RING_FULL : DROP_MALFORMED]++;
        return false;
    }
    offload_from_vnet((const struct virtio_net_hdr *)(frame - sizeof(struct virtio_net_hdr)),
                      &p->offload);
    memcpy(p->data, frame, len);
    p->len = len;
    if (has_tag(m))
        push_tag(p, m);
    p->ts_ns = m->ts_ns;
    return true;
}

static unsigned rx_v3(struct port *port, struct rxring *a, struct pkt **pkts, unsigned max,
                      struct pkt_pool *pool)
{
    unsigned n = 0;
    while (n < max) {
        if (!a->cur_frame) {
            struct tpacket_block_desc *b = block_at(a, a->cur_block);
            if (!(__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
                break;
            a->frames_left = b->hdr.bh1.num_pkts;
            if (a->frames_left == 0) {
                release_block(a);
                continue;
            }
            a->cur_frame = (struct tpacket3_hdr *)((uint8_t *)b + b->hdr.bh1.offset_to_first_pkt);
        }
        struct pkt *p = pkt_alloc(pool);
        if (!p)
            break; /* stays in the ring until buffers come back */
        struct tpacket3_hdr *h = a->cur_frame;
        struct rx_meta m = {.status = h->tp_status,
                            .len = h->tp_len,
                            .snaplen = h->tp_snaplen,
                            .tci = (uint16_t)h->hv1.tp_vlan_tci,
                            .tpid = (uint16_t)h->hv1.tp_vlan_tpid,
                            .ts_ns = (uint64_t)h->tp_sec * 1000000000ull + h->tp_nsec};
        if (copy_frame(port, (const uint8_t *)h + h->tp_mac, &m, p))
            pkts[n++] = p;
        else
            pkt_free(p);
        if (--a->frames_left)
            a->cur_frame = (struct tpacket3_hdr *)((uint8_t *)h + h->tp_next_offset);
        else
            release_block(a);
    }
    return n;
}

static struct tpacket2_hdr *slot_at(struct rxring *a, unsigned i)
{
    return (struct tpacket2_hdr *)(a->map + (size_t)i * RX_FRAME_SIZE);
}

static struct rx_meta meta_v2(const struct tpacket2_hdr *h, uint32_t status)
{
    return (struct rx_meta){.status = status,
                            .len = h->tp_len,
                            .snaplen = h->tp_snaplen,
                            .tci = h->tp_vlan_tci,
                            .tpid = h->tp_vlan_tpid,
                            .ts_ns = (uint64_t)h->tp_sec * 1000000000ull + h->tp_nsec};
}

/* Frames too big for a slot (TP_STATUS_COPY) wait whole in the socket's receive queue, in
 * ring order: the `ncopy` of them among the burst's frames are read with one recvmmsg, each
 * into its frame's packet behind its virtio-net header (in the headroom). Returns how many
 * were read; a packet whose copy came in cut or empty gets length 0. */
static unsigned read_queued(struct rxring *a, struct pkt **bufs, const uint32_t *status, unsigned n,
                            unsigned ncopy)
{
    struct mmsghdr msgs[PKT_BURST];
    struct iovec iov[PKT_BURST][2];
    struct pkt *dst[PKT_BURST];
    unsigned k = 0;
    for (unsigned i = 0; i < n && k < ncopy; i++) {
        if (!(status[i] & TP_STATUS_COPY))
            continue;
        struct pkt *p = dst[k] = bufs[i];
        iov[k][0] =
            (struct iovec){p->data - sizeof(struct virtio_net_hdr), sizeof(struct virtio_net_hdr)};
        iov[k][1] = (struct iovec){p->data, pkt_tailroom(p) - VLAN_HDR_LEN};
        msgs[k] = (struct mmsghdr){.msg_hdr = {.msg_iov = iov[k], .msg_iovlen = 2}};
        k++;
    }
    int r = recvmmsg(a->fd, msgs, k, MSG_DONTWAIT, NULL);
    unsigned got = r > 0 ? (unsigned)r : 0;
    for (unsigned i = 0; i < got; i++) {
        bool whole = !(msgs[i].msg_hdr.msg_flags & MSG_TRUNC) &&
                     msgs[i].msg_len > sizeof(struct virtio_net_hdr);
        dst[i]->len = whole ? msgs[i].msg_len - (unsigned)sizeof(struct virtio_net_hdr) : 0;
    }
    return got;
}

/* The queued copy of a frame, checked against its slot's header. */
static bool take_queued(struct port *port, const struct rx_meta *m, struct pkt *p)
{
    if (p->len == 0 || p->len != m->len) {
        port->stats.rx_packets++;
        port->stats.rx_drops[DROP_MALFORMED]++;
        return false;
    }
    offload_from_vnet((const struct virtio_net_hdr *)(p->data - sizeof(struct virtio_net_hdr)),
                      &p->offload);
    if (has_tag(m))
        push_tag(p, m);
    p->ts_ns = m->ts_ns;
    return true;
}

/* Every ready slot of the burst gets its buffer first, so that copies read from the queue
 * are always consumed in the same call (a copy read but left over would shift the pairing
 * of slots and copies). */
static unsigned rx_v2(struct port *port, struct rxring *a, struct pkt **pkts, unsigned max,
                      struct pkt_pool *pool)
{
    struct pkt *bufs[PKT_BURST];
    uint32_t status[PKT_BURST];
    unsigned ready = 0, ncopy = 0, n = 0;
    if (max > PKT_BURST)
        max = PKT_BURST;
    while (ready < max) {
        uint32_t st = __atomic_load_n(&slot_at(a, (a->cur_slot + ready) % RX_SLOTS)->tp_status,
                                      __ATOMIC_ACQUIRE);
        if (!(st & TP_STATUS_USER))
            break;
        status[ready++] = st;
    }
    if (ready == 0)
        return 0;
    ready = pkt_alloc_burst(pool, bufs, ready); /* the rest waits in the ring */
    for (unsigned i = 0; i < ready; i++)
        ncopy += (status[i] & TP_STATUS_COPY) != 0;
    unsigned got = ncopy ? read_queued(a, bufs, status, ready, ncopy) : 0;
    for (unsigned i = 0, c = 0; i < ready; i++) {
        struct tpacket2_hdr *h = slot_at(a, a->cur_slot);
        struct rx_meta m = meta_v2(h, status[i]);
        struct pkt *p = bufs[i];
        bool ok;
        if (status[i] & TP_STATUS_COPY) {
            if (c++ >= got)
                p->len = 0; /* promised by the kernel but not there: counted below */
            ok = take_queued(port, &m, p);
        } else {
            ok = copy_frame(port, (const uint8_t *)h + h->tp_mac, &m, p);
        }
        if (ok)
            pkts[n++] = p;
        else
            pkt_free(p);
        __atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
        a->cur_slot = (a->cur_slot + 1) % RX_SLOTS;
    }
    return n;
}

static unsigned ring_rx(struct port *port, struct rxring *r, struct pkt **pkts, unsigned max,
                        struct pkt_pool *pool)
{
    return r->v3 ? rx_v3(port, r, pkts, max, pool) : rx_v2(port, r, pkts, max, pool);
}

/* auto: the V3 ring first (frames it still holds from before a switch are the older ones),
 * then the V2 ring; the selector follows the load seen here. */
static unsigned afp_rx(struct port *port, struct pkt **pkts, unsigned max, struct pkt_pool *pool)
{
    struct afp *a = port->priv;
    if (a->mode != MODE_AUTO)
        return ring_rx(port, &a->rx[0], pkts, max, pool);
    /* Right after a switch only the old ring is read (its frames are the older ones); then
     * the old ring first, with up to half a burst, and the selected ring the rest. */
    struct rxring *cur = &a->rx[a->on_v3], *old = &a->rx[!a->on_v3];
    bool hold = a->hold_until_ns && mono_now_ns() < a->hold_until_ns;
    if (!hold)
        a->hold_until_ns = 0;
    unsigned n_old = ring_rx(port, old, pkts, hold ? max : max / 2, pool);
    unsigned n_cur = hold ? 0 : ring_rx(port, cur, pkts + n_old, max - n_old, pool);
    unsigned n = n_old + n_cur;
    if (n) {
        uint64_t last = pkts[n - 1]->ts_ns;
        if (last - a->window_start_ns >= AUTO_WINDOW_NS) {
            bool was_v3 = a->on_v3, slow = a->window_start_ns && a->window_frames < AUTO_V2_FRAMES;
            a->window_start_ns = last;
            a->window_frames = 0;
            if (was_v3 && slow)
                select_ring(a, false);
        }
        a->window_frames += n;
        if (!a->on_v3 && a->window_frames >= AUTO_V3_FRAMES)
            select_ring(a, true);
    }
    return n;
}

static unsigned afp_tx(struct port *port, struct pkt **pkts, unsigned n)
{
    struct afp *a = port->priv;
    struct mmsghdr msgs[PKT_BURST];
    struct iovec iov[PKT_BURST][2];
    struct virtio_net_hdr vh[PKT_BURST];
    if (n > PKT_BURST)
        n = PKT_BURST;
    for (unsigned i = 0; i < n; i++) {
        offload_to_vnet(&pkts[i]->offload, &vh[i]);
        iov[i][0] = (struct iovec){&vh[i], sizeof(vh[i])};
        iov[i][1] = (struct iovec){pkts[i]->data, pkts[i]->len};
        msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = iov[i], .msg_iovlen = 2}};
    }
    unsigned done = 0, sent = 0;
    while (done < n) {
        int r = sendmmsg(a->tx_fd, msgs + done, n - done, MSG_DONTWAIT);
        if (r > 0) {
            done += (unsigned)r;
            sent += (unsigned)r;
        } else if (r < 0 && errno == EINTR) {
            continue;
        } else if (r < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
            break;
        } else {
            /* This frame was refused (too big, device gone): count it, send the rest. */
            port->stats.tx_drops[DROP_TX_ERROR]++;
            done++;
            if (errno == ENXIO || errno == ENODEV || errno == ENETDOWN)
                break;
        }
    }
    return sent;
}

/* Frames the kernel could not put in the ring are counted there; collecting them (the read
 * resets the kernel's count) keeps the promise that every frame is accounted for. */
static void afp_tick(struct port *port)
{
    struct afp *a = port->priv;
    for (unsigned i = 0; i < a->nrx; i++) {
        struct tpacket_stats_v3 st;
        socklen_t len = sizeof(st);
        if (getsockopt(a->rx[i].fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0 && st.tp_drops) {
            port->stats.rx_packets += st.tp_drops;
            port->stats.rx_drops[DROP_RING_FULL] += st.tp_drops;
        }
    }
}

static int afp_poll_fd(struct port *port)
{
    struct afp *a = port->priv;
    return a->rx[0].fd;
}

/* auto: the V3 ring's socket is watched too (both wake the data plane directly; a frame left
 * in the ring no longer selected is handed over by its block timer, maybe after the port went
 * back to sleep). */
static int afp_poll_fd2(struct port *port)
{
    struct afp *a = port->priv;
    return a->mode == MODE_AUTO ? a->rx[1].fd : -1;
}

static bool afp_link_up(struct port *port)
{
    struct afp *a = port->priv;
    struct ifreq ifr = {0};
    if (!if_indextoname((unsigned)a->ifindex, ifr.ifr_name) || strcmp(ifr.ifr_name, a->dev) != 0)
        return false;
    if (ioctl(a->tx_fd, SIOCGIFFLAGS, &ifr) < 0)
        return false;
    return (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
}

static void afp_describe(struct port *port, struct jw *w)
{
    struct afp *a = port->priv;
    jw_kstr(w, "dev", a->dev);
    jw_kint(w, "ifindex", a->ifindex);
    jw_kstr(w, "rx",
            a->mode == MODE_AUTO
                ? (a->on_v3 ? "auto(tpacket_v3)+vnet_hdr" : "auto(tpacket_v2)+vnet_hdr")
            : a->mode == MODE_V3 ? "tpacket_v3+vnet_hdr"
                                 : "tpacket_v2+vnet_hdr");
    jw_kstr(w, "tx", "sendmmsg+vnet_hdr");
}

static void afp_close(struct port *port)
{
    afp_free(port->priv);
}

PORT_KIND(afpacket_kind, {.name = "afpacket",
                          .open = afp_open,
                          .rx = afp_rx,
                          .tx = afp_tx,
                          .poll_fd = afp_poll_fd,
                          .poll_fd2 = afp_poll_fd2,
                          .tick = afp_tick,
                          .link_up = afp_link_up,
                          .describe = afp_describe,
                          .close = afp_close,
                          .flags = PORT_KIND_F_OFFLOAD});

/* port_afpacket.c - the `afpacket` port: an existing Linux interface, received through a
 * TPACKET_V3 mmap ring and sent with one sendmmsg per burst, offload state kept. */
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
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "eth.h"
#include "offload.h"
#include "port.h"

/* Blocks are handed over when full or after RX_RETIRE_MS; many small blocks let the ring absorb
 * a long stall (16 MiB: about 100k minimum-size frames) while each still fits a 64 KiB GSO
 * frame. */
#define RX_BLOCK_SIZE (1u << 17)
#define RX_BLOCKS 128
#define RX_FRAME_SIZE 2048
#define RX_RETIRE_MS 1 /* a partly filled block is handed over after this long */

struct afp {
    char dev[IFNAMSIZ];
    int ifindex;
    int rx_fd, tx_fd;
    uint8_t *ring;
    size_t ring_size;
    unsigned cur_block;
    struct tpacket3_hdr *cur_frame; /* next frame in the current block, NULL between blocks */
    uint32_t frames_left;
};

static struct tpacket_block_desc *block_at(struct afp *a, unsigned i)
{
    return (struct tpacket_block_desc *)(a->ring + (size_t)i * RX_BLOCK_SIZE);
}

static int setup_rx(struct afp *a, char *err, size_t errlen)
{
    int one = 1, v3 = TPACKET_V3;
    a->rx_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (a->rx_fd < 0) {
        snprintf(err, errlen, "cannot open a packet socket: %s", strerror(errno));
        return -1;
    }
    struct tpacket_req3 req = {
        .tp_block_size = RX_BLOCK_SIZE,
        .tp_block_nr = RX_BLOCKS,
        .tp_frame_size = RX_FRAME_SIZE,
        .tp_frame_nr = RX_BLOCK_SIZE / RX_FRAME_SIZE * RX_BLOCKS,
        .tp_retire_blk_tov = RX_RETIRE_MS,
    };
    if (setsockopt(a->rx_fd, SOL_PACKET, PACKET_VERSION, &v3, sizeof(v3)) < 0 ||
        setsockopt(a->rx_fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) < 0 ||
        setsockopt(a->rx_fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0) {
        snprintf(err, errlen, "cannot set up the receive ring: %s", strerror(errno));
        return -1;
    }
    a->ring_size = (size_t)RX_BLOCK_SIZE * RX_BLOCKS;
    a->ring = mmap(NULL, a->ring_size, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_LOCKED | MAP_POPULATE, a->rx_fd, 0);
    if (a->ring == MAP_FAILED)
        a->ring = mmap(NULL, a->ring_size, PROT_READ | PROT_WRITE, MAP_SHARED, a->rx_fd, 0);
    if (a->ring == MAP_FAILED) {
        a->ring = NULL;
        snprintf(err, errlen, "cannot map the receive ring: %s", strerror(errno));
        return -1;
    }
    /* Packets this port sends must not come back as received ones. */
    setsockopt(a->rx_fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
    struct sockaddr_ll sll = {
        .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = a->ifindex};
    if (bind(a->rx_fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
        snprintf(err, errlen, "cannot bind to %s: %s", a->dev, strerror(errno));
        return -1;
    }
    struct packet_mreq mr = {.mr_ifindex = a->ifindex, .mr_type = PACKET_MR_PROMISC};
    if (setsockopt(a->rx_fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
        snprintf(err, errlen, "cannot make %s promiscuous: %s", a->dev, strerror(errno));
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
    if (a->ring)
        munmap(a->ring, a->ring_size);
    if (a->rx_fd >= 0)
        close(a->rx_fd);
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
    a->rx_fd = a->tx_fd = -1;
    snprintf(a->dev, sizeof(a->dev), "%s", dev);
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

static void release_block(struct afp *a)
{
    struct tpacket_block_desc *b = block_at(a, a->cur_block);
    __atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    a->cur_block = (a->cur_block + 1) % RX_BLOCKS;
    a->cur_frame = NULL;
}

/* Copies one ring frame into a packet, putting back the 802.1Q tag the kernel took out. */
static bool copy_frame(struct port *port, const struct tpacket3_hdr *h, struct pkt *p)
{
    const uint8_t *frame = (const uint8_t *)h + h->tp_mac;
    uint32_t len = h->tp_snaplen;
    bool tag = (h->tp_status & TP_STATUS_VLAN_VALID) && len >= 12;
    if (len != h->tp_len || len + (tag ? VLAN_HDR_LEN : 0) > pkt_tailroom(p)) {
        port->stats.rx_packets++;
        port->stats.rx_drops[DROP_MALFORMED]++;
        return false;
    }
    offload_from_vnet((const struct virtio_net_hdr *)(frame - sizeof(struct virtio_net_hdr)),
                      &p->offload);
    if (tag) {
        uint16_t tpid =
            (h->tp_status & TP_STATUS_VLAN_TPID_VALID) ? h->hv1.tp_vlan_tpid : ETHTYPE_VLAN;
        uint16_t tci = h->hv1.tp_vlan_tci;
        memcpy(p->data, frame, 12);
        p->data[12] = (uint8_t)(tpid >> 8);
        p->data[13] = (uint8_t)tpid;
        p->data[14] = (uint8_t)(tci >> 8);
        p->data[15] = (uint8_t)tci;
        memcpy(p->data + 16, frame + 12, len - 12);
        p->len = len + VLAN_HDR_LEN;
        offload_shift(&p->offload, VLAN_HDR_LEN);
    } else {
        memcpy(p->data, frame, len);
        p->len = len;
    }
    p->ts_ns = (uint64_t)h->tp_sec * 1000000000ull + h->tp_nsec;
    return true;
}

static unsigned afp_rx(struct port *port, struct pkt **pkts, unsigned max, struct pkt_pool *pool)
{
    struct afp *a = port->priv;
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
        if (copy_frame(port, h, p))
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
    struct tpacket_stats_v3 st;
    socklen_t len = sizeof(st);
    if (getsockopt(a->rx_fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0 && st.tp_drops) {
        port->stats.rx_packets += st.tp_drops;
        port->stats.rx_drops[DROP_RING_FULL] += st.tp_drops;
    }
}

static int afp_poll_fd(struct port *port)
{
    return ((struct afp *)port->priv)->rx_fd;
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
    jw_kstr(w, "rx", "tpacket_v3+vnet_hdr");
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
                          .tick = afp_tick,
                          .link_up = afp_link_up,
                          .describe = afp_describe,
                          .close = afp_close,
                          .flags = PORT_KIND_F_OFFLOAD});

/* port_tap.c - the `tap` port: a TAP device the kernel sees as an interface, read and written
 * with a virtio-net header so checksum and segmentation offload cross it intact. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "offload.h"
#include "port.h"

struct tap {
    int fd;
    int ctl_fd; /* a datagram socket for interface ioctls */
    char dev[IFNAMSIZ];
};

static int set_up(struct tap *t, char *err, size_t errlen)
{
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", t->dev);
    if (ioctl(t->ctl_fd, SIOCGIFFLAGS, &ifr) < 0)
        goto fail;
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(t->ctl_fd, SIOCSIFFLAGS, &ifr) < 0)
        goto fail;
    return 0;
fail:
    snprintf(err, errlen, "cannot bring %s up: %s", t->dev, strerror(errno));
    return -1;
}

/* Offloads the kernel may hand us (and that we pass on): partial checksums and TSO. */
static void enable_offloads(struct tap *t)
{
    int hdrsz = sizeof(struct virtio_net_hdr);
    ioctl(t->fd, TUNSETVNETHDRSZ, &hdrsz);
    ioctl(t->fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN);
}

static int tap_open(struct port *p, char *err, size_t errlen)
{
    const char *dev = port_arg(&p->args, "dev");
    const char *adopt = port_arg(&p->args, "_fd");
    if (!dev)
        dev = p->name;
    if (strlen(dev) >= IFNAMSIZ) {
        snprintf(err, errlen, "interface name too long: %s", dev);
        return -1;
    }
    struct tap *t = calloc(1, sizeof(*t));
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    t->ctl_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr = {0};
    if (adopt) {
        /* A device another part of the switch created (virtual NICs): take its descriptor. */
        t->fd = atoi(adopt);
        if (ioctl(t->fd, TUNGETIFF, &ifr) < 0) {
            snprintf(err, errlen, "descriptor %s is not a TAP device", adopt);
            goto fail;
        }
        snprintf(t->dev, sizeof(t->dev), "%s", ifr.ifr_name);
    } else {
        if (if_nametoindex(dev) != 0) {
            snprintf(err, errlen, "interface exists: %s", dev);
            t->fd = -1;
            goto fail;
        }
        t->fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
        if (t->fd < 0) {
            snprintf(err, errlen, "cannot open /dev/net/tun: %s", strerror(errno));
            goto fail;
        }
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
        memcpy(ifr.ifr_name, dev, strlen(dev) + 1); /* length checked above */
        if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
            snprintf(err, errlen, "cannot create TAP device %s: %s", dev, strerror(errno));
            goto fail;
        }
        snprintf(t->dev, sizeof(t->dev), "%s", ifr.ifr_name);
    }
    fcntl(t->fd, F_SETFL, fcntl(t->fd, F_GETFL) | O_NONBLOCK);
    enable_offloads(t);
    if (!adopt && set_up(t, err, errlen) < 0)
        goto fail;
    p->priv = t;
    return 0;
fail:
    if (t->fd >= 0)
        close(t->fd);
    if (t->ctl_fd >= 0)
        close(t->ctl_fd);
    free(t);
    return -1;
}

/* The kernel gives TAP no batch interface: one read per frame, stopping at the first empty. */
static unsigned tap_rx(struct port *port, struct pkt **pkts, unsigned max, struct pkt_pool *pool)
{
    struct tap *t = port->priv;
    unsigned n = 0;
    while (n < max) {
        struct pkt *p = pkt_alloc(pool);
        if (!p)
            break;
        struct virtio_net_hdr vh;
        struct iovec iov[2] = {{&vh, sizeof(vh)}, {p->data, pkt_tailroom(p)}};
        ssize_t r = readv(t->fd, iov, 2);
        if (r < (ssize_t)sizeof(vh)) {
            pkt_free(p);
            if (r < 0 && errno != EAGAIN && errno != EINTR)
                port->failed = true;
            break;
        }
        p->len = (uint32_t)r - sizeof(vh);
        offload_from_vnet(&vh, &p->offload);
        pkts[n++] = p;
    }
    return n;
}

static unsigned tap_tx(struct port *port, struct pkt **pkts, unsigned n)
{
    struct tap *t = port->priv;
    unsigned sent = 0;
    for (unsigned i = 0; i < n; i++) {
        struct virtio_net_hdr vh;
        offload_to_vnet(&pkts[i]->offload, &vh);
        struct iovec iov[2] = {{&vh, sizeof(vh)}, {pkts[i]->data, pkts[i]->len}};
        ssize_t w = writev(t->fd, iov, 2);
        if (w >= 0) {
            sent++;
        } else if (errno == EAGAIN) {
            break;
        } else {
            port->stats.tx_drops[DROP_TX_ERROR]++;
        }
    }
    return sent;
}

static int tap_poll_fd(struct port *port)
{
    return ((struct tap *)port->priv)->fd;
}

static bool tap_link_up(struct port *port)
{
    struct tap *t = port->priv;
    struct ifreq ifr = {0};
    if (ioctl(t->fd, TUNGETIFF, &ifr) < 0)
        return false;
    /* The device may live in another namespace (virtual NICs): trust the descriptor. */
    if (ioctl(t->ctl_fd, SIOCGIFFLAGS, &ifr) < 0)
        return true;
    return ifr.ifr_flags & IFF_UP;
}

static void tap_describe(struct port *port, struct jw *w)
{
    jw_kstr(w, "dev", ((struct tap *)port->priv)->dev);
}

static void tap_close(struct port *port)
{
    struct tap *t = port->priv;
    close(t->fd);
    close(t->ctl_fd);
    free(t);
}

PORT_KIND(tap_kind, {.name = "tap",
                     .open = tap_open,
                     .rx = tap_rx,
                     .tx = tap_tx,
                     .poll_fd = tap_poll_fd,
                     .link_up = tap_link_up,
                     .describe = tap_describe,
                     .close = tap_close,
                     .flags = PORT_KIND_F_OFFLOAD});

/* fuzz_memif_msg.c - libFuzzer target for the memif control channel: a client sends any
 * sequence of messages (with real memfds and eventfds attached where the input says so) to a
 * memif port over a socket; the server must refuse or accept without faulting or leaking. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "mainloop.h"
#include "port_memif.h"
#include "ports.h"

static struct port port;
static struct memif_port *mp;
static char path[108];

static void pump(void)
{
    struct memif_listener *l = mp->listener;
    memif_listener_on_accept(l, 0);
    struct memif_cc *ccs[64];
    unsigned n = memif_listener_list(l, ccs, 64);
    for (unsigned i = 0; i < n; i++) {
        struct memif_cc *live[64];
        unsigned nlive = memif_listener_list(l, live, 64);
        for (unsigned k = 0; k < nlive; k++)
            if (live[k] == ccs[i])
                memif_cc_on_readable(ccs[i], 0);
    }
}

static void setup(void)
{
    mainloop_init();
    snprintf(path, sizeof(path), "/tmp/sluice-fuzz-memif-%d.sock", (int)getpid());
    snprintf(port.name, sizeof(port.name), "fz");
    port_args_set(&port.args, "socket", path);
    port_args_set(&port.args, "id", "0");
    port_args_set(&port.args, "ring_size", "64");
    char err[128];
    if (memif_port_open(&port, err, sizeof(err)) != 0)
        abort();
    mp = port.priv;
}

/* A region the input describes: sealed or not, with rings initialised at the start. */
static int make_region(uint8_t how, uint32_t size)
{
    int fd = memfd_create("fz", MFD_ALLOW_SEALING);
    if (fd < 0)
        return -1;
    if (ftruncate(fd, size) != 0) {
        close(fd);
        return -1;
    }
    if (how & 1)
        fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK);
    if (how & 2) {
        uint8_t *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (m != MAP_FAILED) {
            for (uint32_t off = 0; off + 8 <= size; off += 128)
                memcpy(m + off, &(uint32_t){MEMIF_COOKIE}, 4);
            munmap(m, size);
        }
    }
    return fd;
}

static void send_with_fd(int s, const void *buf, size_t len, int fd)
{
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
    union {
        char b[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (fd >= 0) {
        memset(&ctl, 0, sizeof(ctl));
        mh.msg_control = ctl.b;
        mh.msg_controllen = sizeof(ctl.b);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    sendmsg(s, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Input: records of [length byte][fd kind byte][message bytes...]. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!mp)
        setup();
    int s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path, path, strlen(path) + 1);
    if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(s);
        return 0;
    }
    pump();
    uint8_t junk[256];
    while (recv(s, junk, sizeof(junk), MSG_DONTWAIT) > 0) {
    }
    size_t pos = 0;
    int records = 0;
    while (pos + 2 <= size && records++ < 32) {
        size_t len = data[pos];
        uint8_t kind = data[pos + 1];
        pos += 2;
        if (len == 0)
            len = MEMIF_MSG_SIZE;
        uint8_t msg[256] = {0};
        size_t take = size - pos < len ? size - pos : len;
        memcpy(msg, data + pos, take);
        pos += take;
        int fd = -1;
        switch (kind & 7) {
        case 1:
            fd = eventfd(0, 0);
            break;
        case 2:
        case 3: {
            struct memif_msg_add_region r;
            memcpy(&r, msg + 2, sizeof(r));
            uint32_t rsize = r.size > 0 && r.size < (1u << 20) ? (uint32_t)r.size : 4096;
            fd = make_region((uint8_t)((kind >> 3) | (kind & 1)), rsize);
            break;
        }
        case 4: {
            int p[2];
            if (pipe(p) == 0) {
                close(p[1]);
                fd = p[0];
            }
            break;
        }
        default:
            break;
        }
        send_with_fd(s, msg, len, fd);
        if (fd >= 0)
            close(fd);
        pump();
        while (recv(s, junk, sizeof(junk), MSG_DONTWAIT) > 0) {
        }
    }
    /* Exercise the data path on whatever connection came up. */
    if (atomic_load(&mp->conn)) {
        static struct pkt_pool *pool;
        if (!pool)
            pool = pkt_pool_create(64, 2048);
        struct pkt *pkts[PKT_BURST];
        unsigned n = memif_port_rx(&port, pkts, PKT_BURST, pool);
        unsigned sent = memif_port_tx(&port, pkts, n);
        (void)sent;
        pkt_free_burst(pkts, n);
        memif_port_on_notify(mp, 0);
    }
    close(s);
    pump();
    memif_port_disconnect(mp, NULL);
    return 0;
}

/* test_memif_server.c - the memif port's control channel over a real socket: a full
 * connection with libsluice-memif, and each message a client can get wrong, refused with the
 * reason counted and the client told why. */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "lib/client.h"
#include "mainloop.h"
#include "port_memif.h"
#include "ports.h"
#include "sluice_memif.h"

static char sock_path[108];

/* Runs the server's side: new connections, then every connection's pending messages. */
static void pump(struct memif_listener *l)
{
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

static void make_port(struct port *p, const char *name, uint32_t index, const char *id,
                      const char *secret)
{
    memset(p, 0, sizeof(*p));
    snprintf(p->name, sizeof(p->name), "%s", name);
    p->index = index;
    port_args_set(&p->args, "socket", sock_path);
    port_args_set(&p->args, "id", id);
    if (secret)
        port_args_set(&p->args, "secret", secret);
    port_args_set(&p->args, "ring_size", "1024");
    port_args_set(&p->args, "rings", "2");
    char err[128] = "";
    CHECK_EQ(memif_port_open(p, err, sizeof(err)), 0);
    if (err[0])
        fprintf(stderr, "open: %s\n", err);
}

static int raw_connect(struct memif_listener *l, struct memif_msg *hello)
{
    int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
    CHECK_EQ(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    pump(l);
    CHECK_EQ(recv(fd, hello, sizeof(*hello), MSG_DONTWAIT), 128);
    return fd;
}

static void raw_send(int fd, const void *msg, size_t len, int pass_fd)
{
    struct iovec iov = {.iov_base = (void *)msg, .iov_len = len};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (pass_fd >= 0) {
        memset(&ctl, 0, sizeof(ctl));
        mh.msg_control = ctl.buf;
        mh.msg_controllen = sizeof(ctl.buf);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
    }
    CHECK_EQ(sendmsg(fd, &mh, 0), (ssize_t)len);
}

/* Sends a message and returns the type of the server's answer (0: none, connection closed). */
static int exchange(struct memif_listener *l, int fd, const struct memif_msg *msg, int pass_fd,
                    struct memif_msg *reply)
{
    raw_send(fd, msg, sizeof(*msg), pass_fd);
    pump(l);
    memset(reply, 0, sizeof(*reply));
    ssize_t n = recv(fd, reply, sizeof(*reply), MSG_DONTWAIT);
    return n == 128 ? reply->type : 0;
}

static struct memif_msg msg_init(uint32_t id, const char *secret)
{
    struct memif_msg m = {.type = MEMIF_MSG_INIT};
    m.init.version = MEMIF_VERSION;
    m.init.id = id;
    m.init.mode = MEMIF_MODE_ETHERNET;
    memif_set_name(m.init.secret, sizeof(m.init.secret), secret);
    memif_set_name(m.init.name, sizeof(m.init.name), "raw");
    return m;
}

#define RLOG2 4
/* A memfd with an S2M ring at 0, an M2S ring after it, and 2 x 16 buffers of 256 bytes. */
static int make_region(bool seal, uint64_t *size_out)
{
    uint64_t ring = memif_ring_bytes(RLOG2);
    uint64_t size = 2 * ring + 32 * 256;
    int fd = memfd_create("t", MFD_ALLOW_SEALING);
    CHECK_EQ(ftruncate(fd, (off_t)size), 0);
    if (seal)
        CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
    uint8_t *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    for (int r = 0; r < 2; r++) {
        struct memif_ring *rg = (struct memif_ring *)(mem + r * ring);
        rg->cookie = MEMIF_COOKIE;
        for (unsigned i = 0; i < 16; i++) {
            rg->desc[i].length = 256;
            rg->desc[i].offset = (uint32_t)(2 * ring + (r * 16 + i) * 256);
        }
    }
    munmap(mem, size);
    *size_out = size;
    return fd;
}

static struct memif_msg msg_region(uint16_t index, uint64_t size)
{
    struct memif_msg m = {.type = MEMIF_MSG_ADD_REGION};
    m.add_region.index = index;
    m.add_region.size = size;
    return m;
}

static struct memif_msg msg_ring(bool s2m, uint16_t index, uint32_t offset, uint8_t log2)
{
    struct memif_msg m = {.type = MEMIF_MSG_ADD_RING};
    m.add_ring.flags = s2m ? MEMIF_ADD_RING_FLAG_S2M : 0;
    m.add_ring.index = index;
    m.add_ring.region = 0;
    m.add_ring.offset = offset;
    m.add_ring.log2_ring_size = log2;
    return m;
}

/* Expects the server to refuse msg with a disconnect naming err. */
#define expect_refused(...) expect_refused_at(__LINE__, __VA_ARGS__)
static void expect_refused_at(int line, struct memif_listener *l, int fd,
                              const struct memif_msg *msg, int pass_fd, enum memif_err err,
                              uint64_t *counter)
{
    int failures = check_failures;
    uint64_t before = *counter;
    struct memif_msg reply;
    CHECK_EQ(exchange(l, fd, msg, pass_fd, &reply), MEMIF_MSG_DISCONNECT);
    char want[96];
    snprintf(want, sizeof(want), "refused: %s", memif_err_names[err]);
    CHECK_STR((char *)reply.disconnect.string, want);
    CHECK_EQ(*counter, before + 1);
    char b;
    CHECK_EQ(recv(fd, &b, 1, MSG_DONTWAIT), 0); /* and the socket is closed */
    close(fd);
    if (check_failures != failures)
        fprintf(stderr, "(the refusal checked at line %d)\n", line);
}

static void test_library_connection(struct memif_port *mp, struct port *p)
{
    struct memif_listener *l = mp->listener;
    struct sluice_memif_config cfg = {
        .socket_path = sock_path, .id = 0, .log2_ring_size = 6, .buffer_size = 2048};
    char err[128];
    struct sluice_memif *m = sluice_memif_open(&cfg, err, sizeof(err));
    CHECK(m != NULL);
    for (int i = 0; i < 100 && !sluice_memif_connected(m); i++) {
        pump(l);
        sluice_memif_handle_events(m);
    }
    CHECK(sluice_memif_connected(m));
    CHECK(memif_port_link_up(p));
    CHECK_EQ(mp->connects, 2);
    uint64_t disconnects = mp->disconnects;
    CHECK_STR(mp->remote_name, "libsluice-memif");

    /* Client -> switch: read in place. */
    struct sluice_memif_buf b[2];
    CHECK_EQ(sluice_memif_buf_get(m, 0, b, 1), 1);
    for (int i = 0; i < 100; i++)
        b[0].data[i] = (uint8_t)i;
    b[0].len = 100;
    CHECK_EQ(sluice_memif_tx_burst(m, 0, b, 1), 1);
    /* Pending and unchanged across two looks: the watchdog wakes the data plane once. */
    memif_port_watchdog(mp);
    CHECK_EQ(mp->watchdog_kicks, 0);
    memif_port_watchdog(mp);
    CHECK_EQ(mp->watchdog_kicks, 1);
    struct pkt *pkts[PKT_BURST];
    struct pkt_pool *pool = pkt_pool_create(8, 2048);
    CHECK_EQ(memif_port_rx(p, pkts, PKT_BURST, pool), 1);
    CHECK(pkts[0]->pool == pool);
    CHECK_EQ(pkts[0]->len, 100);
    CHECK(memcmp(pkts[0]->data, b[0].data, 100) == 0);

    /* Switch -> client: copied into a posted buffer. */
    struct pkt *out = pkt_alloc(pool);
    memcpy(out->data, pkts[0]->data, 100);
    out->data[0] = 0xee;
    out->len = 100;
    CHECK_EQ(memif_port_tx(p, &out, 1), 1);
    pkt_free(out);
    CHECK_EQ(sluice_memif_rx_burst(m, 0, b, 2), 1);
    CHECK_EQ(b[0].len, 100);
    CHECK_EQ(b[0].data[0], 0xee);
    CHECK_EQ(b[0].data[99], 99);
    sluice_memif_buf_put(m, 0, 1);

    /* A second client for the same interface is refused while the first is connected. */
    struct memif_msg hello, reply;
    int fd = raw_connect(l, &hello);
    struct memif_msg init = msg_init(0, "");
    CHECK_EQ(exchange(l, fd, &init, -1, &reply), MEMIF_MSG_DISCONNECT);
    CHECK_EQ(l->errors[MEMIF_E_BUSY], 1);
    close(fd);
    CHECK(memif_port_link_up(p));

    /* The client goes away: the port goes down; a new client can connect. */
    sluice_memif_close(m);
    pump(l);
    CHECK(!memif_port_link_up(p));
    CHECK_EQ(mp->disconnects, disconnects + 1);
    m = sluice_memif_open(&cfg, err, sizeof(err));
    for (int i = 0; i < 100 && !sluice_memif_connected(m); i++) {
        pump(l);
        sluice_memif_handle_events(m);
    }
    CHECK(sluice_memif_connected(m));
    CHECK(memif_port_link_up(p));

    /* A descriptor outside the region breaks the connection from the data plane. */
    CHECK_EQ(sluice_memif_buf_get(m, 0, b, 1), 1);
    b[0].len = 60;
    CHECK_EQ(sluice_memif_tx_burst(m, 0, b, 1), 1);
    m->s2m[0].ring->desc[0].offset = (uint32_t)m->region_size - 10;
    CHECK_EQ(memif_port_rx(p, pkts, PKT_BURST, pool), 0);
    CHECK_EQ(p->stats.rx_drops[DROP_PEER], 1);
    memif_port_on_notify(mp, 0);
    CHECK(!memif_port_link_up(p));
    CHECK_EQ(mp->errors[MEMIF_E_DESC_BOUNDS], 1);
    CHECK_STR(mp->last_error, "protocol violation: desc_bounds");
    sluice_memif_handle_events(m);
    CHECK(!sluice_memif_connected(m));
    CHECK_STR(sluice_memif_last_error(m), "server disconnected: protocol violation: desc_bounds");
    sluice_memif_close(m);
    pkt_pool_destroy(pool);
}

static void test_refusals(struct memif_port *mp0, struct memif_port *mp1)
{
    struct memif_listener *l = mp0->listener;
    struct memif_msg hello, reply, m;
    int fd;

    fd = raw_connect(l, &hello);
    CHECK_EQ(hello.type, MEMIF_MSG_HELLO);
    CHECK_EQ(hello.hello.min_version, MEMIF_VERSION);
    CHECK_EQ(hello.hello.max_version, MEMIF_VERSION);
    CHECK_EQ(hello.hello.max_s2m_ring, 1); /* rings=2 */
    CHECK_EQ(hello.hello.max_log2_ring_size, 10);
    raw_send(fd, &hello, 64, -1); /* a short message */
    pump(l);
    CHECK_EQ(l->errors[MEMIF_E_MSG_SIZE], 1);
    close(fd);

    fd = raw_connect(l, &hello);
    m = (struct memif_msg){.type = MEMIF_MSG_CONNECT};
    expect_refused(l, fd, &m, -1, MEMIF_E_MSG_TYPE, &l->errors[MEMIF_E_MSG_TYPE]);
    fd = raw_connect(l, &hello);
    m = (struct memif_msg){.type = 99};
    expect_refused(l, fd, &m, -1, MEMIF_E_MSG_TYPE, &l->errors[MEMIF_E_MSG_TYPE]);

    fd = raw_connect(l, &hello);
    m = msg_init(0, "");
    m.init.version = 0x0100;
    expect_refused(l, fd, &m, -1, MEMIF_E_VERSION, &l->errors[MEMIF_E_VERSION]);
    fd = raw_connect(l, &hello);
    m = msg_init(42, "");
    expect_refused(l, fd, &m, -1, MEMIF_E_ID, &l->errors[MEMIF_E_ID]);
    fd = raw_connect(l, &hello);
    m = msg_init(0, "");
    m.init.mode = MEMIF_MODE_IP;
    expect_refused(l, fd, &m, -1, MEMIF_E_MODE, &l->errors[MEMIF_E_MODE]);
    fd = raw_connect(l, &hello);
    m = msg_init(1, "wrong");
    expect_refused(l, fd, &m, -1, MEMIF_E_SECRET, &l->errors[MEMIF_E_SECRET]);
    fd = raw_connect(l, &hello);
    m = msg_init(1, "");
    expect_refused(l, fd, &m, -1, MEMIF_E_SECRET, &l->errors[MEMIF_E_SECRET]);
    fd = raw_connect(l, &hello);
    m = msg_init(0, "");
    int efd = eventfd(0, 0);
    expect_refused(l, fd, &m, efd, MEMIF_E_MSG_FD, &l->errors[MEMIF_E_MSG_FD]);
    /* The right secret is accepted. */
    fd = raw_connect(l, &hello);
    m = msg_init(1, "opensesame");
    CHECK_EQ(exchange(l, fd, &m, -1, &reply), MEMIF_MSG_ACK);
    close(fd);
    pump(l);
    CHECK(mp1->cc == NULL);

    /* Regions. Each case first names interface 0, then errors count on it. */
    uint64_t size;
    int region = make_region(true, &size);
    int unsealed = make_region(false, &size);
#define BOUND_CONNECT()                                                                            \
    do {                                                                                           \
        fd = raw_connect(l, &hello);                                                               \
        m = msg_init(0, "");                                                                       \
        CHECK_EQ(exchange(l, fd, &m, -1, &reply), MEMIF_MSG_ACK);                                  \
    } while (0)
    BOUND_CONNECT();
    m = msg_region(0, size);
    expect_refused(l, fd, &m, -1, MEMIF_E_MSG_FD, &mp0->errors[MEMIF_E_MSG_FD]);
    BOUND_CONNECT();
    m = msg_region(0, size);
    expect_refused(l, fd, &m, unsealed, MEMIF_E_REGION_FD, &mp0->errors[MEMIF_E_REGION_FD]);
    BOUND_CONNECT();
    m = msg_region(0, size + 4096); /* larger than the file */
    expect_refused(l, fd, &m, region, MEMIF_E_REGION_FD, &mp0->errors[MEMIF_E_REGION_FD]);
    BOUND_CONNECT();
    m = msg_region(1, size);
    expect_refused(l, fd, &m, region, MEMIF_E_REGION_INDEX, &mp0->errors[MEMIF_E_REGION_INDEX]);
    BOUND_CONNECT();
    m = msg_region(0, 0);
    expect_refused(l, fd, &m, region, MEMIF_E_REGION_SIZE, &mp0->errors[MEMIF_E_REGION_SIZE]);
    BOUND_CONNECT();
    m = msg_region(0, size);
    int pipefd[2];
    CHECK_EQ(pipe(pipefd), 0);
    expect_refused(l, fd, &m, pipefd[0], MEMIF_E_REGION_FD, &mp0->errors[MEMIF_E_REGION_FD]);

    /* Rings. */
    uint32_t ring1 = (uint32_t)memif_ring_bytes(RLOG2);
#define REGION_CONNECT()                                                                           \
    do {                                                                                           \
        BOUND_CONNECT();                                                                           \
        m = msg_region(0, size);                                                                   \
        CHECK_EQ(exchange(l, fd, &m, region, &reply), MEMIF_MSG_ACK);                              \
    } while (0)
    REGION_CONNECT();
    m = msg_ring(true, 0, 0, RLOG2);
    expect_refused(l, fd, &m, pipefd[1], MEMIF_E_MSG_FD, &mp0->errors[MEMIF_E_MSG_FD]);
    REGION_CONNECT();
    m = msg_ring(true, 0, 0, RLOG2);
    expect_refused(l, fd, &m, -1, MEMIF_E_MSG_FD, &mp0->errors[MEMIF_E_MSG_FD]);
    REGION_CONNECT();
    m = msg_ring(true, 2, 0, RLOG2); /* rings=2: indexes 0 and 1 */
    expect_refused(l, fd, &m, efd, MEMIF_E_RING_INDEX, &mp0->errors[MEMIF_E_RING_INDEX]);
    REGION_CONNECT();
    m = msg_ring(true, 0, 0, 11);
    expect_refused(l, fd, &m, efd, MEMIF_E_RING_SIZE, &mp0->errors[MEMIF_E_RING_SIZE]);
    REGION_CONNECT();
    m = msg_ring(true, 0, (uint32_t)size - 64, RLOG2);
    expect_refused(l, fd, &m, efd, MEMIF_E_RING_OFFSET, &mp0->errors[MEMIF_E_RING_OFFSET]);
    REGION_CONNECT();
    m = msg_ring(true, 0, 0, RLOG2);
    m.add_ring.region = 1;
    expect_refused(l, fd, &m, efd, MEMIF_E_RING_REGION, &mp0->errors[MEMIF_E_RING_REGION]);
    REGION_CONNECT();
    m = msg_ring(true, 0, 0, RLOG2);
    CHECK_EQ(exchange(l, fd, &m, efd, &reply), MEMIF_MSG_ACK);
    expect_refused(l, fd, &m, efd, MEMIF_E_RING_INDEX, &mp0->errors[MEMIF_E_RING_INDEX]);
    /* Connect without an M2S ring. */
    REGION_CONNECT();
    m = msg_ring(true, 0, 0, RLOG2);
    CHECK_EQ(exchange(l, fd, &m, efd, &reply), MEMIF_MSG_ACK);
    m = (struct memif_msg){.type = MEMIF_MSG_CONNECT};
    expect_refused(l, fd, &m, -1, MEMIF_E_RINGS_MISSING, &mp0->errors[MEMIF_E_RINGS_MISSING]);
    /* Connect with a ring whose header lacks the cookie (ring placed on the buffers). */
    REGION_CONNECT();
    m = msg_ring(true, 0, 0, RLOG2);
    CHECK_EQ(exchange(l, fd, &m, efd, &reply), MEMIF_MSG_ACK);
    m = msg_ring(false, 0, ring1 + 256, RLOG2);
    CHECK_EQ(exchange(l, fd, &m, efd, &reply), MEMIF_MSG_ACK);
    m = (struct memif_msg){.type = MEMIF_MSG_CONNECT};
    expect_refused(l, fd, &m, -1, MEMIF_E_RING_COOKIE, &mp0->errors[MEMIF_E_RING_COOKIE]);
    /* A complete handshake, then a message that has no place after it. */
    REGION_CONNECT();
    m = msg_ring(true, 0, 0, RLOG2);
    CHECK_EQ(exchange(l, fd, &m, efd, &reply), MEMIF_MSG_ACK);
    m = msg_ring(false, 0, ring1, RLOG2);
    CHECK_EQ(exchange(l, fd, &m, efd, &reply), MEMIF_MSG_ACK);
    m = (struct memif_msg){.type = MEMIF_MSG_CONNECT};
    CHECK_EQ(exchange(l, fd, &m, -1, &reply), MEMIF_MSG_CONNECTED);
    CHECK_STR((char *)reply.connected.if_name, "mif0");
    CHECK(atomic_load(&mp0->conn) != NULL);
    m = msg_init(0, "");
    expect_refused(l, fd, &m, -1, MEMIF_E_MSG_TYPE, &mp0->errors[MEMIF_E_MSG_TYPE]);
    CHECK(atomic_load(&mp0->conn) == NULL);
    /* A client's orderly disconnect is not an error. */
    REGION_CONNECT();
    m = (struct memif_msg){.type = MEMIF_MSG_DISCONNECT};
    memif_set_name(m.disconnect.string, sizeof(m.disconnect.string), "bye");
    raw_send(fd, &m, sizeof(m), -1);
    pump(l);
    CHECK_STR(mp0->last_error, "client disconnected: bye");
    CHECK(mp0->cc == NULL);
    close(fd);
    close(region);
    close(unsealed);
    close(efd);
    close(pipefd[0]);
    close(pipefd[1]);
    CHECK_EQ(memif_listener_connections(l), 0);
}

int main(void)
{
    CHECK_EQ(mainloop_init(), 0);
    snprintf(sock_path, sizeof(sock_path), "/tmp/sluice-test-memif-%d.sock", (int)getpid());
    struct port p0, p1, p2;
    make_port(&p0, "mif0", 0, "0", NULL);
    make_port(&p1, "mif1", 1, "1", "opensesame");
    struct memif_port *mp0 = p0.priv, *mp1 = p1.priv;
    CHECK(mp0 && mp1 && mp0->listener == mp1->listener); /* one socket, two interfaces */
    /* The same id twice on one socket is refused. */
    memset(&p2, 0, sizeof(p2));
    port_args_set(&p2.args, "socket", sock_path);
    port_args_set(&p2.args, "id", "1");
    char err[128];
    CHECK_EQ(memif_port_open(&p2, err, sizeof(err)), -1);
    port_args_set(&p2.args, "id", "x");
    CHECK_EQ(memif_port_open(&p2, err, sizeof(err)), -1);
    port_args_set(&p2.args, "id", "5");
    port_args_set(&p2.args, "ring_size", "1000");
    CHECK_EQ(memif_port_open(&p2, err, sizeof(err)), -1);

    test_refusals(mp0, mp1);
    test_library_connection(mp0, &p0);

    memif_port_close(&p1);
    CHECK_EQ(access(sock_path, F_OK), 0); /* still used by mif0 */
    memif_port_close(&p0);
    CHECK(access(sock_path, F_OK) != 0); /* the last interface removes the socket */
    return check_exit();
}

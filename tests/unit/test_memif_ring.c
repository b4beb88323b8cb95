/* test_memif_ring.c - the memif port's data path on rings in ordinary memory: copied and chained
 * receive, copies into posted buffers, signalling, and every descriptor the peer can get wrong
 * (each ends the connection and is counted, with nothing read or written outside the region). */
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "check.h"
#include "memif_rig.h"

static void test_rx_copied(void)
{
    struct rig r;
    rig_init(&r);
    client_send(&r, 60, 0xaa, 0);
    client_send(&r, 200, 0xbb, 0);
    struct pkt *pkts[PKT_BURST];
    unsigned n = memif_dp_rx(r.c, pkts, PKT_BURST, r.pool, &r.stats);
    CHECK_EQ(n, 2);
    /* Copied into the switch's pool, with headroom to push a tag. */
    CHECK(pkts[0]->pool == r.pool);
    CHECK(pkts[0]->data < r.mem || pkts[0]->data >= r.mem + r.size);
    CHECK_EQ(pkts[0]->len, 60);
    CHECK_EQ(pkts[0]->in_port, 3);
    CHECK_EQ(pkt_headroom(pkts[0]), PKT_HEADROOM);
    CHECK_EQ(pkts[1]->len, 200);
    CHECK_EQ(pkts[1]->data[199], 0xbb);
    /* The client has its buffers back at once, and what it writes there now is not seen. */
    CHECK_EQ(r.s2m->tail, 2);
    memset(r.mem + buf_off(&r, 0, 0), 0x55, BSIZE);
    CHECK_EQ(pkts[0]->data[0], 0xaa);
    CHECK_EQ(pkts[0]->data[59], 0xaa);
    CHECK_EQ(r.s2m->flags, MEMIF_RING_FLAG_MASK_INT); /* busy: polled, no signals wanted */
    pkt_free_burst(pkts, n);
    n = memif_dp_rx(r.c, pkts, PKT_BURST, r.pool, &r.stats);
    CHECK_EQ(n, 0);
    CHECK_EQ(r.s2m->tail, 2);
    CHECK_EQ(pkt_pool_available(r.pool), 16);
    rig_free(&r);
}

static void test_rx_chain(void)
{
    struct rig r;
    rig_init(&r);
    client_send(&r, BSIZE, 1, MEMIF_DESC_FLAG_NEXT);
    client_send(&r, BSIZE, 2, MEMIF_DESC_FLAG_NEXT);
    client_send(&r, 10, 3, 0);
    client_send(&r, 64, 4, 0);
    struct pkt *pkts[PKT_BURST];
    unsigned n = memif_dp_rx(r.c, pkts, PKT_BURST, r.pool, &r.stats);
    CHECK_EQ(n, 2);
    CHECK(pkts[0]->pool == r.pool); /* a chain is copied into one pool packet */
    CHECK_EQ(pkts[0]->len, 2 * BSIZE + 10);
    CHECK_EQ(pkts[0]->data[0], 1);
    CHECK_EQ(pkts[0]->data[BSIZE], 2);
    CHECK_EQ(pkts[0]->data[2 * BSIZE + 9], 3);
    CHECK(pkts[1]->pool == r.pool);
    CHECK_EQ(pkts[1]->len, 64);
    pkt_free_burst(pkts, n);
    CHECK_EQ(pkt_pool_available(r.pool), 16);
    CHECK(!atomic_load(&r.c->broken));
    rig_free(&r);
}

static void test_rx_burst_limit(void)
{
    struct rig r;
    rig_init(&r);
    for (int i = 0; i < 10; i++)
        client_send(&r, 64, (uint8_t)i, 0);
    struct pkt *pkts[PKT_BURST];
    CHECK_EQ(memif_dp_rx(r.c, pkts, 4, r.pool, &r.stats), 4);
    CHECK_EQ(pkts[3]->data[0], 3);
    CHECK_EQ(r.s2m->tail, 4);
    pkt_free_burst(pkts, 4);
    CHECK_EQ(memif_dp_rx(r.c, pkts, 4, r.pool, &r.stats), 4);
    CHECK_EQ(r.s2m->tail, 8);
    CHECK_EQ(pkts[0]->data[0], 4);
    pkt_free_burst(pkts, 4);
    CHECK_EQ(memif_dp_rx(r.c, pkts, 32, r.pool, &r.stats), 2);
    pkt_free_burst(pkts, 2);
    rig_free(&r);
}

/* One descriptor the peer got wrong: the connection breaks, nothing after it is read. */
static void expect_rx_violation(struct memif_desc bad, enum memif_err want)
{
    struct rig r;
    rig_init(&r);
    client_send(&r, 64, 1, 0);
    uint16_t slot = r.s2m->head;
    r.s2m->desc[slot & (SLOTS - 1)] = bad;
    r.s2m->head = (uint16_t)(slot + 1);
    client_send(&r, 64, 2, 0);
    struct pkt *pkts[PKT_BURST];
    unsigned n = memif_dp_rx(r.c, pkts, PKT_BURST, r.pool, &r.stats);
    CHECK_EQ(n, 1); /* the good packet before it still goes */
    pkt_free_burst(pkts, n);
    CHECK(atomic_load(&r.c->broken));
    CHECK_EQ(r.c->broken_err, want);
    CHECK_EQ(r.stats.rx_drops[DROP_PEER], 1);
    CHECK_EQ(memif_dp_rx(r.c, pkts, PKT_BURST, r.pool, &r.stats), 0);
    CHECK_EQ(memif_dp_tx(r.c, pkts, 1, &r.stats), 0);
    CHECK_EQ(pkt_pool_available(r.pool), 16);
    rig_free(&r);
}

static void test_rx_violations(void)
{
    struct rig r;
    rig_init(&r);
    uint32_t off = buf_off(&r, 0, 1);
    uint64_t size = r.size;
    rig_free(&r);
    expect_rx_violation((struct memif_desc){.region = 1, .length = 64, .offset = off},
                        MEMIF_E_DESC_REGION);
    expect_rx_violation((struct memif_desc){.region = 0, .length = 0, .offset = off},
                        MEMIF_E_DESC_LENGTH);
    expect_rx_violation((struct memif_desc){.region = 0, .length = BSIZE + 1, .offset = off},
                        MEMIF_E_DESC_LENGTH);
    expect_rx_violation(
        (struct memif_desc){.region = 0, .length = 64, .offset = (uint32_t)size - 63},
        MEMIF_E_DESC_BOUNDS);
    expect_rx_violation((struct memif_desc){.region = 0, .length = 64, .offset = UINT32_MAX - 10},
                        MEMIF_E_DESC_BOUNDS);
}

static void test_rx_chain_violations(void)
{
    /* A chain whose last descriptor is not published. */
    struct rig r;
    rig_init(&r);
    client_send(&r, 64, 1, MEMIF_DESC_FLAG_NEXT);
    client_send(&r, 64, 1, MEMIF_DESC_FLAG_NEXT);
    struct pkt *pkts[PKT_BURST];
    CHECK_EQ(memif_dp_rx(r.c, pkts, PKT_BURST, r.pool, &r.stats), 0);
    CHECK(atomic_load(&r.c->broken));
    CHECK_EQ(r.c->broken_err, MEMIF_E_DESC_CHAIN);
    CHECK_EQ(pkt_pool_available(r.pool), 16);
    rig_free(&r);

    /* A chain with a bad descriptor in the middle. */
    rig_init(&r);
    client_send(&r, 64, 1, MEMIF_DESC_FLAG_NEXT);
    client_send(&r, 0, 1, MEMIF_DESC_FLAG_NEXT);
    client_send(&r, 64, 1, 0);
    CHECK_EQ(memif_dp_rx(r.c, pkts, PKT_BURST, r.pool, &r.stats), 0);
    CHECK_EQ(r.c->broken_err, MEMIF_E_DESC_LENGTH);
    CHECK_EQ(pkt_pool_available(r.pool), 16);
    rig_free(&r);

    /* A head more than a ring ahead of the tail. */
    rig_init(&r);
    r.s2m->head = SLOTS + 1;
    CHECK_EQ(memif_dp_rx(r.c, pkts, PKT_BURST, r.pool, &r.stats), 0);
    CHECK_EQ(r.c->broken_err, MEMIF_E_RING_COUNT);
    CHECK_EQ(r.stats.rx_drops[DROP_PEER], 1);
    rig_free(&r);

    /* A chain longer than any packet the switch holds: dropped, not a violation. */
    rig_init(&r);
    pkt_pool_destroy(r.pool);
    r.pool = pkt_pool_create(4, 300);
    client_send(&r, BSIZE, 1, MEMIF_DESC_FLAG_NEXT);
    client_send(&r, BSIZE, 1, 0);
    client_send(&r, 64, 9, 0);
    CHECK_EQ(memif_dp_rx(r.c, pkts, PKT_BURST, r.pool, &r.stats), 1);
    CHECK_EQ(pkts[0]->data[0], 9);
    pkt_free(pkts[0]);
    CHECK_EQ(r.stats.rx_drops[DROP_MALFORMED], 1);
    CHECK(!atomic_load(&r.c->broken));
    CHECK_EQ(pkt_pool_available(r.pool), 4);
    rig_free(&r);

    /* No pool packet for a chain: dropped and counted. */
    rig_init(&r);
    client_send(&r, BSIZE, 1, MEMIF_DESC_FLAG_NEXT);
    client_send(&r, 5, 1, 0);
    CHECK_EQ(memif_dp_rx(r.c, pkts, PKT_BURST, NULL, &r.stats), 0);
    CHECK_EQ(r.stats.rx_drops[DROP_NO_BUFFER], 1);
    CHECK(!atomic_load(&r.c->broken));
    rig_free(&r);
}

static void test_rx_interrupts(void)
{
    struct rig r;
    rig_init(&r);
    struct pkt *pkts[PKT_BURST];
    CHECK_EQ(r.s2m->flags, 0); /* starts armed */
    client_send(&r, 64, 1, 0);
    CHECK_EQ(memif_dp_rx(r.c, pkts, PKT_BURST, r.pool, &r.stats), 1);
    CHECK_EQ(r.s2m->flags, MEMIF_RING_FLAG_MASK_INT);
    for (int i = 0; i < 31; i++)
        CHECK_EQ(memif_dp_rx(r.c, pkts, PKT_BURST, r.pool, &r.stats), 0);
    CHECK_EQ(r.s2m->flags, MEMIF_RING_FLAG_MASK_INT); /* still polling */
    /* A packet posted while the flag was set: found when arming, not lost. */
    client_send(&r, 64, 2, 0);
    CHECK_EQ(memif_dp_rx(r.c, pkts, PKT_BURST, r.pool, &r.stats), 1);
    CHECK_EQ(pkts[0]->data[0], 2);
    for (int i = 0; i < 32; i++)
        CHECK_EQ(memif_dp_rx(r.c, pkts, PKT_BURST, r.pool, &r.stats), 0);
    CHECK_EQ(r.s2m->flags, 0); /* idle: armed */
    rig_free(&r);
}

static void test_rx_two_rings(void)
{
    struct rig r;
    rig_init(&r);
    struct memif_ring *second = calloc(1, memif_ring_bytes(LOG2));
    second->cookie = MEMIF_COOKIE;
    for (unsigned i = 0; i < SLOTS; i++)
        second->desc[i] = (struct memif_desc){.length = 64, .offset = buf_off(&r, 1, i)};
    r.c->s2m[1] = r.c->s2m[0];
    r.c->s2m[1].ring = second;
    r.c->ns2m = 2;
    memif_dpconn_start(r.c);
    for (int i = 0; i < 3; i++) {
        client_send(&r, 64, (uint8_t)(10 + i), 0);
        memset(r.mem + buf_off(&r, 1, (unsigned)i), 20 + i, 64);
    }
    second->head = 3;
    struct pkt *pkts[PKT_BURST];
    CHECK_EQ(memif_dp_rx(r.c, pkts, PKT_BURST, r.pool, &r.stats), 6);
    int seen10 = 0, seen20 = 0;
    for (int i = 0; i < 6; i++) {
        for (int k = 0; k < i; k++)
            CHECK(pkts[i] != pkts[k]); /* each packet its own */
        seen10 += pkts[i]->data[0] >= 10 && pkts[i]->data[0] < 13;
        seen20 += pkts[i]->data[0] >= 20 && pkts[i]->data[0] < 23;
    }
    CHECK_EQ(seen10, 3);
    CHECK_EQ(seen20, 3);
    pkt_free_burst(pkts, 6);
    /* A burst cut short: the rest comes next time, starting at the other ring; what was
     * copied goes back to the client at once. */
    client_send(&r, 64, 1, 0);
    client_send(&r, 64, 1, 0);
    second->head = 5;
    CHECK_EQ(memif_dp_rx(r.c, pkts, 3, r.pool, &r.stats), 3);
    CHECK_EQ(second->tail, 5);
    CHECK_EQ(r.s2m->tail, 4);
    pkt_free_burst(pkts, 3);
    CHECK_EQ(memif_dp_rx(r.c, pkts, 3, r.pool, &r.stats), 1);
    CHECK_EQ(memif_dp_rx(r.c, pkts, 3, r.pool, &r.stats), 0);
    CHECK_EQ(r.s2m->tail, 5);
    CHECK_EQ(second->tail, 5);
    /* A violation on the second ring ends the connection too. */
    second->desc[5 & (SLOTS - 1)].length = 0;
    second->head = 6;
    CHECK_EQ(memif_dp_rx(r.c, pkts, 3, r.pool, &r.stats), 0);
    CHECK_EQ(r.c->broken_err, MEMIF_E_DESC_LENGTH);
    free(second);
    rig_free(&r);
}

static struct pkt *make_pkt(struct pkt_pool *pool, uint32_t len, uint8_t fill)
{
    struct pkt *p = pkt_alloc(pool);
    memset(p->data, fill, len);
    for (uint32_t i = 0; i < len; i++)
        p->data[i] = (uint8_t)(fill + i);
    p->len = len;
    return p;
}

static void test_tx(void)
{
    struct rig r;
    rig_init(&r);
    struct pkt *pkts[3] = {make_pkt(r.pool, 60, 1), make_pkt(r.pool, 600, 2),
                           make_pkt(r.pool, 70, 3)};
    /* Nothing posted: nothing taken, no violation. */
    CHECK_EQ(memif_dp_tx(r.c, pkts, 3, &r.stats), 0);
    CHECK(!atomic_load(&r.c->broken));
    /* Post 3 buffers: the 60-byte frame fits, the 600-byte one needs 3 and waits. */
    r.m2s->head = 3;
    CHECK_EQ(memif_dp_tx(r.c, pkts, 3, &r.stats), 1);
    CHECK_EQ(r.m2s->tail, 1);
    CHECK_EQ(r.m2s->desc[0].length, 60);
    CHECK_EQ(r.m2s->desc[0].flags, 0);
    CHECK(memcmp(r.mem + buf_off(&r, 1, 0), pkts[0]->data, 60) == 0);
    CHECK_EQ(r.m2s->desc[0].offset, buf_off(&r, 1, 0)); /* the client's offset is kept */
    uint64_t v = 0;
    CHECK_EQ(read(r.m2s_efd, &v, 8), 8); /* the client asked for signals (flags 0) */
    CHECK_EQ(v, 1);
    /* More buffers: the big frame is chained over three. */
    r.m2s->head = 8;
    CHECK_EQ(memif_dp_tx(r.c, pkts + 1, 2, &r.stats), 2);
    CHECK_EQ(r.m2s->tail, 5);
    CHECK_EQ(r.m2s->desc[1].length, BSIZE);
    CHECK_EQ(r.m2s->desc[1].flags, MEMIF_DESC_FLAG_NEXT);
    CHECK_EQ(r.m2s->desc[2].flags, MEMIF_DESC_FLAG_NEXT);
    CHECK_EQ(r.m2s->desc[3].length, 600 - 2 * BSIZE);
    CHECK_EQ(r.m2s->desc[3].flags, 0);
    CHECK(memcmp(r.mem + buf_off(&r, 1, 2), pkts[1]->data + BSIZE, BSIZE) == 0);
    CHECK_EQ(r.m2s->desc[4].length, 70);
    /* A client that polls (MASK_INT) gets no signal. */
    CHECK_EQ(read(r.m2s_efd, &v, 8), 8);
    r.m2s->flags = MEMIF_RING_FLAG_MASK_INT;
    CHECK_EQ(memif_dp_tx(r.c, pkts, 1, &r.stats), 1);
    CHECK(read(r.m2s_efd, &v, 8) < 0);
    pkt_free_burst(pkts, 3);
    rig_free(&r);
}

static void expect_tx_violation(struct memif_desc bad, uint16_t head, enum memif_err want)
{
    struct rig r;
    rig_init(&r);
    struct pkt *p = make_pkt(r.pool, 100, 1);
    r.m2s->desc[0] = bad;
    r.m2s->head = head;
    uint8_t before[64];
    memcpy(before, r.mem, sizeof(before));
    CHECK_EQ(memif_dp_tx(r.c, &p, 1, &r.stats), 0);
    CHECK(atomic_load(&r.c->broken));
    CHECK_EQ(r.c->broken_err, want);
    CHECK_EQ(r.stats.tx_drops[DROP_PEER], 1);
    CHECK_EQ(r.m2s->tail, 0);
    pkt_free(p);
    rig_free(&r);
}

static void test_tx_violations(void)
{
    struct rig r;
    rig_init(&r);
    uint32_t off = buf_off(&r, 1, 0);
    uint64_t size = r.size;
    rig_free(&r);
    expect_tx_violation((struct memif_desc){.region = 5, .length = BSIZE, .offset = off}, 1,
                        MEMIF_E_DESC_REGION);
    expect_tx_violation((struct memif_desc){.region = 0, .length = 0, .offset = off}, 1,
                        MEMIF_E_DESC_LENGTH);
    expect_tx_violation((struct memif_desc){.region = 0, .length = 1u << 20, .offset = off}, 1,
                        MEMIF_E_DESC_LENGTH);
    expect_tx_violation(
        (struct memif_desc){.region = 0, .length = BSIZE, .offset = (uint32_t)size - 10}, 1,
        MEMIF_E_DESC_BOUNDS);
    expect_tx_violation((struct memif_desc){.region = 0, .length = BSIZE, .offset = UINT32_MAX}, 1,
                        MEMIF_E_DESC_BOUNDS);
    expect_tx_violation((struct memif_desc){.region = 0, .length = BSIZE, .offset = off}, SLOTS + 1,
                        MEMIF_E_RING_COUNT);
}

int main(void)
{
    test_rx_copied();
    test_rx_chain();
    test_rx_burst_limit();
    test_rx_violations();
    test_rx_chain_violations();
    test_rx_interrupts();
    test_rx_two_rings();
    test_tx();
    test_tx_violations();
    return check_exit();
}

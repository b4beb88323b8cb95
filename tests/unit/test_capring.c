/* test_capring.c - the capture ring: records come back intact and in order across
 * wrap-around, a full ring drops and recovers, each impossible index is refused on both sides,
 * the memfd is sealed, and the wake-up protocol writes the eventfd once. */
#include "capring.h"
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

static char err[256];

/* A producer and a consumer on the same ring, as the switch and sluicedump would hold it. */
static bool pair_create(struct capring_prod *p, struct capring_cons *c, uint64_t size,
                        uint32_t snaplen)
{
    if (capring_create(p, size, snaplen, 7, err, sizeof(err)) != 0) {
        fprintf(stderr, "create: %s\n", err);
        return false;
    }
    if (capring_attach(c, dup(p->memfd), dup(p->efd), err, sizeof(err)) != 0) {
        fprintf(stderr, "attach: %s\n", err);
        return false;
    }
    return true;
}

static void pair_destroy(struct capring_prod *p, struct capring_cons *c)
{
    capring_detach(c);
    capring_destroy(p);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)rng_state;
}

static void fill(uint8_t *buf, uint32_t len, uint32_t seed)
{
    for (uint32_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8));
}

struct expect {
    uint32_t caplen, origlen, seed;
    uint16_t port;
    uint8_t dir;
    uint64_t ts;
};

static bool rec_matches(const struct capring_rec *rec, const struct expect *e, uint8_t *scratch)
{
    if (rec->caplen != e->caplen || rec->origlen != e->origlen || rec->port != e->port ||
        rec->dir != e->dir || rec->ts_ns != e->ts || rec->flags != 0)
        return false;
    if (rec->rec_len != ((24 + e->caplen + 7) & ~7u))
        return false;
    fill(scratch, e->caplen, e->seed);
    return memcmp(rec + 1, scratch, e->caplen) == 0;
}

/* Property: whatever mix of record sizes, puts and reads, every record read equals the one
 * stored, in order, and nothing is lost except what put reported as dropped. */
static void test_wraparound_property(void)
{
    struct capring_prod p;
    struct capring_cons c;
    if (!pair_create(&p, &c, CAPRING_MIN_SIZE, 65535)) {
        CHECK(0);
        return;
    }
    enum { QMAX = 8192 };
    static struct expect q[QMAX];
    static uint8_t pkt[65536], scratch[65536];
    unsigned head = 0, tail = 0;
    uint64_t stored = 0, read = 0, full = 0, mismatches = 0;
    uint32_t seed = 1;
    for (int round = 0; round < 20000; round++) {
        unsigned nput = rnd() % 6;
        for (unsigned i = 0; i < nput && tail - head < QMAX; i++) {
            uint32_t caplen;
            switch (rnd() % 4) {
            case 0:
                caplen = rnd() % 8; /* tiny records hit every 8-byte tail position */
                break;
            case 1:
                caplen = 60 + rnd() % 1500;
                break;
            case 2:
                caplen = rnd() % 9000;
                break;
            default:
                caplen = rnd() % (32768 - 24 + 1);
                break;
            }
            struct expect e = {
                caplen,          caplen + rnd() % 3,       seed++,
                (uint16_t)rnd(), (uint8_t)(1 + rnd() % 2), ((uint64_t)rnd() << 32) | rnd()};
            fill(pkt, caplen, e.seed);
            int rc = capring_put(&p, pkt, e.caplen, e.origlen, e.port, e.dir, e.ts);
            CHECK(rc == 0 || rc == 1);
            if (rc == 0) {
                q[tail++ % QMAX] = e;
                stored++;
            } else {
                full++;
            }
        }
        capring_publish(&p);
        unsigned nread = rnd() % 8;
        for (unsigned i = 0; i < nread; i++) {
            const struct capring_rec *rec = capring_next(&c);
            if (!rec)
                break;
            if (head == tail || !rec_matches(rec, &q[head % QMAX], scratch))
                mismatches++;
            head++;
            read++;
            capring_release(&c);
        }
    }
    const struct capring_rec *rec;
    while ((rec = capring_next(&c))) {
        if (head == tail || !rec_matches(rec, &q[head % QMAX], scratch))
            mismatches++;
        head++;
        read++;
        capring_release(&c);
    }
    CHECK_EQ(mismatches, 0);
    CHECK_EQ(read, stored);
    CHECK_EQ(head, tail);
    CHECK(!p.broken);
    CHECK(!c.broken);
    CHECK_EQ(p.hdr->dropped_full, full);
    /* The ring went around many times. */
    CHECK(p.prod > 50 * (uint64_t)CAPRING_MIN_SIZE);
    fprintf(stderr, "wraparound: %llu records, %llu drops, %llu ring laps\n",
            (unsigned long long)stored, (unsigned long long)full,
            (unsigned long long)(p.prod / CAPRING_MIN_SIZE));
    pair_destroy(&p, &c);
}

/* Puts one record of exactly rec_len bytes and reads it back. */
static void put_and_consume(struct capring_prod *p, struct capring_cons *c, uint32_t rec_len)
{
    static uint8_t pkt[65536];
    CHECK_EQ(capring_put(p, pkt, rec_len - 24, rec_len - 24, 0, CAPDIR_IN, 0), 0);
    capring_publish(p);
    const struct capring_rec *rec = capring_next(c);
    CHECK(rec != NULL);
    if (rec)
        CHECK_EQ(rec->rec_len, rec_len);
    capring_release(c);
}

static void test_end_of_ring(void)
{
    struct capring_prod p;
    struct capring_cons c;
    uint8_t pkt[2000];
    fill(pkt, sizeof(pkt), 3);
    if (!pair_create(&p, &c, CAPRING_MIN_SIZE, 65535)) {
        CHECK(0);
        return;
    }
    /* Leave 8 bytes before the end: no room for a pad record, skipped implicitly. */
    put_and_consume(&p, &c, 32768);
    put_and_consume(&p, &c, 32760);
    CHECK_EQ(p.prod, CAPRING_MIN_SIZE - 8);
    CHECK_EQ(capring_put(&p, pkt, 100, 100, 1, CAPDIR_OUT, 42), 0);
    CHECK_EQ(p.prod, CAPRING_MIN_SIZE + 128);
    capring_publish(&p);
    const struct capring_rec *rec = capring_next(&c);
    CHECK(rec != NULL && rec->caplen == 100 && rec->ts_ns == 42 && memcmp(rec + 1, pkt, 100) == 0);
    CHECK(rec == (const void *)c.data);
    capring_release(&c);
    CHECK_EQ(c.cons, p.prod);

    /* Leave 1000 bytes: a pad record fills them. */
    put_and_consume(&p, &c, 32768);
    put_and_consume(&p, &c, 32768 - 128 - 1000);
    CHECK_EQ(p.prod & p.mask, CAPRING_MIN_SIZE - 1000);
    uint64_t before = p.prod;
    CHECK_EQ(capring_put(&p, pkt, 1200, 1300, 2, CAPDIR_IN, 43), 0);
    const struct capring_rec *pad = (const void *)(p.data + (before & p.mask));
    CHECK_EQ(pad->flags, CAPREC_F_PAD);
    CHECK_EQ(pad->rec_len, 1000);
    capring_publish(&p);
    rec = capring_next(&c);
    CHECK(rec != NULL && rec->caplen == 1200 && rec->origlen == 1300 && rec->ts_ns == 43 &&
          memcmp(rec + 1, pkt, 1200) == 0);
    capring_release(&c);
    CHECK(capring_next(&c) == NULL);
    CHECK(!c.broken);
    pair_destroy(&p, &c);
}

static void test_caplen_limits(void)
{
    struct capring_prod p;
    struct capring_cons c;
    static uint8_t pkt[65536];
    if (!pair_create(&p, &c, CAPRING_MIN_SIZE, 96)) {
        CHECK(0);
        return;
    }
    CHECK_EQ(capring_put(&p, pkt, 1500, 1500, 0, CAPDIR_IN, 0), 0);
    capring_publish(&p);
    const struct capring_rec *rec = capring_next(&c);
    CHECK(rec && rec->caplen == 96 && rec->origlen == 1500);
    capring_release(&c);
    pair_destroy(&p, &c);

    /* A record larger than half the ring is cut so that it can always be stored. */
    if (!pair_create(&p, &c, CAPRING_MIN_SIZE, 262144)) {
        CHECK(0);
        return;
    }
    CHECK_EQ(capring_put(&p, pkt, 65536, 65536, 0, CAPDIR_IN, 0), 0);
    capring_publish(&p);
    rec = capring_next(&c);
    CHECK(rec && rec->caplen == 32768 - 24 && rec->origlen == 65536);
    capring_release(&c);
    pair_destroy(&p, &c);
}

static void test_size_rounding(void)
{
    struct capring_prod p;
    CHECK_EQ(capring_create(&p, 100000, 1500, 0, err, sizeof(err)), 0);
    CHECK_EQ(p.hdr->data_size, 131072);
    CHECK_EQ(p.map_size, CAPRING_DATA_OFFSET + 131072);
    capring_destroy(&p);
    CHECK_EQ(capring_create(&p, 1, 1500, 0, err, sizeof(err)), 0);
    CHECK_EQ(p.hdr->data_size, CAPRING_MIN_SIZE);
    capring_destroy(&p);
    CHECK_EQ(capring_create(&p, 1 << 20, 1500, 0, err, sizeof(err)), 0);
    CHECK_EQ(p.hdr->data_size, 1 << 20);
    CHECK_EQ(p.hdr->magic, CAPRING_MAGIC);
    CHECK_EQ(p.hdr->version, CAPRING_VERSION);
    CHECK_EQ(p.hdr->snaplen, 1500);
    CHECK_EQ(p.hdr->port_index, 0);
    capring_destroy(&p);
    CHECK_EQ(capring_create(&p, 1 << 20, 0, 0, err, sizeof(err)), -1);
}

static void test_full_ring(void)
{
    struct capring_prod p;
    struct capring_cons c;
    static uint8_t pkt[2048];
    if (!pair_create(&p, &c, CAPRING_MIN_SIZE, 65535)) {
        CHECK(0);
        return;
    }
    /* 1000-byte records: 65 fit in 64 KiB, the rest are dropped and counted. */
    int stored = 0, dropped = 0;
    for (int i = 0; i < 80; i++) {
        int rc = capring_put(&p, pkt, 1000 - 24, 1000 - 24, 0, CAPDIR_IN, (uint64_t)i);
        if (rc == 0)
            stored++;
        else if (rc == 1)
            dropped++;
    }
    capring_publish(&p);
    CHECK_EQ(stored, CAPRING_MIN_SIZE / 1000);
    CHECK_EQ(dropped, 80 - stored);
    CHECK_EQ(p.hdr->dropped_full, dropped);
    CHECK_EQ(capring_put(&p, pkt, 1000 - 24, 1000 - 24, 0, CAPDIR_IN, 0), 1);
    CHECK_EQ(p.hdr->dropped_full, dropped + 1);
    /* Releasing one record makes room for one more. */
    const struct capring_rec *rec = capring_next(&c);
    CHECK(rec && rec->ts_ns == 0);
    capring_release(&c);
    CHECK_EQ(capring_put(&p, pkt, 1000 - 24, 1000 - 24, 0, CAPDIR_IN, 99), 0);
    CHECK_EQ(capring_put(&p, pkt, 1000 - 24, 1000 - 24, 0, CAPDIR_IN, 100), 1);
    capring_publish(&p);
    int n = 0;
    uint64_t last_ts = 0;
    while ((rec = capring_next(&c))) {
        last_ts = rec->ts_ns;
        n++;
        capring_release(&c);
    }
    CHECK_EQ(n, stored);
    CHECK_EQ(last_ts, 99);
    CHECK(!p.broken);
    pair_destroy(&p, &c);
}

/* A ring with some records published and consumed, so that every kind of bad index can be
 * told apart from a good one. */
static bool ring_with_history(struct capring_prod *p, struct capring_cons *c)
{
    static uint8_t pkt[512];
    if (!pair_create(p, c, CAPRING_MIN_SIZE, 65535))
        return false;
    for (int i = 0; i < 10; i++)
        capring_put(p, pkt, 400, 400, 0, CAPDIR_IN, 0);
    capring_publish(p);
    for (int i = 0; i < 5; i++) {
        capring_next(c);
        capring_release(c);
    }
    /* One more put so that the producer has read the consumer index once. */
    CHECK_EQ(capring_put(p, pkt, 400, 400, 0, CAPDIR_IN, 0), 0);
    capring_publish(p);
    return p->cons_seen == c->cons && c->cons == 5 * 424;
}

static void expect_broken(struct capring_prod *p)
{
    uint8_t pkt[64] = {0};
    uint64_t prod = p->prod;
    CHECK_EQ(capring_put(p, pkt, 64, 64, 0, CAPDIR_IN, 0), -1);
    CHECK(p->broken);
    CHECK_EQ(p->prod, prod);
    /* It stays broken even if the index later looks fine. */
    p->hdr->cons = p->cons_seen;
    CHECK_EQ(capring_put(p, pkt, 64, 64, 0, CAPDIR_IN, 0), -1);
}

static void test_bad_consumer_index(void)
{
    struct capring_prod p;
    struct capring_cons c;

    CHECK(ring_with_history(&p, &c));
    p.hdr->cons = p.published + 8; /* beyond what was published */
    expect_broken(&p);
    pair_destroy(&p, &c);

    CHECK(ring_with_history(&p, &c));
    p.hdr->cons = c.cons + 4; /* not 8-aligned */
    expect_broken(&p);
    pair_destroy(&p, &c);

    CHECK(ring_with_history(&p, &c));
    p.hdr->cons = c.cons - 8; /* backwards */
    expect_broken(&p);
    pair_destroy(&p, &c);

    CHECK(ring_with_history(&p, &c));
    /* More than a ring behind: the producer has run ahead by over a ring (as if the index it
     * last saw had been larger) and the reader claims an index from before that. */
    p.prod += CAPRING_MIN_SIZE;
    p.published = p.prod;
    p.cons_seen = 0;
    p.hdr->cons = 8;
    expect_broken(&p);
    pair_destroy(&p, &c);

    CHECK(ring_with_history(&p, &c));
    p.hdr->cons = UINT64_MAX - 7; /* wrapped around to "before zero" */
    expect_broken(&p);
    pair_destroy(&p, &c);

    /* A good reader at any legal position never breaks the ring. */
    CHECK(ring_with_history(&p, &c));
    p.hdr->cons = p.published;
    uint8_t pkt[64] = {0};
    CHECK_EQ(capring_put(&p, pkt, 64, 64, 0, CAPDIR_IN, 0), 0);
    CHECK(!p.broken);
    pair_destroy(&p, &c);
}

static void test_sealed(void)
{
    struct capring_prod p;
    if (capring_create(&p, CAPRING_MIN_SIZE, 1500, 0, err, sizeof(err)) != 0) {
        CHECK(0);
        return;
    }
    errno = 0;
    CHECK_EQ(ftruncate(p.memfd, (off_t)p.map_size * 2), -1);
    CHECK_EQ(errno, EPERM);
    errno = 0;
    CHECK_EQ(ftruncate(p.memfd, 4096), -1);
    CHECK_EQ(errno, EPERM);
    errno = 0;
    CHECK_EQ(fcntl(p.memfd, F_ADD_SEALS, F_SEAL_WRITE), -1);
    CHECK_EQ(errno, EPERM);
    int seals = fcntl(p.memfd, F_GET_SEALS);
    CHECK_EQ(seals, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
    CHECK(fcntl(p.memfd, F_GETFD) & FD_CLOEXEC);
    CHECK(fcntl(p.efd, F_GETFD) & FD_CLOEXEC);
    CHECK(fcntl(p.efd, F_GETFL) & O_NONBLOCK);
    capring_destroy(&p);
}

static void test_wakeup(void)
{
    struct capring_prod p;
    struct capring_cons c;
    uint8_t pkt[64] = {0};
    if (!pair_create(&p, &c, CAPRING_MIN_SIZE, 65535)) {
        CHECK(0);
        return;
    }
    /* Empty ring: the reader sleeps until the timeout. */
    CHECK_EQ(capring_wait(&c, 0), 0);
    CHECK_EQ(p.hdr->reader_asleep, 0);

    CHECK(capring_sleep_prepare(&c));
    CHECK_EQ(p.hdr->reader_asleep, 1);
    CHECK_EQ(capring_put(&p, pkt, 64, 64, 0, CAPDIR_IN, 0), 0);
    capring_publish(&p);
    CHECK_EQ(p.hdr->reader_asleep, 0);
    /* A second publish while the reader has not gone back to sleep writes nothing. */
    CHECK_EQ(capring_put(&p, pkt, 64, 64, 0, CAPDIR_IN, 0), 0);
    capring_publish(&p);
    uint64_t count = 0;
    CHECK_EQ(read(p.efd, &count, sizeof(count)), 8);
    CHECK_EQ(count, 1);
    CHECK_EQ(read(p.efd, &count, sizeof(count)), -1);

    /* Records pending: sleep_prepare refuses and wait returns at once. */
    CHECK(!capring_sleep_prepare(&c));
    CHECK_EQ(p.hdr->reader_asleep, 0);
    CHECK_EQ(capring_wait(&c, 10000), 1);
    while (capring_next(&c))
        capring_release(&c);

    /* A publish with nothing new does not wake. */
    CHECK(capring_sleep_prepare(&c));
    capring_publish(&p);
    CHECK_EQ(read(p.efd, &count, sizeof(count)), -1);
    CHECK_EQ(p.hdr->reader_asleep, 1);
    /* A real one does, and capring_wait reports it and drains the eventfd. */
    CHECK_EQ(capring_put(&p, pkt, 64, 64, 0, CAPDIR_IN, 0), 0);
    capring_publish(&p);
    struct pollfd pfd = {.fd = c.efd, .events = POLLIN};
    CHECK_EQ(poll(&pfd, 1, 0), 1);
    capring_sleep_end(&c);
    CHECK_EQ(poll(&pfd, 1, 0), 0);
    CHECK(capring_next(&c) != NULL);
    capring_release(&c);
    pair_destroy(&p, &c);
}

/* A memfd shaped like a ring whose header the test controls. */
static int fake_ring(uint64_t file_size, uint64_t data_size, uint32_t magic, uint32_t version,
                     bool seal, uint64_t prod, uint64_t cons)
{
    int fd = memfd_create("fake", MFD_ALLOW_SEALING);
    if (fd < 0 || ftruncate(fd, (off_t)file_size) < 0)
        return -1;
    struct capring_hdr h = {0};
    h.magic = magic;
    h.version = version;
    h.data_offset = CAPRING_DATA_OFFSET;
    h.snaplen = 1500;
    h.data_size = data_size;
    h.prod = prod;
    h.cons = cons;
    if (pwrite(fd, &h, sizeof(h), 0) != sizeof(h))
        return -1;
    if (seal)
        fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW);
    return fd;
}

static void expect_attach_fails(int memfd, const char *why)
{
    struct capring_cons c;
    int efd = eventfd(0, 0);
    err[0] = 0;
    CHECK_EQ(capring_attach(&c, memfd, efd, err, sizeof(err)), -1);
    if (!strstr(err, why))
        fprintf(stderr, "expected \"%s\" in \"%s\"\n", why, err);
    CHECK(strstr(err, why) != NULL);
    /* Ownership was taken: both descriptors are closed. */
    CHECK_EQ(fcntl(memfd, F_GETFD), -1);
    CHECK_EQ(fcntl(efd, F_GETFD), -1);
}

static void test_attach_rejects(void)
{
    const uint64_t S = CAPRING_MIN_SIZE, F = CAPRING_DATA_OFFSET + CAPRING_MIN_SIZE;
    struct capring_cons c;
    int fd = fake_ring(F, S, CAPRING_MAGIC, CAPRING_VERSION, true, 0, 0);
    CHECK_EQ(capring_attach(&c, fd, eventfd(0, 0), err, sizeof(err)), 0);
    capring_detach(&c);

    expect_attach_fails(fake_ring(F, S, 0x12345678, CAPRING_VERSION, true, 0, 0), "bad magic");
    expect_attach_fails(fake_ring(F, S, CAPRING_MAGIC, 2, true, 0, 0), "version");
    expect_attach_fails(fake_ring(F, S, CAPRING_MAGIC, CAPRING_VERSION, false, 0, 0), "sealed");
    expect_attach_fails(fake_ring(F, S * 2, CAPRING_MAGIC, CAPRING_VERSION, true, 0, 0),
                        "does not match");
    expect_attach_fails(fake_ring(F + 8192, S + 8192, CAPRING_MAGIC, CAPRING_VERSION, true, 0, 0),
                        "bad data size");
    expect_attach_fails(fake_ring(4096, S, CAPRING_MAGIC, CAPRING_VERSION, true, 0, 0),
                        "impossible size");
    expect_attach_fails(fake_ring(F, S, CAPRING_MAGIC, CAPRING_VERSION, true, 4, 0), "bad indices");
    expect_attach_fails(fake_ring(F, S, CAPRING_MAGIC, CAPRING_VERSION, true, 0, 8), "bad indices");
    expect_attach_fails(fake_ring(F, S, CAPRING_MAGIC, CAPRING_VERSION, true, S + 8, 0),
                        "bad indices");
}

/* A buggy switch: each impossible record or index stops the reader without a fault. */
static void corrupt_and_read(void (*corrupt)(struct capring_prod *p))
{
    struct capring_prod p;
    struct capring_cons c;
    uint8_t pkt[100] = {0};
    if (!pair_create(&p, &c, CAPRING_MIN_SIZE, 65535)) {
        CHECK(0);
        return;
    }
    CHECK_EQ(capring_put(&p, pkt, 100, 100, 0, CAPDIR_IN, 0), 0);
    capring_publish(&p);
    corrupt(&p);
    CHECK(capring_next(&c) == NULL);
    CHECK(c.broken);
    CHECK(capring_next(&c) == NULL);
    pair_destroy(&p, &c);
}

static void rec_len_zero(struct capring_prod *p)
{
    ((struct capring_rec *)p->data)->rec_len = 0;
}
static void rec_len_unaligned(struct capring_prod *p)
{
    ((struct capring_rec *)p->data)->rec_len = 100;
}
static void rec_len_beyond_prod(struct capring_prod *p)
{
    ((struct capring_rec *)p->data)->rec_len = 1024;
}
static void rec_len_beyond_end(struct capring_prod *p)
{
    p->hdr->prod = CAPRING_MIN_SIZE;
    ((struct capring_rec *)p->data)->rec_len = CAPRING_MIN_SIZE + 8;
}
static void caplen_beyond_record(struct capring_prod *p)
{
    ((struct capring_rec *)p->data)->caplen = 200;
}
static void prod_unaligned(struct capring_prod *p)
{
    p->hdr->prod = 4;
}
static void prod_too_far(struct capring_prod *p)
{
    p->hdr->prod = CAPRING_MIN_SIZE + 128;
}
static void prod_behind(struct capring_prod *p)
{
    p->hdr->prod = (uint64_t)-8;
}

static void test_consumer_rejects(void)
{
    corrupt_and_read(rec_len_zero);
    corrupt_and_read(rec_len_unaligned);
    corrupt_and_read(rec_len_beyond_prod);
    corrupt_and_read(rec_len_beyond_end);
    corrupt_and_read(caplen_beyond_record);
    corrupt_and_read(prod_unaligned);
    corrupt_and_read(prod_too_far);
    corrupt_and_read(prod_behind);
}

static unsigned open_fds(void)
{
    unsigned n = 0;
    for (int fd = 0; fd < 4096; fd++)
        n += fcntl(fd, F_GETFD) >= 0;
    return n;
}

/* dup that fails on the call numbered fail_at (0 or 1), as when descriptors run out. */
static int dup_calls, fail_at;
static int failing_dup(int fd)
{
    if (dup_calls++ == fail_at) {
        errno = EMFILE;
        return -1;
    }
    return dup(fd);
}

/* Handing the descriptors to a reader fails whole: when either copy fails, neither is left
 * open. */
static void test_dup_failure_releases(void)
{
    struct capring_prod r;
    char err[200];
    CHECK_EQ(capring_create(&r, 65536, 100, 0, err, sizeof(err)), 0);
    for (fail_at = 0; fail_at < 2; fail_at++) {
        unsigned before = open_fds();
        dup_calls = 0;
        capring_dup_hook = failing_dup;
        int memfd = 7, efd = 7;
        CHECK_EQ(capring_dup_fds(&r, &memfd, &efd), -1);
        capring_dup_hook = dup;
        CHECK_EQ(memfd, -1);
        CHECK_EQ(efd, -1);
        CHECK_EQ(open_fds(), before);
    }
    unsigned before = open_fds();
    int memfd, efd;
    CHECK_EQ(capring_dup_fds(&r, &memfd, &efd), 0);
    CHECK_EQ(open_fds(), before + 2);
    close(memfd);
    close(efd);
    capring_destroy(&r);
    /* What a ring of a given size takes, as the switch's memory limits count it. */
    CHECK_EQ(capring_map_size_for(1), CAPRING_DATA_OFFSET + CAPRING_MIN_SIZE);
    CHECK_EQ(capring_map_size_for(1000000), CAPRING_DATA_OFFSET + (1u << 20));
    CHECK_EQ(capring_map_size_for(1ull << 40), CAPRING_DATA_OFFSET + (size_t)CAPRING_MAX_SIZE);
}

int main(void)
{
    test_size_rounding();
    test_wraparound_property();
    test_end_of_ring();
    test_caplen_limits();
    test_full_ring();
    test_bad_consumer_index();
    test_sealed();
    test_wakeup();
    test_attach_rejects();
    test_consumer_rejects();
    test_dup_failure_releases();
    return check_exit();
}

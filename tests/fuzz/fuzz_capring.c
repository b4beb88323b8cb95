/* fuzz_capring.c - both trust directions of the capture ring: a hostile reader writing any
 * consumer index between puts, and a broken switch leaving any bytes and indices in the ring.
 * Both mappings sit between PROT_NONE guard pages, so a stray access faults. */
#include "capring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096

static struct capring_prod prod;
static struct capring_cons cons;
static bool ready;

/* Moves a mapping of the memfd into the middle of a PROT_NONE reservation. */
static void *guarded_map(int memfd, size_t size, void *old)
{
    uint8_t *res = mmap(NULL, size + 2 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (res == MAP_FAILED)
        abort();
    void *map = mmap(res + PAGE, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, memfd, 0);
    if (map == MAP_FAILED)
        abort();
    munmap(old, size);
    return map;
}

static void setup(void)
{
    char err[256];
    if (capring_create(&prod, CAPRING_MIN_SIZE, 65535, 3, err, sizeof(err)) != 0 ||
        capring_attach(&cons, dup(prod.memfd), dup(prod.efd), err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        abort();
    }
    prod.hdr = guarded_map(prod.memfd, prod.map_size, prod.hdr);
    prod.data = (uint8_t *)prod.hdr + CAPRING_DATA_OFFSET;
    cons.hdr = guarded_map(cons.memfd, cons.map_size, cons.hdr);
    cons.data = (uint8_t *)cons.hdr + CAPRING_DATA_OFFSET;
    ready = true;
}

static void reset(void)
{
    prod.prod = prod.published = prod.cons_seen = 0;
    prod.broken = false;
    prod.hdr->prod = prod.hdr->cons = 0;
    prod.hdr->dropped_full = 0;
    prod.hdr->reader_asleep = 0;
    cons.cons = 0;
    cons.pending = 0;
    cons.broken = false;
}

struct input {
    const uint8_t *p;
    size_t n;
};

static uint64_t take(struct input *in, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes && in->n; i++, in->p++, in->n--)
        v |= (uint64_t)*in->p << (8 * i);
    return v;
}

static void check_header(void)
{
    if (prod.hdr->magic != CAPRING_MAGIC || prod.hdr->data_size != CAPRING_MIN_SIZE ||
        prod.hdr->snaplen != 65535 || prod.hdr->port_index != 3)
        abort();
    /* The producer never holds more than a ring of unread bytes ahead of a valid index. */
    if (prod.prod - prod.cons_seen > CAPRING_MIN_SIZE)
        abort();
}

/* Reads whatever the ring holds, touching every byte a record claims. */
static void drain(unsigned max)
{
    volatile uint8_t sink = 0;
    const struct capring_rec *rec;
    while (max-- && (rec = capring_next(&cons))) {
        const uint8_t *body = (const uint8_t *)(rec + 1);
        for (uint32_t i = 0; i < rec->caplen; i++)
            sink ^= body[i];
        capring_release(&cons);
    }
    (void)sink;
}

static void hostile_reader(struct input *in)
{
    static uint8_t pkt[65536];
    while (in->n) {
        switch (take(in, 1) % 6) {
        case 0: {
            uint32_t caplen = (uint32_t)take(in, 2);
            capring_put(&prod, pkt, caplen, caplen, 0, CAPDIR_IN, 0);
            break;
        }
        case 1:
            capring_publish(&prod);
            break;
        case 2:
            prod.hdr->cons = take(in, 8);
            break;
        case 3:
            /* Small, often plausible moves. */
            prod.hdr->cons += (take(in, 1) - 128) * 8;
            break;
        case 4:
            drain((unsigned)take(in, 1));
            break;
        default:
            prod.hdr->reader_asleep = (uint32_t)take(in, 4);
            break;
        }
        check_header();
    }
}

static void broken_switch(struct input *in)
{
    /* The input becomes the data area and the indices; the reader must stay inside. */
    cons.cons = take(in, 8) & ~(uint64_t)7;
    prod.hdr->cons = cons.cons;
    prod.hdr->prod = take(in, 8);
    size_t n = in->n < CAPRING_MIN_SIZE ? in->n : CAPRING_MIN_SIZE;
    memset(prod.data, 0, CAPRING_MIN_SIZE);
    memcpy(prod.data + (cons.cons & cons.mask), in->p,
           n < CAPRING_MIN_SIZE - (cons.cons & cons.mask)
               ? n
               : CAPRING_MIN_SIZE - (cons.cons & cons.mask));
    drain(100000);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready)
        setup();
    reset();
    struct input in = {data, size};
    if (take(&in, 1) & 1)
        broken_switch(&in);
    else
        hostile_reader(&in);
    return 0;
}

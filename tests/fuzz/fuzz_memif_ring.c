/* fuzz_memif_ring.c - libFuzzer target for the memif data path: the input is a peer's view of
 * its rings (heads, flags, descriptors) in a mapped region, and bytes the peer writes over its
 * buffers after each receive; receive and transmit must stay inside the region, never fault,
 * return every pool packet, and no received frame may change when the peer rewrites. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "port_memif.h"

/* FNV-1a over a frame: equal before and after the peer rewrites its buffers, or the switch
 * is still reading peer memory. */
static uint64_t frame_hash(const struct pkt *p)
{
    uint64_t h = 1469598103934665603ull;
    for (uint32_t i = 0; i < p->len; i++)
        h = (h ^ p->data[i]) * 1099511628211ull;
    return h;
}

#define LOG2 5
#define SLOTS (1u << LOG2)
/* The transmitted packets span one to three 2048-byte memif buffers, so the pool's frames
 * must hold the longest of them: its memory is a plain mapping ASan does not watch, and a
 * frame written past the last one lands in whatever mapping follows. */
#define OUT_LEN(i) (60u + (i)*1500u)
#define FRAME_CAPACITY 8192u
_Static_assert(OUT_LEN(3) <= FRAME_CAPACITY, "transmitted packets must fit a pool frame");

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct pkt_pool *pool;
    if (!pool)
        pool = pkt_pool_create(64, FRAME_CAPACITY);
    /* A region in its own mapping with guard pages on both sides, so any stray access
     * outside it faults even where ASan would not see it. */
    size_t region = 2 * memif_ring_bytes(LOG2) + 8192;
    size_t page = 4096, span = (region + page - 1) / page * page;
    uint8_t *guard = mmap(NULL, span + 2 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (guard == MAP_FAILED)
        return 0;
    uint8_t *mem = guard + page;
    mprotect(mem, span, PROT_READ | PROT_WRITE);
    mem = mem + span - region; /* the region ends exactly at the upper guard */
    memset(mem, 0, region);
    struct memif_ring *s2m = (struct memif_ring *)mem;
    struct memif_ring *m2s = (struct memif_ring *)(mem + memif_ring_bytes(LOG2));
    /* The input overwrites both rings' descriptors and then supplies heads per round. */
    size_t desc_bytes = SLOTS * sizeof(struct memif_desc);
    size_t pos = 0;
    if (size >= 2 * desc_bytes) {
        memcpy(s2m->desc, data, desc_bytes);
        memcpy(m2s->desc, data + desc_bytes, desc_bytes);
        pos = 2 * desc_bytes;
    }
    struct memif_dpconn *c = calloc(1, sizeof(*c));
    c->regions[0].base = mem;
    c->regions[0].size = region;
    c->nregions = 1;
    c->s2m[0] = (struct memif_sring){.ring = s2m, .size = SLOTS, .mask = SLOTS - 1, .eventfd = -1};
    c->m2s[0] = (struct memif_sring){.ring = m2s, .size = SLOTS, .mask = SLOTS - 1, .eventfd = -1};
    c->ns2m = c->nm2s = 1;
    c->max_buffer = 2048;
    c->notify_fd = -1;
    c->epfd = -1;
    memif_dpconn_start(c);
    struct port_stats stats = {0};
    struct pkt *pkts[PKT_BURST];
    struct pkt *out[4];
    for (int i = 0; i < 4; i++) {
        out[i] = pkt_alloc(pool);
        if (pkt_tailroom(out[i]) < OUT_LEN(i))
            abort();
        out[i]->len = OUT_LEN(i);
        memset(out[i]->data, i, out[i]->len);
    }
    for (int round = 0; round < 8 && pos + 5 <= size; round++, pos += 5) {
        uint16_t sh, mh;
        memcpy(&sh, data + pos, 2);
        memcpy(&mh, data + pos + 2, 2);
        uint8_t what = data[pos + 4];
        __atomic_store_n(&s2m->head, sh, __ATOMIC_RELEASE);
        __atomic_store_n(&m2s->head, mh, __ATOMIC_RELEASE);
        m2s->flags = what & 1;
        unsigned n =
            memif_dp_rx(c, pkts, (what >> 1) % PKT_BURST + 1, (what & 0x40) ? NULL : pool, &stats);
        uint64_t before[PKT_BURST];
        for (unsigned i = 0; i < n; i++) {
            const struct pkt *p = pkts[i];
            if (p->len == 0)
                abort();
            /* Every frame is the switch's own copy, never in client memory. */
            if (!p->pool || (p->data + p->len > mem && p->data < mem + region))
                abort();
            before[i] = frame_hash(p);
        }
        /* The peer rewrites all its buffers between the switch's stages. */
        size_t bufs = 2 * memif_ring_bytes(LOG2);
        memset(mem + bufs, data[pos + 4] ^ (uint8_t)round, region - bufs);
        for (unsigned i = 0; i < n; i++)
            if (frame_hash(pkts[i]) != before[i])
                abort();
        memif_dp_tx(c, n ? pkts : out, n ? n : 4, &stats);
        pkt_free_burst(pkts, n);
    }
    pkt_free_burst(out, 4);
    if (pkt_pool_available(pool) != pkt_pool_size(pool))
        abort();
    free(c);
    munmap(guard, span + 2 * page);
    return 0;
}

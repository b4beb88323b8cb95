/* memif_rig.h - a memif connection on rings in ordinary memory, for unit tests that play the
 * client: one region holding an S2M and an M2S ring and their buffers. */
#ifndef SLUICE_TEST_MEMIF_RIG_H
#define SLUICE_TEST_MEMIF_RIG_H

#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "port_memif.h"

#define LOG2 4
#define SLOTS (1u << LOG2)
#define BSIZE 256u

struct rig {
    uint8_t *mem;
    uint64_t size;
    struct memif_ring *s2m, *m2s;
    uint32_t buf_at;
    struct memif_dpconn *c;
    struct port_stats stats;
    struct pkt_pool *pool;
    int s2m_efd, m2s_efd;
};

static inline uint32_t buf_off(const struct rig *r, unsigned ring, unsigned slot)
{
    return r->buf_at + (ring * SLOTS + slot) * BSIZE;
}

static inline void rig_init(struct rig *r)
{
    memset(r, 0, sizeof(*r));
    r->buf_at = (uint32_t)memif_ring_bytes(LOG2) * 2;
    r->size = r->buf_at + 2 * SLOTS * BSIZE;
    r->mem = calloc(1, r->size);
    r->s2m = (struct memif_ring *)r->mem;
    r->m2s = (struct memif_ring *)(r->mem + memif_ring_bytes(LOG2));
    r->c = calloc(1, sizeof(*r->c));
    r->c->regions[0].base = r->mem;
    r->c->regions[0].size = r->size;
    r->c->nregions = 1;
    r->s2m_efd = eventfd(0, EFD_NONBLOCK);
    r->m2s_efd = eventfd(0, EFD_NONBLOCK);
    struct memif_sring *s = &r->c->s2m[0];
    s->ring = r->s2m;
    s->size = SLOTS;
    s->mask = SLOTS - 1;
    s->eventfd = r->s2m_efd;
    struct memif_sring *m = &r->c->m2s[0];
    m->ring = r->m2s;
    m->size = SLOTS;
    m->mask = SLOTS - 1;
    m->eventfd = r->m2s_efd;
    r->c->ns2m = r->c->nm2s = 1;
    r->c->max_buffer = BSIZE;
    r->c->notify_fd = -1;
    r->c->epfd = -1;
    r->c->in_port = 3;
    r->s2m->cookie = r->m2s->cookie = MEMIF_COOKIE;
    memif_dpconn_start(r->c);
    r->pool = pkt_pool_create(16, 2048);
    for (unsigned i = 0; i < SLOTS; i++) {
        r->s2m->desc[i] =
            (struct memif_desc){.region = 0, .length = BSIZE, .offset = buf_off(r, 0, i)};
        r->m2s->desc[i] =
            (struct memif_desc){.region = 0, .length = BSIZE, .offset = buf_off(r, 1, i)};
    }
}

static inline void rig_free(struct rig *r)
{
    pkt_pool_destroy(r->pool);
    close(r->s2m_efd);
    close(r->m2s_efd);
    free(r->c);
    free(r->mem);
}

/* The client posts a packet of len bytes filled with `fill` on the S2M ring. */
static inline void client_send(struct rig *r, uint32_t len, uint8_t fill, uint16_t flags)
{
    uint16_t slot = r->s2m->head;
    struct memif_desc *d = &r->s2m->desc[slot & (SLOTS - 1)];
    d->length = len;
    d->flags = flags;
    memset(r->mem + d->offset, fill, len < BSIZE ? len : BSIZE);
    r->s2m->head = (uint16_t)(slot + 1);
}

#endif

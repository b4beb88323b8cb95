/* packet.c - the packet pool: a stack of free buffers in one mapping.
 * Used by a single data-plane thread, so it takes no locks. */
#include "packet.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct pkt_pool {
    unsigned count;
    unsigned nfree;
    unsigned stride;
    uint8_t *mem;
    size_t mem_size;
    struct pkt *pkts;
    struct pkt **free_stack;
};

struct pkt_pool *pkt_pool_create(unsigned count, unsigned frame_capacity)
{
    if (count == 0 || frame_capacity == 0 || frame_capacity > (1u << 24))
        return NULL;
    struct pkt_pool *pool = calloc(1, sizeof(*pool));
    if (!pool)
        return NULL;
    pool->count = count;
    pool->stride = (PKT_HEADROOM + frame_capacity + 63u) & ~63u;
    pool->mem_size = (size_t)pool->stride * count;
    /* Untouched pages cost nothing, so large GSO-capable buffers are cheap until used. A guard
     * page after the last buffer turns an overrun into a fault instead of silent damage. */
    size_t guard = (size_t)sysconf(_SC_PAGESIZE);
    pool->mem_size = (pool->mem_size + guard - 1) / guard * guard + guard;
    pool->mem =
        mmap(NULL, pool->mem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (pool->mem != MAP_FAILED)
        mprotect(pool->mem + pool->mem_size - guard, guard, PROT_NONE);
    pool->pkts = calloc(count, sizeof(struct pkt));
    pool->free_stack = calloc(count, sizeof(struct pkt *));
    if (pool->mem == MAP_FAILED || !pool->pkts || !pool->free_stack) {
        if (pool->mem != MAP_FAILED)
            munmap(pool->mem, pool->mem_size);
        free(pool->pkts);
        free(pool->free_stack);
        free(pool);
        return NULL;
    }
    for (unsigned i = 0; i < count; i++) {
        struct pkt *p = &pool->pkts[i];
        p->pool = pool;
        p->buf = pool->mem + (size_t)i * pool->stride;
        p->buf_size = pool->stride;
        pool->free_stack[i] = p;
    }
    pool->nfree = count;
    return pool;
}

void pkt_pool_destroy(struct pkt_pool *pool)
{
    if (!pool)
        return;
    munmap(pool->mem, pool->mem_size);
    free(pool->pkts);
    free(pool->free_stack);
    free(pool);
}

static inline void pkt_reset(struct pkt *p)
{
    p->data = p->buf + PKT_HEADROOM;
    p->len = 0;
    p->in_port = 0;
    p->ts_ns = 0;
    memset(&p->offload, 0, sizeof(p->offload));
    p->refcnt = 1;
}

unsigned pkt_alloc_burst(struct pkt_pool *pool, struct pkt **pkts, unsigned n)
{
    if (n > pool->nfree)
        n = pool->nfree;
    for (unsigned i = 0; i < n; i++) {
        struct pkt *p = pool->free_stack[--pool->nfree];
        pkt_reset(p);
        pkts[i] = p;
    }
    return n;
}

struct pkt *pkt_alloc(struct pkt_pool *pool)
{
    struct pkt *p = NULL;
    return pkt_alloc_burst(pool, &p, 1) ? p : NULL;
}

void pkt_free(struct pkt *p)
{
    if (--p->refcnt == 0 && p->pool)
        p->pool->free_stack[p->pool->nfree++] = p;
}

void pkt_free_burst(struct pkt **pkts, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        pkt_free(pkts[i]);
}

unsigned pkt_pool_available(const struct pkt_pool *pool)
{
    return pool->nfree;
}

unsigned pkt_pool_size(const struct pkt_pool *pool)
{
    return pool->count;
}

struct pkt *pkt_clone(const struct pkt *p)
{
    struct pkt *c = p->pool ? pkt_alloc(p->pool) : NULL;
    if (!c)
        return NULL;
    if ((uint64_t)PKT_HEADROOM + p->len > c->buf_size) {
        pkt_free(c);
        return NULL;
    }
    c->data = c->buf + PKT_HEADROOM;
    memcpy(c->data, p->data, p->len);
    c->len = p->len;
    c->in_port = p->in_port;
    c->ts_ns = p->ts_ns;
    c->offload = p->offload;
    return c;
}

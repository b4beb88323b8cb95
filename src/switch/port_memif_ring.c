/* port_memif_ring.c - the memif port's data path: packets from the client copied out of its S2M
 * rings into the switch's pool, packets to the client copied into buffers it posted on M2S. */
#include "port_memif.h"

#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

/* head and tail live in memory the peer writes concurrently: every access is atomic, and a
 * descriptor is copied out once before it is checked and used. */
static inline uint16_t load_acquire16(uint16_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void store_release16(uint16_t *p, uint16_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline void read_desc(const struct memif_sring *r, uint16_t slot, struct memif_desc *out)
{
    memcpy(out, (const void *)&r->ring->desc[slot & r->mask], sizeof(*out));
    /* The compiler must not re-read the shared descriptor after the checks. */
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
}

/* Only the data-plane thread marks a connection broken: the reason is written before the flag
 * is published, and the management thread reads it after seeing the flag. */
static void mark_broken(struct memif_dpconn *c, enum memif_err err)
{
    if (atomic_load_explicit(&c->broken, memory_order_relaxed))
        return;
    c->broken_err = err;
    atomic_store_explicit(&c->broken, 1, memory_order_release);
    if (c->notify_fd >= 0) {
        uint64_t one = 1;
        ssize_t w = write(c->notify_fd, &one, sizeof(one));
        (void)w;
    }
}

void memif_dpconn_start(struct memif_dpconn *c)
{
    for (unsigned i = 0; i < c->ns2m; i++) {
        struct memif_sring *r = &c->s2m[i];
        r->next = 0;
        __atomic_store_n(&r->ring->flags, 0, __ATOMIC_RELAXED);
    }
    c->armed = true;
    c->empty_polls = 0;
    for (unsigned i = 0; i < c->nm2s; i++) {
        struct memif_sring *r = &c->m2s[i];
        r->next = 0;
    }
    c->rx_ring = 0;
    atomic_store(&c->broken, 0);
}

/* The client signals a ring's eventfd after posting only while the ring's MASK_INT flag is
 * clear. The flags stay set while the data plane polls the port, and are cleared ("armed")
 * after MEMIF_ARM_AFTER_EMPTY empty polls in a row, before the data plane gives up polling
 * the port (after 256) and waits in epoll. Arming reads the heads once more after clearing
 * the flags: a packet posted while they changed may come without a signal. The poll fd is
 * an edge-triggered epoll set, drained when arming and every MEMIF_DRAIN_EVERY empty polls,
 * so it is quiet when the data plane goes to sleep unless a new signal came. */
#define MEMIF_ARM_AFTER_EMPTY 32
#define MEMIF_DRAIN_EVERY 16

static void set_rx_flags(struct memif_dpconn *c, uint16_t flags)
{
    for (unsigned i = 0; i < c->ns2m; i++)
        __atomic_store_n(&c->s2m[i].ring->flags, flags, __ATOMIC_RELAXED);
}

static void drain_signals(struct memif_dpconn *c)
{
    if (c->epfd >= 0) {
        struct epoll_event evs[MEMIF_MAX_RINGS];
        epoll_wait(c->epfd, evs, MEMIF_MAX_RINGS, 0);
    }
}

static bool any_pending(struct memif_dpconn *c)
{
    for (unsigned i = 0; i < c->ns2m; i++)
        if (load_acquire16(&c->s2m[i].ring->head) != c->s2m[i].next)
            return true;
    return false;
}

/* Copies one frame (a descriptor, or a chain of them) starting at r->next into a pool packet.
 * Every frame is copied, however small: the client can still write its buffers, and nothing
 * the switch decides on (VLAN admission, flow match, TTL) may be read from memory that can
 * change between two reads. Returns the packet, or NULL with the frame consumed and counted
 * as a drop; *err on a violation. */
static struct pkt *rx_frame(struct memif_dpconn *c, struct memif_sring *r, int avail,
                            struct pkt_pool *pool, struct port_stats *stats, enum memif_err *err,
                            int *used)
{
    struct pkt *p = pool ? pkt_alloc(pool) : NULL;
    uint32_t total = 0;
    bool too_big = false;
    int n = 0;
    for (;;) {
        if (n == avail) {
            *err = MEMIF_E_DESC_CHAIN;
            break;
        }
        struct memif_desc d;
        read_desc(r, (uint16_t)(r->next + n), &d);
        uint8_t *src;
        enum memif_err e = memif_desc_resolve(&d, c->regions, c->nregions, c->max_buffer, &src);
        if (e != MEMIF_OK) {
            *err = e;
            break;
        }
        n++;
        if (p && !too_big) {
            if (d.length > pkt_tailroom(p)) {
                too_big = true;
            } else {
                memcpy(p->data + total, src, d.length);
                total += d.length;
                p->len = total;
            }
        }
        if (!(d.flags & MEMIF_DESC_FLAG_NEXT))
            break;
    }
    *used = n;
    if (*err != MEMIF_OK) {
        if (p)
            pkt_free(p);
        return NULL;
    }
    if (!p) {
        stats->rx_drops[DROP_NO_BUFFER]++;
        return NULL;
    }
    if (too_big) {
        stats->rx_drops[DROP_MALFORMED]++;
        pkt_free(p);
        return NULL;
    }
    p->in_port = c->in_port;
    return p;
}

/* Copies up to max frames off one S2M ring, then gives their buffers straight back to the
 * client: the switch keeps nothing in client memory. */
static unsigned rx_ring(struct memif_dpconn *c, struct memif_sring *r, struct pkt **pkts,
                        unsigned max, struct pkt_pool *pool, struct port_stats *stats,
                        enum memif_err *err)
{
    unsigned count = 0;
    int avail = memif_ring_pending(load_acquire16(&r->ring->head), r->next, r->size);
    if (avail < 0) {
        *err = MEMIF_E_RING_COUNT;
        return count;
    }
    uint16_t first = r->next;
    while (avail > 0 && count < max) {
        int used = 0;
        struct pkt *p = rx_frame(c, r, avail, pool, stats, err, &used);
        if (*err != MEMIF_OK)
            break;
        r->next = (uint16_t)(r->next + used);
        avail -= used;
        if (p)
            pkts[count++] = p;
    }
    if (r->next != first)
        store_release16(&r->ring->tail, r->next);
    return count;
}

static unsigned rx_gather(struct memif_dpconn *c, struct pkt **pkts, unsigned max,
                          struct pkt_pool *pool, struct port_stats *stats)
{
    unsigned total = 0;
    unsigned start = c->rx_ring;
    for (unsigned k = 0; k < c->ns2m && total < max; k++) {
        struct memif_sring *r = &c->s2m[(start + k) % c->ns2m];
        enum memif_err err = MEMIF_OK;
        total += rx_ring(c, r, pkts + total, max - total, pool, stats, &err);
        if (err != MEMIF_OK) {
            stats->rx_drops[DROP_PEER]++;
            mark_broken(c, err);
            return total;
        }
    }
    c->rx_ring = (start + 1) % c->ns2m;
    return total;
}

unsigned memif_dp_rx(struct memif_dpconn *c, struct pkt **pkts, unsigned max, struct pkt_pool *pool,
                     struct port_stats *stats)
{
    if (atomic_load_explicit(&c->broken, memory_order_relaxed))
        return 0;
    if (max > PKT_BURST)
        max = PKT_BURST;
    unsigned total = rx_gather(c, pkts, max, pool, stats);
    if (total) {
        c->empty_polls = 0;
        if (c->armed) {
            set_rx_flags(c, MEMIF_RING_FLAG_MASK_INT);
            c->armed = false;
        }
        return total;
    }
    c->empty_polls++;
    if (!c->armed && c->empty_polls >= MEMIF_ARM_AFTER_EMPTY) {
        set_rx_flags(c, 0);
        c->armed = true;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        drain_signals(c);
        if (any_pending(c) && !atomic_load_explicit(&c->broken, memory_order_relaxed))
            total = rx_gather(c, pkts, max, pool, stats);
    } else if (c->empty_polls % MEMIF_DRAIN_EVERY == 0) {
        drain_signals(c);
    }
    return total;
}

unsigned memif_dp_tx(struct memif_dpconn *c, struct pkt **pkts, unsigned n,
                     struct port_stats *stats)
{
    if (n == 0 || atomic_load_explicit(&c->broken, memory_order_relaxed))
        return 0;
    struct memif_sring *r = &c->m2s[0];
    int avail = memif_ring_pending(load_acquire16(&r->ring->head), r->next, r->size);
    enum memif_err err = MEMIF_OK;
    if (avail < 0) {
        err = MEMIF_E_RING_COUNT;
        avail = 0;
    }
    uint16_t slot = r->next;
    unsigned sent = 0;
    for (; sent < n && avail > 0 && err == MEMIF_OK; sent++) {
        const struct pkt *p = pkts[sent];
        uint32_t copied = 0;
        int used = 0;
        /* Fill posted buffers one after another until the frame is in; chain them. */
        for (;;) {
            if (used == avail)
                break;
            struct memif_desc d;
            read_desc(r, (uint16_t)(slot + used), &d);
            uint8_t *dst;
            err = memif_desc_resolve(&d, c->regions, c->nregions, c->max_buffer, &dst);
            if (err != MEMIF_OK)
                break;
            uint32_t chunk = p->len - copied;
            if (chunk > d.length)
                chunk = d.length;
            memcpy(dst, p->data + copied, chunk);
            copied += chunk;
            struct memif_desc *shared = &r->ring->desc[(uint16_t)(slot + used) & r->mask];
            used++;
            bool more = copied < p->len;
            __atomic_store_n(&shared->length, chunk, __ATOMIC_RELAXED);
            __atomic_store_n(&shared->flags, more ? MEMIF_DESC_FLAG_NEXT : 0, __ATOMIC_RELAXED);
            if (!more)
                break;
        }
        if (err != MEMIF_OK || copied < p->len || p->len == 0)
            break; /* out of posted buffers mid-frame: the frame waits for the next call */
        slot = (uint16_t)(slot + used);
        avail -= used;
    }
    if (slot != r->next) {
        r->next = slot;
        store_release16(&r->ring->tail, slot);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (!(__atomic_load_n(&r->ring->flags, __ATOMIC_RELAXED) & MEMIF_RING_FLAG_MASK_INT)) {
            uint64_t one = 1;
            ssize_t w = write(r->eventfd, &one, sizeof(one));
            (void)w;
        }
    }
    if (err != MEMIF_OK) {
        stats->tx_drops[DROP_PEER]++;
        mark_broken(c, err);
    }
    return sent;
}

/* client_ring.c - libsluice-memif's data path: filling and publishing S2M buffers, reading and
 * reposting M2S buffers. Every buffer is fixed to its slot; the server only changes lengths. */
#include "client.h"

#include <string.h>
#include <unistd.h>

void client_fail(struct sluice_memif *m, const char *why);

static inline uint16_t load_acquire16(uint16_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void store_release16(uint16_t *p, uint16_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static void ring_init(struct sluice_memif *m, struct client_ring *r, bool m2s)
{
    struct memif_ring *ring = r->ring;
    ring->cookie = MEMIF_COOKIE;
    /* Each ring's flags belong to its consumer: ours are the M2S rings. */
    ring->flags = (m2s && !m->rx_interrupts) ? MEMIF_RING_FLAG_MASK_INT : 0;
    ring->head = 0;
    ring->tail = 0;
    for (unsigned i = 0; i < r->size; i++) {
        struct memif_desc *d = &ring->desc[i];
        d->flags = 0;
        d->region = 0;
        d->length = m->buffer_size;
        d->offset = r->buf_offset + i * m->buffer_size;
        d->metadata = 0;
    }
    r->next = 0;
    r->posted = 0;
}

void client_rings_reset(struct sluice_memif *m)
{
    for (unsigned q = 0; q < m->queues; q++) {
        ring_init(m, &m->s2m[q], false);
        ring_init(m, &m->m2s[q], true);
    }
    /* Signals left over from the previous connection mean nothing now. */
    for (unsigned q = 0; q < m->queues; q++) {
        uint64_t v;
        ssize_t n = read(m->m2s[q].eventfd, &v, sizeof(v));
        n = read(m->s2m[q].eventfd, &v, sizeof(v));
        (void)n;
    }
}

void client_rings_post_all(struct sluice_memif *m)
{
    for (unsigned q = 0; q < m->queues; q++) {
        struct client_ring *r = &m->m2s[q];
        r->posted = r->size;
        store_release16(&r->ring->head, r->posted);
    }
}

unsigned sluice_memif_rx_burst(struct sluice_memif *m, unsigned queue,
                               struct sluice_memif_buf *bufs, unsigned max)
{
    if (m->state != CLIENT_CONNECTED || queue >= m->queues)
        return 0;
    struct client_ring *r = &m->m2s[queue];
    uint16_t tail = load_acquire16(&r->ring->tail);
    uint16_t ready = (uint16_t)(tail - r->next);
    /* The server may only fill what was posted. */
    if ((uint16_t)(r->posted - r->next) < ready) {
        m->stats.rx_bad++;
        client_fail(m, "server moved the tail past the posted buffers");
        return 0;
    }
    unsigned n = ready < max ? ready : max;
    /* Hand out whole packets: stop before a chain that does not end within the burst (unless
     * the chain alone is longer than max, which the caller then gets in parts). */
    if (n < ready) {
        unsigned whole = n;
        while (whole > 0 &&
               (__atomic_load_n(&r->ring->desc[(uint16_t)(r->next + whole - 1) & r->mask].flags,
                                __ATOMIC_RELAXED) &
                MEMIF_DESC_FLAG_NEXT))
            whole--;
        if (whole > 0)
            n = whole;
    }
    for (unsigned i = 0; i < n; i++) {
        uint16_t slot = (uint16_t)(r->next + i);
        const struct memif_desc *d = &r->ring->desc[slot & r->mask];
        uint32_t len = __atomic_load_n(&d->length, __ATOMIC_RELAXED);
        if (len > m->buffer_size) {
            m->stats.rx_bad++;
            client_fail(m, "server wrote a length beyond the buffer");
            return 0;
        }
        bufs[i].data = m->region + r->buf_offset + (slot & r->mask) * m->buffer_size;
        bufs[i].len = len;
        bufs[i].capacity = m->buffer_size;
        bufs[i].flags = d->flags & MEMIF_DESC_FLAG_NEXT ? SLUICE_MEMIF_BUF_NEXT : 0;
        bufs[i].slot = slot;
        m->stats.rx_bytes += len;
        if (!bufs[i].flags)
            m->stats.rx_packets++;
    }
    r->next = (uint16_t)(r->next + n);
    return n;
}

void sluice_memif_buf_put(struct sluice_memif *m, unsigned queue, unsigned n)
{
    if (m->state != CLIENT_CONNECTED || queue >= m->queues)
        return;
    struct client_ring *r = &m->m2s[queue];
    /* Only buffers already received can be reposted. */
    uint16_t held = (uint16_t)(r->next - (uint16_t)(r->posted - r->size));
    if (n > held)
        n = held;
    for (unsigned i = 0; i < n; i++) {
        uint16_t slot = (uint16_t)(r->posted + i);
        struct memif_desc *d = &r->ring->desc[slot & r->mask];
        d->flags = 0;
        d->region = 0;
        d->length = m->buffer_size;
        d->offset = r->buf_offset + (slot & r->mask) * m->buffer_size;
    }
    r->posted = (uint16_t)(r->posted + n);
    store_release16(&r->ring->head, r->posted);
}

unsigned sluice_memif_buf_get(struct sluice_memif *m, unsigned queue, struct sluice_memif_buf *bufs,
                              unsigned n)
{
    if (m->state != CLIENT_CONNECTED || queue >= m->queues)
        return 0;
    struct client_ring *r = &m->s2m[queue];
    uint16_t tail = load_acquire16(&r->ring->tail);
    uint16_t in_flight = (uint16_t)(r->next - tail);
    if (in_flight > r->size) {
        client_fail(m, "server moved the tail past the head");
        return 0;
    }
    unsigned free_slots = r->size - in_flight;
    if (n > free_slots)
        n = free_slots;
    for (unsigned i = 0; i < n; i++) {
        uint16_t slot = (uint16_t)(r->next + i);
        bufs[i].data = m->region + r->buf_offset + (slot & r->mask) * m->buffer_size;
        bufs[i].len = 0;
        bufs[i].capacity = m->buffer_size;
        bufs[i].flags = 0;
        bufs[i].slot = slot;
    }
    return n;
}

unsigned sluice_memif_tx_burst(struct sluice_memif *m, unsigned queue,
                               const struct sluice_memif_buf *bufs, unsigned n)
{
    if (m->state != CLIENT_CONNECTED || queue >= m->queues || n == 0)
        return 0;
    struct client_ring *r = &m->s2m[queue];
    uint16_t slot = r->next;
    /* A chain is published whole or not at all. */
    unsigned complete = 0;
    uint64_t bytes = 0, complete_bytes = 0, packets = 0;
    for (unsigned i = 0; i < n; i++) {
        if (bufs[i].slot != (uint16_t)(slot + i) || bufs[i].len > m->buffer_size ||
            bufs[i].len == 0)
            break;
        struct memif_desc *d = &r->ring->desc[(slot + i) & r->mask];
        d->flags = bufs[i].flags & SLUICE_MEMIF_BUF_NEXT ? MEMIF_DESC_FLAG_NEXT : 0;
        d->region = 0;
        d->length = bufs[i].len;
        d->offset = r->buf_offset + ((slot + i) & r->mask) * m->buffer_size;
        bytes += bufs[i].len;
        if (!(bufs[i].flags & SLUICE_MEMIF_BUF_NEXT)) {
            complete = i + 1;
            complete_bytes = bytes;
            packets++;
        }
    }
    if (complete == 0)
        return 0;
    m->stats.tx_packets += packets;
    m->stats.tx_bytes += complete_bytes;
    r->next = (uint16_t)(slot + complete);
    store_release16(&r->ring->head, r->next);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!(__atomic_load_n(&r->ring->flags, __ATOMIC_RELAXED) & MEMIF_RING_FLAG_MASK_INT)) {
        uint64_t one = 1;
        ssize_t w = write(r->eventfd, &one, sizeof(one));
        (void)w;
    }
    return complete;
}

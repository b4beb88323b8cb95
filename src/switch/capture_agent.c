/* capture_agent.c - the data-plane half of capture: an agent filters a burst at a port's
 * receive or transmit point, then copies matches into its sealed ring. */
#include "capture_agent.h"

#include <stdatomic.h>

static void run_agent(struct capture_agent *a, struct pkt *const *pkts, const uint8_t *const *data,
                      const uint32_t *lens, unsigned n, uint8_t dir)
{
    if (atomic_load_explicit(&a->broken, memory_order_relaxed))
        return;
    uint32_t verdicts[PKT_BURST];
    /* The filter sees the whole frame, as a capture on a Linux interface does; the snaplen
     * and the filter's return value then bound what is copied. */
    sbpf_filter_run_burst(a->filter, data, lens, lens, verdicts, n);
    unsigned stored = 0;
    a->seen += n;
    for (unsigned i = 0; i < n; i++) {
        if (!verdicts[i])
            continue;
        a->matched++;
        const struct pkt *p = pkts[i];
        uint32_t caplen = p->len;
        if (caplen > a->snaplen)
            caplen = a->snaplen;
        if (caplen > verdicts[i])
            caplen = verdicts[i];
        int rc =
            capring_put(&a->ring, p->data, caplen, p->len, (uint16_t)a->port_index, dir, p->ts_ns);
        if (rc < 0) {
            atomic_store(&a->broken, true);
            return;
        }
        stored += rc == 0;
    }
    __atomic_store_n(&a->ring.hdr->seen, a->seen, __ATOMIC_RELAXED);
    __atomic_store_n(&a->ring.hdr->matched, a->matched, __ATOMIC_RELAXED);
    if (stored)
        capring_publish(&a->ring);
}

void capture_run(struct capture_agent *const *list, unsigned nagents, struct pkt *const *pkts,
                 unsigned n, uint8_t dir)
{
    const uint8_t *data[PKT_BURST];
    uint32_t lens[PKT_BURST];
    if (n > PKT_BURST)
        n = PKT_BURST;
    for (unsigned i = 0; i < n; i++) {
        data[i] = pkts[i]->data;
        lens[i] = pkts[i]->len;
    }
    for (unsigned i = 0; i < nagents; i++)
        run_agent(list[i], pkts, data, lens, n, dir);
}

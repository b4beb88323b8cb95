/* transmit.c - output queueing and transmit: packets queued per output port during a burst,
 * then sent through transmit-point capture, the offload fallback and the port's tx. */
#include "transmit.h"

#include <linux/virtio_net.h>

#include "capture_agent.h"
#include "offload.h"

static void port_send(struct port *port, struct pkt **pkts, unsigned n)
{
    /* A kind counts frames it refused (DROP_TX_ERROR); the rest not sent found no room. */
    uint64_t refused_before = port->stats.tx_drops[DROP_TX_ERROR];
    unsigned sent = port->failed ? 0 : port->kind->tx(port, pkts, n);
    unsigned refused = (unsigned)(port->stats.tx_drops[DROP_TX_ERROR] - refused_before);
    for (unsigned i = 0; i < sent; i++)
        port->stats.tx_bytes += pkts[i]->len;
    port->stats.tx_packets += sent;
#ifndef SLUICE_NO_TRAFSTATS
    trafstats_count(&port->traffic[1], pkts, sent);
#endif
    if (sent + refused < n)
        port->stats.tx_drops[port->failed ? DROP_PORT_DOWN : DROP_TX_FULL] += n - sent - refused;
    pkt_free_burst(pkts, n);
}

/* For ports that cannot take offload state: checksums completed and large segments cut,
 * sending in bursts as the batch fills. */
static void send_resolved(struct port *port, struct pkt **txq, unsigned n)
{
    struct pkt *batch[PKT_BURST];
    struct pkt *segs[64];
    unsigned nb = 0;
    for (unsigned i = 0; i < n; i++) {
        struct pkt *p = txq[i];
        unsigned nsegs = 1;
        if (p->offload.gso_type != 0) {
            nsegs = offload_segment(p, segs, 64);
            pkt_free(p);
        } else {
            if ((p->offload.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && p->refcnt > 1) {
                struct pkt *c = pkt_clone(p);
                pkt_free(p);
                if (!c) {
                    port->stats.tx_drops[DROP_NO_BUFFER]++;
                    continue;
                }
                p = c;
            }
            segs[0] = p;
            if (offload_finish_csum(p) < 0) {
                pkt_free(p);
                nsegs = 0;
            } else {
                p->offload = (struct pkt_offload){0};
            }
        }
        if (nsegs == 0)
            port->stats.tx_drops[DROP_TX_ERROR]++;
        for (unsigned s = 0; s < nsegs; s++) {
            batch[nb++] = segs[s];
            if (nb == PKT_BURST) {
                port_send(port, batch, nb);
                nb = 0;
            }
        }
    }
    if (nb)
        port_send(port, batch, nb);
}

static void flush_port(const struct dp_config *cfg, uint32_t q)
{
    const struct dp_port *dq = &cfg->slots[q];
    struct port *port = dq->port;
    unsigned n = port->ntx;
    port->ntx = 0;
    if (dq->ncaps[1])
        capture_run(dq->caps[1], dq->ncaps[1], port->txq, n, CAPDIR_OUT);
    if (port->kind->flags & PORT_KIND_F_OFFLOAD)
        port_send(port, port->txq, n);
    else
        send_resolved(port, port->txq, n);
}

void dp_output(struct dp_thread *t, const struct dp_config *cfg, uint32_t q, struct pkt *p)
{
    struct port *port = cfg->slots[q].port;
    if (port->ntx == PKT_BURST)
        flush_port(cfg, q);
    port->txq[port->ntx++] = p;
    if (!port->tx_pending) {
        port->tx_pending = true;
        t->pending_tx[t->npending++] = q;
    }
}

void tx_flush_all(struct dp_thread *t, const struct dp_config *cfg)
{
    for (unsigned i = 0; i < t->npending; i++) {
        uint32_t q = t->pending_tx[i];
        if (cfg->slots[q].port->ntx)
            flush_port(cfg, q);
        cfg->slots[q].port->tx_pending = false;
    }
    t->npending = 0;
}

/* port_pcap.c - the `pcap` port: replays a capture file as received traffic (once, at full
 * speed) and records what the switch sends to it; deterministic tests need no root. */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "port.h"

struct pcap_port {
    pcap_t *in;
    pcap_t *out_dead;
    pcap_dumper_t *out;
    int ready_fd; /* readable while input remains */
    bool eof;
    uint64_t replayed;
};

static void pp_free(struct pcap_port *pp)
{
    if (pp->in)
        pcap_close(pp->in);
    if (pp->out)
        pcap_dump_close(pp->out);
    if (pp->out_dead)
        pcap_close(pp->out_dead);
    if (pp->ready_fd >= 0)
        close(pp->ready_fd);
    free(pp);
}

static int pp_open(struct port *p, char *err, size_t errlen)
{
    const char *in = port_arg(&p->args, "in"), *out = port_arg(&p->args, "out");
    if (!in && !out) {
        snprintf(err, errlen, "type=pcap needs in=FILE, out=FILE or both");
        return -1;
    }
    struct pcap_port *pp = calloc(1, sizeof(*pp));
    if (!pp) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    pp->ready_fd = eventfd(in ? 1 : 0, EFD_CLOEXEC | EFD_NONBLOCK);
    char ebuf[PCAP_ERRBUF_SIZE];
    if (in) {
        pp->in = pcap_open_offline_with_tstamp_precision(in, PCAP_TSTAMP_PRECISION_NANO, ebuf);
        if (!pp->in) {
            snprintf(err, errlen, "cannot read %s: %s", in, ebuf);
            goto fail;
        }
        if (pcap_datalink(pp->in) != DLT_EN10MB) {
            snprintf(err, errlen, "%s: not an Ethernet capture", in);
            goto fail;
        }
    } else {
        pp->eof = true;
    }
    if (out) {
        pp->out_dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, PKT_MAX_FRAME,
                                                            PCAP_TSTAMP_PRECISION_NANO);
        pp->out = pp->out_dead ? pcap_dump_open(pp->out_dead, out) : NULL;
        if (!pp->out) {
            snprintf(err, errlen, "cannot write %s: %s", out,
                     pp->out_dead ? pcap_geterr(pp->out_dead) : "out of memory");
            goto fail;
        }
        pcap_dump_flush(pp->out);
    }
    p->priv = pp;
    return 0;
fail:
    pp_free(pp);
    return -1;
}

static unsigned pp_rx(struct port *port, struct pkt **pkts, unsigned max, struct pkt_pool *pool)
{
    struct pcap_port *pp = port->priv;
    unsigned n = 0;
    while (!pp->eof && n < max) {
        struct pcap_pkthdr *h;
        const u_char *data;
        int rc = pcap_next_ex(pp->in, &h, &data);
        if (rc != 1) {
            uint64_t v;
            pp->eof = true;
            if (read(pp->ready_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
                port->failed = true;
            break;
        }
        struct pkt *p = pkt_alloc(pool);
        if (!p || h->caplen > pkt_tailroom(p)) {
            port->stats.rx_packets++;
            port->stats.rx_drops[p ? DROP_MALFORMED : DROP_NO_BUFFER]++;
            if (p)
                pkt_free(p);
            continue;
        }
        memcpy(p->data, data, h->caplen);
        p->len = h->caplen;
        p->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
        pkts[n++] = p;
        pp->replayed++;
    }
    return n;
}

static unsigned pp_tx(struct port *port, struct pkt **pkts, unsigned n)
{
    struct pcap_port *pp = port->priv;
    if (!pp->out) {
        port->stats.tx_drops[DROP_TX_ERROR] += n; /* nowhere to record: no out= */
        return 0;
    }
    for (unsigned i = 0; i < n; i++) {
        uint64_t ts = pkts[i]->ts_ns;
        struct pcap_pkthdr h = {.caplen = pkts[i]->len, .len = pkts[i]->len};
        h.ts.tv_sec = (time_t)(ts / 1000000000ull);
        h.ts.tv_usec = (suseconds_t)(ts % 1000000000ull); /* nanoseconds: the file is nano */
        pcap_dump((u_char *)pp->out, &h, pkts[i]->data);
    }
    pcap_dump_flush(pp->out);
    return n;
}

static int pp_poll_fd(struct port *port)
{
    return ((struct pcap_port *)port->priv)->ready_fd;
}

static void pp_describe(struct port *port, struct jw *w)
{
    struct pcap_port *pp = port->priv;
    jw_kbool(w, "input_done", pp->eof);
}

static void pp_close(struct port *port)
{
    pp_free(port->priv);
}

PORT_KIND(pcap_kind, {.name = "pcap",
                      .open = pp_open,
                      .rx = pp_rx,
                      .tx = pp_tx,
                      .poll_fd = pp_poll_fd,
                      .describe = pp_describe,
                      .close = pp_close,
                      .flags = PORT_KIND_F_OFFLOAD});

/* port_pcap.c - the `pcap` port: replays a capture file as received traffic (once, at full
 * speed) and records what the switch sends to it; deterministic tests need no root. */
#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "port.h"
#include "port_client.h"

struct pcap_port {
    pcap_t *in;
    pcap_t *out_dead;
    pcap_dumper_t *out;
    int ready_fd; /* readable while input remains */
    bool eof;
    bool passed; /* the client opened the files: they are not reopened at a restart */
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

/* The file behind a passed descriptor must be a regular file: reading a pipe or a device
 * could block the switch's threads for as long as the client likes. */
static FILE *passed_file(int fd, const char *key, const char *mode, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s=: the passed descriptor is not a regular file", key);
        close(fd);
        return NULL;
    }
    int acc = fcntl(fd, F_GETFL) & O_ACCMODE;
    if ((mode[0] == 'r' && acc == O_WRONLY) || (mode[0] == 'w' && acc == O_RDONLY)) {
        snprintf(err, errlen, "%s=: the passed descriptor is not open for %s", key,
                 mode[0] == 'r' ? "reading" : "writing");
        close(fd);
        return NULL;
    }
    /* out= is emptied only now that the port is being made, as opening it by name would. */
    if (mode[0] == 'w' && (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0)) {
        snprintf(err, errlen, "%s=: cannot truncate the passed file: %s", key, strerror(errno));
        close(fd);
        return NULL;
    }
    FILE *f = fdopen(fd, mode);
    if (!f) {
        snprintf(err, errlen, "%s=: %s", key, strerror(errno));
        close(fd);
    }
    return f;
}

/* Finds how to open in= or out=: a descriptor the client passed, or the name when root added
 * the port. Returns 0 with *f set (NULL: open by name) or -1. */
static int pick_file(struct port *p, const char *key, const char *mode, FILE **f, bool *passed,
                     char *err, size_t errlen)
{
    int fd;
    *f = NULL;
    if (port_client_take_fd(p, key, &fd, err, errlen) < 0)
        return -1;
    if (fd >= 0) {
        *passed = true;
        *f = passed_file(fd, key, mode, err, errlen);
        return *f ? 0 : -1;
    }
    if (port_client_is_root(p))
        return 0;
    if (config_restoring)
        snprintf(err, errlen,
                 "not reopened at start: uid %s's client opened its %s= file, the switch does "
                 "not open it by name; add the port again",
                 port_arg(&p->args, "_uid"), key);
    else
        snprintf(err, errlen,
                 "%s=: a non-root client must open the file itself and pass the descriptor "
                 "with the request (sluicectl does)",
                 key);
    return -1;
}

static int pp_open(struct port *p, char *err, size_t errlen)
{
    const char *in = port_arg(&p->args, "in"), *out = port_arg(&p->args, "out");
    if (!in && !out) {
        snprintf(err, errlen, "type=pcap needs in=FILE, out=FILE or both");
        return -1;
    }
    FILE *in_f = NULL, *out_f = NULL;
    bool passed = false;
    /* Both descriptors are taken before anything can fail, so neither number outlives the
     * request in the port's arguments. */
    int rc_in = in ? pick_file(p, "in", "r", &in_f, &passed, err, errlen) : 0;
    char err2[256];
    int rc_out = out ? pick_file(p, "out", "w", &out_f, &passed, err2, sizeof(err2)) : 0;
    if (rc_in == 0 && rc_out < 0)
        snprintf(err, errlen, "%s", err2);
    if (rc_in < 0 || rc_out < 0) {
        if (in_f)
            fclose(in_f);
        if (out_f)
            fclose(out_f);
        return -1;
    }
    struct pcap_port *pp = calloc(1, sizeof(*pp));
    if (!pp) {
        snprintf(err, errlen, "out of memory");
        if (in_f)
            fclose(in_f);
        if (out_f)
            fclose(out_f);
        return -1;
    }
    pp->passed = passed;
    pp->ready_fd = eventfd(in ? 1 : 0, EFD_CLOEXEC | EFD_NONBLOCK);
    char ebuf[PCAP_ERRBUF_SIZE];
    if (in) {
        if (in_f) {
            /* On success pcap owns the stream; on failure it is still ours. */
            pp->in =
                pcap_fopen_offline_with_tstamp_precision(in_f, PCAP_TSTAMP_PRECISION_NANO, ebuf);
            if (!pp->in)
                fclose(in_f);
            in_f = NULL;
        } else {
            pp->in = pcap_open_offline_with_tstamp_precision(in, PCAP_TSTAMP_PRECISION_NANO, ebuf);
        }
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
        if (out_f && pp->out_dead) {
            /* libpcap closes the stream itself when writing the header fails. */
            pp->out = pcap_dump_fopen(pp->out_dead, out_f);
            out_f = NULL;
        } else {
            pp->out = pp->out_dead ? pcap_dump_open(pp->out_dead, out) : NULL;
        }
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
    if (out_f)
        fclose(out_f);
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
    jw_kbool(w, "files_passed", pp->passed);
    jw_kbool(w, "reopened_at_restart", port_client_is_root(port));
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

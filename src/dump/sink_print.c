/* sink_print.c - the printing output: one tcpdump-style line (or more with -v/-x) per packet
 * on standard output, flushed per batch so that a pipe sees packets as they come. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "print.h"
#include "sink.h"

struct print_sink {
    struct sink base;
    struct printer printer; /* large (the TCP conversation table): kept off the stack */
    bool flush_each;
};

static int check_stdout(struct print_sink *ps)
{
    if (!ferror(stdout))
        return 0;
    ps->base.pipe_closed = errno == EPIPE;
    snprintf(ps->base.err, sizeof(ps->base.err), "writing standard output: %s", strerror(errno));
    return -1;
}

static int print_one(struct sink *s, const struct dump_pkt *p)
{
    struct print_sink *ps = (struct print_sink *)s;
    struct print_meta meta = {p->ts_ns, p->ifname, p->dir};
    print_packet(&ps->printer, &meta, p->data, p->caplen, p->origlen);
    if (ps->flush_each)
        fflush(stdout);
    return check_stdout(ps);
}

static int print_batch_end(struct sink *s)
{
    fflush(stdout);
    return check_stdout((struct print_sink *)s);
}

static int print_close(struct sink *s, char *err, size_t errlen)
{
    struct print_sink *ps = (struct print_sink *)s;
    int rc = 0;
    if (fflush(stdout) != 0 || check_stdout(ps) < 0) {
        if (!ps->base.pipe_closed)
            snprintf(err, errlen, "writing standard output: %s", strerror(errno));
        rc = ps->base.pipe_closed ? 0 : -1;
    }
    free(ps);
    return rc;
}

static const struct sink_ops print_ops = {print_one, print_batch_end, NULL, print_close};

struct sink *sink_print_open(const struct dump_options *o, unsigned nports)
{
    struct print_sink *ps = calloc(1, sizeof(*ps));
    if (!ps)
        return NULL;
    ps->base.ops = &print_ops;
    struct print_opts popts = o->print;
    popts.ifname = nports > 1;
    printer_init(&ps->printer, &popts, stdout);
    ps->flush_each = o->line_buffered || o->packet_buffered;
    return &ps->base;
}

/* analyze_sink.c - sluicedump --analyze as a sink: packets feed the analyzer; reports go to
 * standard output per interval and at the end (a live capture's intervals follow the clock). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyze.h"
#include "sink.h"

struct analyze_sink {
    struct sink base;
    struct analyzer an;
    bool live; /* intervals also end by the clock, not only by packet time stamps */
};

static int check_stdout(struct analyze_sink *as)
{
    if (!ferror(stdout))
        return 0;
    as->base.pipe_closed = errno == EPIPE;
    snprintf(as->base.err, sizeof(as->base.err), "writing standard output: %s", strerror(errno));
    return -1;
}

static int an_packet(struct sink *s, const struct dump_pkt *p)
{
    struct analyze_sink *as = (struct analyze_sink *)s;
    analyzer_packet(&as->an, p->ts_ns, p->data, p->caplen, p->origlen);
    return check_stdout(as);
}

static uint64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int an_batch_end(struct sink *s)
{
    struct analyze_sink *as = (struct analyze_sink *)s;
    if (as->live)
        analyzer_tick(&as->an, realtime_ns());
    fflush(stdout);
    return check_stdout(as);
}

static int an_close(struct sink *s, char *err, size_t errlen)
{
    struct analyze_sink *as = (struct analyze_sink *)s;
    analyzer_finish(&as->an);
    analyzer_free(&as->an);
    int rc = 0;
    if (fflush(stdout) != 0 || check_stdout(as) < 0) {
        if (!as->base.pipe_closed)
            snprintf(err, errlen, "writing standard output: %s", strerror(errno));
        rc = as->base.pipe_closed ? 0 : -1;
    }
    free(as);
    return rc;
}

static const struct sink_ops analyze_ops = {
    .packet = an_packet,
    .batch_end = an_batch_end,
    .close = an_close,
};

struct sink *sink_analyze_open(const struct dump_options *o)
{
    struct analyze_sink *as = calloc(1, sizeof(*as));
    if (!as)
        return NULL;
    as->base.ops = &analyze_ops;
    as->live = o->read_file == NULL;
    analyzer_init(&as->an, stdout, o->analyze_interval_ns);
    return &as->base;
}

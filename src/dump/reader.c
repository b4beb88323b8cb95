/* reader.c - sluicedump's capture loop: drains every ring oldest record first into the
 * sink, then sleeps on all eventfds (and the control socket and the signal pipe) at once,
 * using the ring's asleep/recheck protocol so no record is ever left waiting. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rpc.h"
#include "session.h"

#define READ_BATCH 256
#define SLEEP_MS 1000 /* only a safety net: every wake-up is an eventfd or a descriptor */

/* The capture whose next record is the oldest, or NULL if every ring is empty. */
static struct dump_capture *oldest(struct dump_session *s, const struct capring_rec **out,
                                   bool *broken)
{
    struct dump_capture *best = NULL;
    const struct capring_rec *best_rec = NULL;
    for (unsigned i = 0; i < s->n; i++) {
        struct dump_capture *cap = &s->caps[i];
        const struct capring_rec *rec = capring_next(&cap->ring);
        if (cap->ring.broken) {
            *broken = true;
            return cap;
        }
        if (rec && (!best_rec || rec->ts_ns < best_rec->ts_ns)) {
            best = cap;
            best_rec = rec;
        }
    }
    *out = best_rec;
    return best;
}

/* Whether the switch closed the control connection (it sends nothing unasked). */
static bool switch_hung_up(struct dump_session *s, short revents)
{
    if (revents & (POLLHUP | POLLERR | POLLNVAL))
        return true;
    if (!(revents & POLLIN))
        return false;
    char buf[512];
    int fds[RPC_MAX_FDS];
    unsigned nfds = RPC_MAX_FDS;
    bool truncated;
    ssize_t n = rpc_recv(s->fd, buf, sizeof(buf), fds, &nfds, &truncated);
    for (unsigned i = 0; n > 0 && i < nfds; i++)
        close(fds[i]);
    return n <= 0;
}

enum run_end session_run(struct dump_session *s, struct sink *sink, uint64_t count,
                         volatile sig_atomic_t *stop, int wake_fd, uint64_t *captured, char *err,
                         size_t errlen)
{
    bool switch_gone = false;
    struct pollfd pfds[DUMP_MAX_PORTS + 2];
    for (;;) {
        if (*stop)
            return RUN_SIGNAL;
        unsigned batch = 0;
        while (batch < READ_BATCH) {
            const struct capring_rec *rec;
            bool broken = false;
            struct dump_capture *cap = oldest(s, &rec, &broken);
            if (broken) {
                snprintf(err, errlen, "the capture ring of %s holds an impossible record",
                         cap->name);
                return RUN_RING_BROKEN;
            }
            if (!cap)
                break;
            /* One read of the header the ring checked: a switch rewriting a published record
             * must not make us trust a larger caplen than the record holds. */
            struct capring_rec hdr;
            memcpy(&hdr, rec, sizeof(hdr));
            if (hdr.caplen > cap->ring.pending - sizeof(hdr)) {
                snprintf(err, errlen, "the capture ring of %s holds an impossible record",
                         cap->name);
                return RUN_RING_BROKEN;
            }
            struct dump_pkt pkt = {
                .ifidx = (unsigned)(cap - s->caps),
                .ifname = cap->name,
                .ts_ns = hdr.ts_ns,
                .data = (const uint8_t *)(rec + 1),
                .caplen = hdr.caplen,
                .origlen = hdr.origlen,
                .dir = hdr.dir,
            };
            int rc = sink->ops->packet(sink, &pkt);
            capring_release(&cap->ring);
            if (rc < 0) {
                snprintf(err, errlen, "%s", sink->err);
                return sink->pipe_closed ? RUN_OUTPUT_CLOSED : RUN_OUTPUT_ERROR;
            }
            cap->delivered++;
            (*captured)++;
            batch++;
            if (count && *captured >= count) {
                if (sink->ops->batch_end(sink) < 0 && !sink->pipe_closed) {
                    snprintf(err, errlen, "%s", sink->err);
                    return RUN_OUTPUT_ERROR;
                }
                return RUN_COUNT;
            }
        }
        if (batch) {
            if (sink->ops->batch_end(sink) < 0) {
                snprintf(err, errlen, "%s", sink->err);
                return sink->pipe_closed ? RUN_OUTPUT_CLOSED : RUN_OUTPUT_ERROR;
            }
            continue;
        }
        if (switch_gone)
            return RUN_SWITCH_GONE; /* and every ring has been drained */

        /* Every ring is empty: declare the reader asleep on all of them, then recheck. */
        unsigned prepared = 0;
        bool pending = false;
        for (; prepared < s->n; prepared++) {
            if (!capring_sleep_prepare(&s->caps[prepared].ring)) {
                pending = true;
                break;
            }
        }
        if (pending) {
            for (unsigned i = 0; i < prepared; i++)
                capring_sleep_end(&s->caps[i].ring);
            continue;
        }
        unsigned np = 0;
        for (unsigned i = 0; i < s->n; i++)
            pfds[np++] = (struct pollfd){.fd = s->caps[i].ring.efd, .events = POLLIN};
        pfds[np++] = (struct pollfd){.fd = s->fd, .events = POLLIN};
        pfds[np++] = (struct pollfd){.fd = wake_fd, .events = POLLIN};
        int n = poll(pfds, np, SLEEP_MS);
        int saved = errno;
        for (unsigned i = 0; i < s->n; i++)
            capring_sleep_end(&s->caps[i].ring);
        if (n < 0 && saved != EINTR) {
            snprintf(err, errlen, "poll: %s", strerror(saved));
            return RUN_OUTPUT_ERROR;
        }
        if (n > 0 && switch_hung_up(s, pfds[s->n].revents))
            switch_gone = true;
        /* A quiet second ends an empty batch, so outputs that report by the clock
         * (--analyze) get their turn while nothing arrives. */
        if (n == 0 && sink->ops->batch_end(sink) < 0) {
            snprintf(err, errlen, "%s", sink->err);
            return sink->pipe_closed ? RUN_OUTPUT_CLOSED : RUN_OUTPUT_ERROR;
        }
    }
}

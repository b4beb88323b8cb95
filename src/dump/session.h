/* session.h - sluicedump's conversation with the switch: which ports exist, opening one
 * capture per port (filter program in, sealed ring and eventfd out), reading the rings, and
 * closing the captures with their final counters. */
#ifndef SLUICE_DUMP_SESSION_H
#define SLUICE_DUMP_SESSION_H

#include <pcap/pcap.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "capring.h"
#include "options.h"
#include "sink.h"

#define DUMP_MAX_PORTS 128

struct switch_port {
    char name[64];
    uint32_t index;
    char kind[32];
    bool up;
};

struct dump_capture {
    char name[64];
    uint64_t id;
    uint32_t port_index;
    struct capring_cons ring;
    bool attached;
    bool closed;
    /* Final counters: from capture.close, or the ring header if the switch is gone. */
    uint64_t seen, matched, dropped;
    uint64_t delivered;
};

struct dump_session {
    int fd; /* control socket */
    unsigned n;
    struct dump_capture caps[DUMP_MAX_PORTS];
};

/* Connects; -1 with a one-line message. */
int session_connect(struct dump_session *s, const char *sock, char *err, size_t errlen);
/* The switch's ports (capture.ports). Returns how many were stored, or -1. */
int session_ports(struct dump_session *s, struct switch_port *out, unsigned max, char *err,
                  size_t errlen);
/* Turns -i (NULL: the first port that is up) into port names. Returns the count or -1. */
int session_resolve(struct dump_session *s, const char *spec, char names[][64], unsigned max,
                    char *err, size_t errlen);
/* Opens one capture per name with the compiled filter. -1 with a message on the first
 * failure (captures already opened are closed by the switch with the connection). */
int session_open(struct dump_session *s, char names[][64], unsigned n, const struct dump_options *o,
                 const struct bpf_program *prog, char *err, size_t errlen);

/* Why the reading loop ended. */
enum run_end {
    RUN_SIGNAL,
    RUN_COUNT,
    RUN_SWITCH_GONE,
    RUN_RING_BROKEN,
    RUN_OUTPUT_CLOSED,
    RUN_OUTPUT_ERROR
};

/* Delivers records from all rings, oldest first, to the sink until *stop is set (signal;
 * wake_fd becomes readable then), count packets were delivered, the switch hangs up, or the
 * output fails. *captured counts the packets delivered. */
enum run_end session_run(struct dump_session *s, struct sink *sink, uint64_t count,
                         volatile sig_atomic_t *stop, int wake_fd, uint64_t *captured, char *err,
                         size_t errlen);
/* Closes every capture (reading final counters) and the connection. */
void session_close(struct dump_session *s);

#endif

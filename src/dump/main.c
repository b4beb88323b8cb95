/* main.c - sluicedump: tcpdump's command line for the sluice switch. Lists ports, compiles
 * the filter, opens captures, reads their rings into a sink, and reports the counters. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze.h"
#include "dump.h"
#include "session.h"

static volatile sig_atomic_t stop_signal;
static int wake_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    int saved = errno;
    stop_signal = sig;
    if (wake_pipe[1] >= 0) {
        ssize_t n = write(wake_pipe[1], "x", 1);
        (void)n;
    }
    errno = saved;
}

static int fail(const char *msg)
{
    fprintf(stderr, "sluicedump: %s\n", msg);
    return 1;
}

/* Ctrl-C, kill and a lost terminal all end the capture cleanly (and as often as they come:
 * a wrapper that forwards a signal must not cost the buffered output). */
static int install_signals(void)
{
    if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
        return -1;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    return 0;
}

static const char *plural(uint64_t n)
{
    return n == 1 ? "" : "s";
}

static int list_ports(const struct dump_options *o)
{
    struct dump_session s;
    char err[512];
    if (session_connect(&s, o->sock, err, sizeof(err)) < 0)
        return fail(err);
    static struct switch_port ports[DUMP_MAX_PORTS];
    int n = session_ports(&s, ports, DUMP_MAX_PORTS, err, sizeof(err));
    session_close(&s);
    if (n < 0)
        return fail(err);
    if (n == 0)
        return fail("the switch has no ports");
    for (int i = 0; i < n; i++)
        printf("%d.%s (%s) [%s]\n", i + 1, ports[i].name, ports[i].kind,
               ports[i].up ? "Up" : "Down");
    return 0;
}

static int read_file(const struct dump_options *o, const struct bpf_program *prog)
{
    char err[512];
    struct sink *sink = o->analyze ? sink_analyze_open(o) : sink_print_open(o, 1);
    if (!sink)
        return fail("out of memory");
    if (install_signals() < 0)
        return fail("cannot set up signal handling");
    uint64_t captured = 0;
    int rc = dump_read_file(o, prog, sink, &stop_signal, &captured, err, sizeof(err));
    char cerr[256] = "";
    int crc = sink->ops->close(sink, cerr, sizeof(cerr));
    if (rc < 0)
        return fail(err);
    if (crc < 0)
        return fail(cerr);
    return 0;
}

static void announce(const struct dump_options *o, char names[][64], unsigned n)
{
    bool suppressed = !o->print.vflag && !o->write_file;
    if (suppressed)
        fprintf(stderr, "sluicedump: verbose output suppressed, use -v[v]... for full protocol "
                        "decode\n");
    for (unsigned i = 0; i < n; i++)
        fprintf(stderr,
                "%slistening on %s, link-type EN10MB (Ethernet), snapshot length %u bytes\n",
                suppressed ? "" : "sluicedump: ", names[i], o->snaplen);
    fflush(stderr);
}

static int capture(const struct dump_options *o, const struct bpf_program *prog)
{
    static struct dump_session s;
    static char names[DUMP_MAX_PORTS][64];
    char err[512] = "";
    if (session_connect(&s, o->sock, err, sizeof(err)) < 0)
        return fail(err);
    int n = session_resolve(&s, o->ports, names, DUMP_MAX_PORTS, err, sizeof(err));
    if (n < 0) {
        session_close(&s);
        return fail(err);
    }
    if (install_signals() < 0 ||
        session_open(&s, names, (unsigned)n, o, prog, err, sizeof(err)) < 0) {
        session_close(&s);
        return fail(err[0] ? err : "cannot set up signal handling");
    }
    /* The output once the captures exist, as tcpdump: a wrong port leaves -w's file alone. */
    const char *port_names[DUMP_MAX_PORTS];
    for (int i = 0; i < n; i++)
        port_names[i] = names[i];
    struct sink *sink = o->write_file ? sink_file_open(o, port_names, (unsigned)n, err, sizeof(err))
                        : o->analyze  ? sink_analyze_open(o)
                                      : sink_print_open(o, (unsigned)n);
    if (!sink) {
        session_close(&s);
        return fail(o->write_file ? err : "out of memory");
    }
    announce(o, names, (unsigned)n);

    uint64_t captured = 0;
    char run_err[512] = "";
    enum run_end end = session_run(&s, sink, o->count, &stop_signal, wake_pipe[0], &captured,
                                   run_err, sizeof(run_err));
    if (end == RUN_SIGNAL && !o->write_file)
        fputc('\n', stdout); /* as tcpdump: the interrupted line may be unfinished */
    session_close(&s);

    uint64_t matched = 0, dropped = 0;
    for (unsigned i = 0; i < s.n; i++) {
        struct dump_capture *c = &s.caps[i];
        matched += c->matched;
        dropped += c->dropped;
        if (sink->ops->stats) {
            struct pcapfile_if_stats st = {c->seen, c->dropped, c->matched, c->delivered};
            sink->ops->stats(sink, i, &st);
        }
    }
    char cerr[256] = "";
    int crc = sink->ops->close(sink, cerr, sizeof(cerr));
    int status = 0;
    switch (end) {
    case RUN_SIGNAL:
    case RUN_COUNT:
    case RUN_OUTPUT_CLOSED:
        break;
    case RUN_SWITCH_GONE:
        fail("the switch closed the connection");
        status = 1;
        break;
    case RUN_RING_BROKEN:
    case RUN_OUTPUT_ERROR:
        fail(run_err);
        status = 1;
        break;
    }
    if (crc < 0) {
        fail(cerr);
        status = 1;
    }
    fprintf(stderr, "%llu packet%s captured\n", (unsigned long long)captured, plural(captured));
    fprintf(stderr, "%llu packet%s received by filter\n", (unsigned long long)matched,
            plural(matched));
    fprintf(stderr, "%llu packet%s dropped by switch\n", (unsigned long long)dropped,
            plural(dropped));
    return status;
}

int main(int argc, char **argv)
{
    struct dump_options o;
    int rc = dump_parse_options(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? 1 : 0;
    /* A closed pipe is reported as a write error and ends the capture cleanly. */
    signal(SIGPIPE, SIG_IGN);
    if (o.list_ports) {
        rc = list_ports(&o);
        dump_options_free(&o);
        return rc;
    }
    struct bpf_program prog;
    char err[PCAP_ERRBUF_SIZE + 64];
    if (dump_compile(o.filter, o.snaplen, &prog, err, sizeof(err)) < 0) {
        dump_options_free(&o);
        return fail(err);
    }
    if (o.dump_program)
        bpf_dump(&prog, 1);
    else if (o.read_file)
        rc = read_file(&o, &prog);
    else
        rc = capture(&o, &prog);
    pcap_freecode(&prog);
    dump_options_free(&o);
    return rc;
}

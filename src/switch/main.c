/* main.c - sluiced: parses options, starts the data-plane thread, restores the stored
 * configuration, serves the control socket in the foreground until SIGTERM or SIGINT. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "daemon.h"
#include "dataplane.h"
#include "log.h"
#include "mainloop.h"
#include "metrics.h"
#include "port_client.h"
#include "rpc.h"

#define DEFAULT_STATE_DIR "/var/lib/sluice"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: sluiced [options]\n"
            "A userspace virtual switch. Runs in the foreground and logs to stderr.\n\n"
            "  --sock PATH            control socket (default %s)\n"
            "  --state-dir DIR        stored configuration (default %s)\n"
            "  --socket-dir DIR       where non-root clients may have sockets made, e.g. memif\n"
            "                         socket= (default %s; root may name any path)\n"
            "  --group NAME           group allowed to change the configuration (besides root);\n"
            "                         the control socket is mode 0660, owned by root and NAME\n"
            "  --capture-group NAME   group allowed to capture (default: the --group); when it\n"
            "                         differs, the switch also listens on SOCK.capture (mode\n"
            "                         0660, group NAME), which serves reading and capturing but\n"
            "                         no configuration change; clients that may not open SOCK\n"
            "                         use it by themselves\n"
            "  --pidfile FILE         write the process id to FILE\n"
            "  --mac-aging SECONDS    MAC table aging time (default 300)\n"
            "  --mac-max N            MAC table size (default 8192)\n"
            "  --no-jit               run capture filters in the interpreter\n"
            "  --capture-mem-per-client MIB\n"
            "                         capture ring memory one client may hold (default 512)\n"
            "  --capture-mem-total MIB capture ring memory of all captures (default 1024)\n"
            "  --metrics ADDR:PORT    serve Prometheus metrics at http://ADDR:PORT/metrics (off)\n"
            "  --log-level LEVEL      error, warn, info (default) or debug\n"
            "  -h, --help             this text\n",
            RPC_DEFAULT_SOCK, DEFAULT_STATE_DIR, PORT_CLIENT_DEFAULT_SOCKET_DIR);
}

static void on_signal(void *arg, uint32_t events)
{
    (void)events;
    int fd = *(int *)arg;
    struct signalfd_siginfo si;
    if (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        log_info("signal %u: stopping", si.ssi_signo);
        mainloop_stop();
    }
}

static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

static void make_parent_dir(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        mkdir(dir, 0755);
    }
}

int main(int argc, char **argv)
{
    const char *sock = RPC_DEFAULT_SOCK, *state_dir = DEFAULT_STATE_DIR;
    const char *group = NULL, *capture_group = NULL, *pidfile = NULL;
    const char *metrics_addr = NULL, *socket_dir = PORT_CLIENT_DEFAULT_SOCKET_DIR;
    unsigned long aging = 300, mac_max = 8192;
    unsigned long cap_mem_client = CAPTURE_MEM_PER_CLIENT_DEFAULT >> 20,
                  cap_mem_total = CAPTURE_MEM_TOTAL_DEFAULT >> 20;
    static const struct option opts[] = {
        {"sock", required_argument, NULL, 's'},
        {"state-dir", required_argument, NULL, 'd'},
        {"group", required_argument, NULL, 'g'},
        {"capture-group", required_argument, NULL, 'G'},
        {"pidfile", required_argument, NULL, 'p'},
        {"mac-aging", required_argument, NULL, 'a'},
        {"mac-max", required_argument, NULL, 'm'},
        {"log-level", required_argument, NULL, 'l'},
        {"no-jit", no_argument, NULL, 'J'},
        {"metrics", required_argument, NULL, 'M'},
        {"socket-dir", required_argument, NULL, 'S'},
        {"capture-mem-per-client", required_argument, NULL, 'C'},
        {"capture-mem-total", required_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            sock = optarg;
            break;
        case 'd':
            state_dir = optarg;
            break;
        case 'g':
            group = optarg;
            break;
        case 'G':
            capture_group = optarg;
            break;
        case 'p':
            pidfile = optarg;
            break;
        case 'a':
            if (parse_uint(optarg, 1, 1000000, &aging) < 0) {
                fprintf(stderr, "sluiced: --mac-aging: expected 1..1000000 seconds\n");
                return 2;
            }
            break;
        case 'm':
            if (parse_uint(optarg, 16, 1u << 22, &mac_max) < 0) {
                fprintf(stderr, "sluiced: --mac-max: expected 16..4194304\n");
                return 2;
            }
            break;
        case 'l':
            if (log_level_parse(optarg, &log_threshold) < 0) {
                fprintf(stderr, "sluiced: --log-level: expected error, warn, info or debug\n");
                return 2;
            }
            break;
        case 'J':
            capture_set_jit(false);
            break;
        case 'M':
            metrics_addr = optarg;
            break;
        case 'S':
            socket_dir = optarg;
            break;
        case 'C':
        case 'T':
            if (parse_uint(optarg, 1, 1u << 20, c == 'C' ? &cap_mem_client : &cap_mem_total) < 0) {
                fprintf(stderr, "sluiced: --capture-mem-%s: expected 1..1048576 MiB\n",
                        c == 'C' ? "per-client" : "total");
                return 2;
            }
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    capture_set_mem_limits((uint64_t)cap_mem_client << 20, (uint64_t)cap_mem_total << 20);
    if (optind < argc) {
        fprintf(stderr, "sluiced: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }

    /* Thousands of ports each hold descriptors: raise the soft limit to the hard one. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigprocmask(SIG_BLOCK, &mask, NULL); /* before threads start, so they inherit it */
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC);

    if (mainloop_init() < 0 || sfd < 0 || mainloop_add(sfd, 0x001, on_signal, &sfd) < 0) {
        log_err("cannot set up the event loop: %s", strerror(errno));
        return 1;
    }
    if (config_init(state_dir) < 0 || port_client_set_socket_dir(socket_dir, sock) < 0)
        return 1;
    if (dp_start((uint32_t)aging, (uint32_t)mac_max) < 0) {
        log_err("cannot start the data plane: %s", strerror(errno));
        return 1;
    }
    if (config_restore() < 0) {
        dp_stop();
        return 1;
    }
    make_parent_dir(sock);
    if (control_init(sock, group, capture_group) < 0) {
        dp_stop();
        return 1;
    }
    if (metrics_addr && metrics_start(metrics_addr) < 0) {
        control_shutdown();
        daemon_shutdown();
        dp_stop();
        return 1;
    }
    if (pidfile) {
        FILE *f = fopen(pidfile, "w");
        if (!f) {
            log_err("cannot write %s: %s", pidfile, strerror(errno));
        } else {
            fprintf(f, "%d\n", (int)getpid());
            fclose(f);
        }
    }
    log_info("sluiced ready (pid %d, state in %s)", (int)getpid(), state_dir);
    mainloop_run();
    metrics_stop();
    control_shutdown();
    daemon_shutdown();
    dp_stop();
    if (pidfile)
        unlink(pidfile);
    log_info("sluiced stopped");
    return 0;
}

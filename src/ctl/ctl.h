/* ctl.h - sluicectl's command table and helpers shared by its commands.
 * Each command file registers its commands with CTL_COMMAND. */
#ifndef SLUICE_CTL_H
#define SLUICE_CTL_H

#include <stdbool.h>

#include "json.h"
#include "registry.h"

struct ctl {
    const char *sock; /* control socket path */
    bool json;        /* --json: print the switch's reply as JSON */
    int fd;           /* connection, opened on first call */
};

struct ctl_command {
    const char *name;
    const char *usage; /* arguments, e.g. "NAME type=KIND [key=value...]" */
    const char *help;  /* one line */
    int (*run)(struct ctl *c, int argc, char **argv); /* argv[0] is the command; exit status */
};
#define CTL_COMMAND(ident, ...) SLUICE_REGISTER(sluice_ctl, struct ctl_command, ident, __VA_ARGS__)

/* Calls a method; on failure prints "sluicectl: MESSAGE" to stderr and returns non-zero.
 * On success *result is set (caller frees with json_free). */
int ctl_call(struct ctl *c, const char *method, const char *params_json, struct json **result);
/* ctl_call that passes descriptors with the request (the caller still closes its own). */
int ctl_call_fds(struct ctl *c, const char *method, const char *params_json, const int *send_fds,
                 unsigned nsend, struct json **result);
/* Prints a result as pretty JSON to stdout (for --json). */
void ctl_print_json(const struct json *j);
/* With --json: prints and frees the result and returns true; otherwise returns false. */
bool ctl_json_done(const struct ctl *c, struct json *result);
/* Prints "sluicectl: ..." to stderr and returns 1, for `return ctl_error(...)`. */
int ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

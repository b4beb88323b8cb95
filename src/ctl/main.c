/* main.c - sluicectl: global options, then one command from the registered table.
 * Every failure is one line on stderr and a non-zero exit status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "rpc.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: sluicectl [--json] [--sock PATH] COMMAND [ARGS...]\n"
            "Configures and inspects a running sluiced.\n\n"
            "options:\n"
            "  --json       print replies as JSON (read commands)\n"
            "  --sock PATH  control socket (default %s, or $SLUICE_SOCK)\n"
            "  -h, --help   this text\n\n"
            "commands:\n",
            RPC_DEFAULT_SOCK);
    SLUICE_FOREACH(sluice_ctl, struct ctl_command, it)
    {
        char head[96];
        snprintf(head, sizeof(head), "%s %s", (*it)->name, (*it)->usage);
        fprintf(out, "  %-44s %s\n", head, (*it)->help);
    }
}

int main(int argc, char **argv)
{
    struct ctl c = {.sock = getenv("SLUICE_SOCK"), .fd = -1};
    if (!c.sock || !*c.sock)
        c.sock = RPC_DEFAULT_SOCK;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            c.json = true;
        } else if (strcmp(argv[i], "--sock") == 0 && i + 1 < argc) {
            c.sock = argv[++i];
        } else if (strncmp(argv[i], "--sock=", 7) == 0) {
            c.sock = argv[i] + 7;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            break; /* command options such as --count belong to the command */
        }
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    SLUICE_FOREACH(sluice_ctl, struct ctl_command, it)
    {
        if (strcmp((*it)->name, argv[i]) == 0) {
            /* Command options may also carry --json after the command name. */
            int n = 0;
            char **args = calloc((size_t)(argc - i + 1), sizeof(char *));
            for (int k = i; k < argc; k++) {
                if (strcmp(argv[k], "--json") == 0)
                    c.json = true;
                else
                    args[n++] = argv[k];
            }
            int rc = (*it)->run(&c, n, args);
            free(args);
            return rc;
        }
    }
    fprintf(stderr, "sluicectl: unknown command '%s' (see sluicectl --help)\n", argv[i]);
    return 2;
}

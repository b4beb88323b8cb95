/* daemon.h - the daemon's own pieces that main() wires together: control socket, stored
 * configuration, start-up options other files read. */
#ifndef SLUICE_DAEMON_H
#define SLUICE_DAEMON_H

#include <stdbool.h>

int control_init(const char *path, const char *admin_group, const char *capture_group);
void control_shutdown(void);

/* The state directory holds config.json; config_restore replays it at start. */
int config_init(const char *state_dir);
int config_restore(void);
/* While true (during restore), changes are not written back. */
extern bool config_restoring;

/* At exit: closes captures and ports (in that order) while the data plane still runs. */
void daemon_shutdown(void);

#endif

/* ports.h - the port table on the management thread: creating and removing ports in a
 * configuration draft, finding them by name or index. */
#ifndef SLUICE_PORTS_H
#define SLUICE_PORTS_H

#include "dataplane.h"
#include "port.h"

/* Opens a port of `kind` and places it in the draft at the lowest free index. Nothing is
 * visible to the data plane until the draft is committed. NULL with a one-line error. */
struct port *port_create(struct dp_config *draft, const char *name, const char *kind,
                         const struct port_args *args, char *err, size_t errlen);
/* Takes a port out of the draft; it is closed and freed after the draft is committed. */
int port_remove(struct dp_config *draft, const char *name, char *err, size_t errlen);

struct port *ports_find(const char *name);   /* in the current version */
struct port *ports_by_index(uint32_t index); /* in the current version */

/* Parses "key=value" words into args. Returns -1 with an error naming the bad word. */
int port_args_parse(struct port_args *a, char **words, int nwords, char *err, size_t errlen);
int port_args_set(struct port_args *a, const char *key, const char *val);

/* Link up and no fatal error seen by the data plane (management thread). */
bool port_is_up(struct port *p);
/* The traffic classification counters as a JSON object. */
void port_write_traffic(struct jw *w, const struct traf_counters *t);

#endif

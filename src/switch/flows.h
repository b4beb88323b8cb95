/* flows.h - the switch's flow table as other parts of the daemon see it (management thread):
 * what is in force, for reports such as metrics. Changes go through the flows.* methods. */
#ifndef SLUICE_FLOWS_H
#define SLUICE_FLOWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Rules in force; 1 (the implied priority=0,actions=NORMAL) while none was ever added. */
size_t flows_rule_count(void);
/* Version of the published table, 0 while the switch has none (every packet takes NORMAL). */
uint64_t flows_version(void);

#endif

/* capture.h - capture management: one agent per open capture, hooked on a port's receive
 * and/or transmit point (capture_agent.h is the half the data plane runs). */
#ifndef SLUICE_CAPTURE_H
#define SLUICE_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

/* Management thread: closes every capture on a port that is going away. */
void capture_port_removed(uint32_t port_index);

/* Management thread: at exit, and whether filters are compiled to native code. */
void capture_close_all(void);
void capture_set_jit(bool on);
/* Bounds on the ring memory (bytes) of one client's captures and of all captures. */
#define CAPTURE_MEM_PER_CLIENT_DEFAULT (512ull << 20)
#define CAPTURE_MEM_TOTAL_DEFAULT (1024ull << 20)
void capture_set_mem_limits(uint64_t per_client, uint64_t total);

#endif

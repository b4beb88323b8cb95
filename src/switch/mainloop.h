/* mainloop.h - the management thread's event loop: control clients, port control channels
 * (memif), timers. Everything registered here runs on the management thread. */
#ifndef SLUICE_MAINLOOP_H
#define SLUICE_MAINLOOP_H

#include <stdint.h>

typedef void (*mainloop_cb)(void *arg, uint32_t events);

/* Watches fd for epoll `events`; cb runs on the management thread. 0 or -1. */
int mainloop_add(int fd, uint32_t events, mainloop_cb cb, void *arg);
int mainloop_mod(int fd, uint32_t events);
void mainloop_del(int fd);
/* Calls cb(arg) about every interval_ms (at most one timer per arg). */
int mainloop_every(unsigned interval_ms, void (*cb)(void *arg), void *arg);
void mainloop_cancel(void *arg);

/* For the daemon's main(): */
int mainloop_init(void);
void mainloop_run(void);  /* until mainloop_stop() */
void mainloop_stop(void); /* async-signal-safe */

#endif

/* tapdev.h - TAP devices: a named kernel Ethernet interface whose other end is a file
 * descriptor. The device lives exactly as long as the descriptor. */
#ifndef SLUICE_TAPDEV_H
#define SLUICE_TAPDEV_H

#include <stdbool.h>
#include <stddef.h>

/* Frames carry a virtio-net header (struct virtio_net_hdr) in front. */
#define TAPDEV_F_VNET_HDR 1u
/* Attach to an existing persistent TAP device of that name instead of refusing it. */
#define TAPDEV_F_ATTACH 2u

/* Creates the TAP device `name` (at most IFNAMSIZ-1 bytes) in the caller's network namespace
 * and returns its descriptor: nonblocking, close-on-exec, frames without packet information.
 * Refuses a name any interface already has, rather than attaching to an existing TAP device,
 * unless TAPDEV_F_ATTACH is given.
 * *ifindex receives the interface index. -1 with a one-line error. */
int tapdev_create(const char *name, unsigned flags, int *ifindex, char *err, size_t errlen);

/* A persistent device outlives its descriptor; closing the descriptor of a device that is not
 * persistent unregisters it then and there, which costs the kernel a grace period per device.
 * 0 or -1 (errno set). */
int tapdev_set_persist(int fd, bool persist);

/* The index of interface `name` in the network namespace of socket `sock`, 0 if none. */
int tapdev_ifindex(int sock, const char *name);

#endif

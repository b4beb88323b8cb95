/* client.h - libsluice-memif's internal state: the shared region, its rings and the control
 * connection, shared by the connection code and the data path. */
#ifndef SLUICE_MEMIF_CLIENT_H
#define SLUICE_MEMIF_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "memif_proto.h"
#include "sluice_memif.h"

#define CLIENT_MAX_QUEUES 8

/* The client's side of one ring. It writes head; the server writes tail. */
struct client_ring {
    struct memif_ring *ring;
    uint32_t offset;     /* of the ring in the region */
    uint32_t buf_offset; /* of its first buffer; buffer i is at buf_offset + i * buffer_size */
    uint16_t size, mask;
    /* S2M: the next slot to fill (our head). M2S: the next slot to read. */
    uint16_t next;
    /* M2S: slots up to here are reposted (our head). */
    uint16_t posted;
    int eventfd;
};

enum client_state {
    CLIENT_DOWN,      /* waiting for the reconnect timer */
    CLIENT_HELLO,     /* socket connected, waiting for the server's hello */
    CLIENT_HANDSHAKE, /* sending our description, one message per ack */
    CLIENT_CONNECTED,
};

struct sluice_memif {
    char socket_path[108];
    uint32_t id;
    char secret[MEMIF_SECRET_LEN + 1];
    char name[MEMIF_NAME_LEN + 1];
    unsigned log2_ring_size, buffer_size, queues;
    bool rx_interrupts;
    unsigned reconnect_ms;

    int region_fd;
    uint8_t *region;
    uint64_t region_size;
    struct client_ring s2m[CLIENT_MAX_QUEUES], m2s[CLIENT_MAX_QUEUES];

    enum client_state state;
    int sock;
    int epfd;
    int timerfd;
    unsigned step; /* handshake: index of the next message to send */
    char last_error[128];
    struct sluice_memif_stats stats;
};

/* Resets every ring to empty with its buffers in place (before each connection). */
void client_rings_reset(struct sluice_memif *m);
/* Posts every M2S buffer for the server to fill (once connected). */
void client_rings_post_all(struct sluice_memif *m);

#endif

/* sluice_memif.h - libsluice-memif: the client side of a memif shared-memory port. The client
 * owns the buffers; it connects to a memif server (sluiced, or any memif 2.0 server), sends by
 * filling buffers in place and receives packets the server copied into buffers it posted. */
#ifndef SLUICE_MEMIF_H
#define SLUICE_MEMIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sluice_memif;

struct sluice_memif_config {
    const char *socket_path; /* filesystem path, or "@name" for the abstract namespace */
    uint32_t id;             /* interface id on that socket */
    const char *secret;      /* NULL or "" for none; at most 24 bytes */
    const char *name;        /* this program's name, shown by the server (optional) */
    unsigned log2_ring_size; /* 0: 10 (1024 slots per ring) */
    unsigned buffer_size;    /* 0: 2048 bytes per buffer */
    unsigned queues;         /* 0: 1 queue pair */
    bool rx_interrupts;      /* ask the server to signal received packets (else poll) */
    unsigned reconnect_ms;   /* 0: 200; delay between connection attempts */
};

/* One buffer of the client's shared memory. On receive: a packet (or part of one when
 * flags has SLUICE_MEMIF_BUF_NEXT). On transmit: fill data[0..len) and set flags. */
struct sluice_memif_buf {
    uint8_t *data;
    uint32_t len;
    uint32_t capacity;
    uint16_t flags;
    uint16_t slot; /* the library's: which descriptor this is */
};
#define SLUICE_MEMIF_BUF_NEXT 1u

/* Creates the shared memory and starts connecting; never blocks. The connection completes
 * (and is re-established after the server restarts) in sluice_memif_handle_events. Returns
 * NULL with a one-line error. */
struct sluice_memif *sluice_memif_open(const struct sluice_memif_config *cfg, char *err,
                                       size_t errlen);
void sluice_memif_close(struct sluice_memif *m);

/* A descriptor for the caller's epoll/poll: readable when sluice_memif_handle_events has work
 * (control messages, reconnect timer, receive interrupts). */
int sluice_memif_fd(const struct sluice_memif *m);
/* Does that work without blocking. Returns 1 if connected afterwards, 0 if not. */
int sluice_memif_handle_events(struct sluice_memif *m);
/* Calls handle_events until connected or timeout_ms passes. 0 when connected, else -1. */
int sluice_memif_wait_connected(struct sluice_memif *m, int timeout_ms);
bool sluice_memif_connected(const struct sluice_memif *m);
/* Why the last connection ended or failed ("" if none). */
const char *sluice_memif_last_error(const struct sluice_memif *m);
unsigned sluice_memif_queues(const struct sluice_memif *m);
unsigned sluice_memif_buffer_size(const struct sluice_memif *m);

/* Receive: up to max buffers the server filled, oldest first. They stay the caller's until
 * returned with sluice_memif_buf_put (which returns the n oldest received buffers). */
unsigned sluice_memif_rx_burst(struct sluice_memif *m, unsigned queue,
                               struct sluice_memif_buf *bufs, unsigned max);
void sluice_memif_buf_put(struct sluice_memif *m, unsigned queue, unsigned n);

/* Transmit: up to n free buffers to fill, then hand the first k of them (in order) to the
 * server with sluice_memif_tx_burst, which signals the server once if it wants interrupts.
 * Buffers not sent stay free. */
unsigned sluice_memif_buf_get(struct sluice_memif *m, unsigned queue, struct sluice_memif_buf *bufs,
                              unsigned n);
unsigned sluice_memif_tx_burst(struct sluice_memif *m, unsigned queue,
                               const struct sluice_memif_buf *bufs, unsigned n);

/* Counters since open. */
struct sluice_memif_stats {
    uint64_t connects, disconnects;
    uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
    uint64_t rx_bad; /* descriptors from the server with a bad length: disconnected */
};
void sluice_memif_get_stats(const struct sluice_memif *m, struct sluice_memif_stats *out);

#ifdef __cplusplus
}
#endif

#endif

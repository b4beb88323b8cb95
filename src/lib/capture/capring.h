/* capring.h - the capture data channel: a single-producer/single-consumer ring of
 * variable-length packet records in a sealed memfd, with an eventfd to wake the reader. */
#ifndef SLUICE_CAPRING_H
#define SLUICE_CAPRING_H

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAPRING_MAGIC 0x52434c53u /* "SLCR" little-endian */
#define CAPRING_VERSION 1
#define CAPRING_DATA_OFFSET 4096 /* records start one page into the memfd */
#define CAPRING_MIN_SIZE (64 * 1024)
#define CAPRING_MAX_SIZE (1024u * 1024 * 1024)
#define CAPRING_DEFAULT_SIZE (4u * 1024 * 1024)

#define CAPDIR_IN 1
#define CAPDIR_OUT 2

#define CAPREC_F_PAD 1 /* filler up to the end of the data area: skip it */
/* When fewer than sizeof(struct capring_rec) bytes remain before the end of the data area
 * there is no room for a pad record: both sides skip those bytes without one. */

/* Shared header. Each written-by group sits on its own cache line. Indices are free-running
 * byte counts; a record starts at index & (data_size - 1). */
struct capring_hdr {
    /* Written once by the switch before the memfd is shared. */
    alignas(64) uint32_t magic;
    uint32_t version;
    uint32_t data_offset;
    uint32_t snaplen;
    uint64_t data_size; /* power of two */
    uint32_t port_index;
    uint32_t reserved0;
    /* Written by the switch. */
    alignas(64) uint64_t prod;
    /* Written by the reader; untrusted by the switch. */
    alignas(64) uint64_t cons;
    uint32_t reader_asleep;
    /* Written by the switch: packets seen by the agent, matched by the filter, matched but
     * dropped because the ring had no room. */
    alignas(64) uint64_t seen;
    uint64_t matched;
    uint64_t dropped_full;
};

/* One record; caplen bytes of packet follow, then padding to rec_len (a multiple of 8). */
struct capring_rec {
    uint32_t rec_len;
    uint32_t caplen;
    uint32_t origlen;
    uint16_t port;
    uint8_t dir;
    uint8_t flags;
    uint64_t ts_ns;
};

/* Switch side. */
struct capring_prod {
    struct capring_hdr *hdr;
    uint8_t *data;
    uint64_t mask;
    uint64_t prod;      /* local copy of the producer index, published by capring_publish */
    uint64_t cons_seen; /* last consumer index read and found valid */
    uint64_t published; /* producer index last published */
    int memfd;
    int efd;
    size_t map_size;
    bool broken; /* the reader wrote an impossible consumer index */
};

/* Creates the memfd (size rounded up to a power of two within the limits), seals it against
 * shrink, grow and further sealing, maps it, and creates the eventfd. */
int capring_create(struct capring_prod *r, uint64_t data_size, uint32_t snaplen,
                   uint32_t port_index, char *err, size_t errlen);
void capring_destroy(struct capring_prod *r);
/* Bytes of memory a ring asked for with data_size takes (header page included). */
size_t capring_map_size_for(uint64_t data_size);
/* Copies of the ring's two descriptors for the reader. Returns 0, or -1 with nothing left
 * open. capring_dup_hook is dup(); the tests replace it to make one of the two fail. */
int capring_dup_fds(const struct capring_prod *r, int *memfd, int *efd);
extern int (*capring_dup_hook)(int fd);

/* Appends one record (caplen bytes copied, cut to the snaplen and to half the ring so that a
 * record always fits an empty ring). Returns 0 when stored, 1 when the ring is full
 * (dropped_full counted), -1 when the consumer index is impossible (r->broken set). */
int capring_put(struct capring_prod *r, const uint8_t *pkt, uint32_t caplen, uint32_t origlen,
                uint16_t port, uint8_t dir, uint64_t ts_ns);
/* Makes stored records visible and, if the reader said it sleeps, wakes it (one write). */
void capring_publish(struct capring_prod *r);

/* Reader side. */
struct capring_cons {
    struct capring_hdr *hdr;
    uint8_t *data;
    uint64_t mask;
    uint64_t cons;
    int memfd;
    int efd;
    size_t map_size;
    uint64_t pending; /* length of the record returned by capring_next, not yet released */
    bool broken;      /* the switch wrote an impossible index or record: stop reading */
};

/* Maps a ring received from the switch and checks its header. Takes ownership of both fds
 * (closed on failure too). */
int capring_attach(struct capring_cons *c, int memfd, int efd, char *err, size_t errlen);
void capring_detach(struct capring_cons *c);
/* Next record, or NULL when the ring is empty or c->broken. Padding records are skipped.
 * The record is checked to lie inside the ring with caplen bytes after its header. */
const struct capring_rec *capring_next(struct capring_cons *c);
/* Releases the record returned by the last capring_next. */
void capring_release(struct capring_cons *c);
/* Declares the reader asleep, rechecks, and waits on the eventfd up to timeout_ms.
 * Returns 1 if records may be ready, 0 on timeout, -1 on error (EINTR included). */
int capring_wait(struct capring_cons *c, int timeout_ms);
/* The two halves of capring_wait, for a reader that polls several rings (and other fds) at
 * once: capring_sleep_prepare declares the reader asleep and returns false (awake again)
 * if records are already there; after poll(), capring_sleep_end marks it awake and drains
 * the eventfd. */
bool capring_sleep_prepare(struct capring_cons *c);
void capring_sleep_end(struct capring_cons *c);

#endif

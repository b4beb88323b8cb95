/* memif_check.h - validation of everything a memif peer sends: control messages, the regions
 * it shares, its ring headers and every descriptor, before the switch touches a byte. */
#ifndef SLUICE_MEMIF_CHECK_H
#define SLUICE_MEMIF_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "memif_proto.h"

/* Why a peer was refused or disconnected. Each has a counter on the port. */
enum memif_err {
    MEMIF_OK = 0,
    MEMIF_E_MSG_SIZE,      /* a control message that is not exactly 128 bytes */
    MEMIF_E_MSG_TYPE,      /* unknown type, or not expected in this state */
    MEMIF_E_MSG_FD,        /* a descriptor missing, unexpected, or more than one */
    MEMIF_E_VERSION,       /* not memif 2.0 */
    MEMIF_E_ID,            /* no interface with that id on the socket */
    MEMIF_E_BUSY,          /* the interface already has a client */
    MEMIF_E_MODE,          /* not ethernet mode */
    MEMIF_E_SECRET,        /* secret missing or wrong */
    MEMIF_E_REGION_INDEX,  /* region index out of order or beyond the maximum */
    MEMIF_E_REGION_SIZE,   /* region size zero or too large */
    MEMIF_E_REGION_FD,     /* the region's file is not sealed against shrinking, or too small */
    MEMIF_E_RING_INDEX,    /* ring index beyond the maximum or repeated */
    MEMIF_E_RING_REGION,   /* ring in an unknown region */
    MEMIF_E_RING_SIZE,     /* log2 ring size beyond the maximum */
    MEMIF_E_RING_OFFSET,   /* ring misaligned or not inside its region */
    MEMIF_E_RING_HDR,      /* private header size not zero */
    MEMIF_E_RING_COOKIE,   /* ring header without the memif cookie */
    MEMIF_E_RINGS_MISSING, /* connect without a ring in each direction, or with gaps */
    MEMIF_E_DESC_REGION,   /* descriptor names an unknown region */
    MEMIF_E_DESC_LENGTH,   /* descriptor length zero or beyond the largest buffer */
    MEMIF_E_DESC_BOUNDS,   /* descriptor offset + length outside its region */
    MEMIF_E_DESC_CHAIN,    /* chain runs past the published slots */
    MEMIF_E_RING_COUNT,    /* head moved more slots than the ring has */
    MEMIF_E_TIMEOUT,       /* the handshake did not complete in time */
    MEMIF_E_UNBOUND,       /* too many connections of its uid had not named an interface */
    MEMIF_E_MAX
};
extern const char *const memif_err_names[MEMIF_E_MAX];

/* What the server offered in its hello (indexes are the highest allowed, as on the wire). */
struct memif_limits {
    uint16_t max_region;
    uint16_t max_s2m_ring;
    uint16_t max_m2s_ring;
    uint8_t max_log2_ring_size;
    uint64_t max_region_size;
    uint32_t max_buffer_size; /* largest length a single descriptor may have */
};

/* A region as the server mapped it. */
struct memif_region_map {
    uint8_t *base;
    uint64_t size;
};

enum memif_err memif_check_msg_size(ssize_t received, bool truncated);
/* Version, mode and secret of an init message. secret: the interface's, "" for none. */
enum memif_err memif_check_init(const struct memif_msg_init *init, const char *secret);
/* nregions: regions already added (they must come in order 0, 1, ...). */
enum memif_err memif_check_add_region(const struct memif_msg_add_region *r, unsigned nregions,
                                      const struct memif_limits *lim);
/* The file a region is shared through: a memfd sealed against shrinking, at least size long. */
enum memif_err memif_check_region_fd(int fd, uint64_t size);
/* region_sizes[i] for the nregions added; have_mask: rings of this direction already added
 * (bit i for index i; 64 rings at most). */
enum memif_err memif_check_add_ring(const struct memif_msg_add_ring *r,
                                    const uint64_t *region_sizes, unsigned nregions,
                                    const struct memif_limits *lim, uint64_t have_mask);
/* Ring indexes of each direction must be 0..n-1 with n >= 1. */
enum memif_err memif_check_ring_set(uint64_t s2m_mask, uint64_t m2s_mask);
/* Copies a C string into a fixed wire field, NUL-padded, possibly unterminated when full. */
void memif_set_name(uint8_t *field, size_t field_len, const char *s);
/* Reads a fixed wire field into a NUL-terminated string of at most field_len characters. */
void memif_get_name(char *out, size_t outlen, const uint8_t *field, size_t field_len);

/* Number of slots between a free-running consumer position and the producer's head, or -1
 * when the producer claims more than the ring holds. */
static inline int memif_ring_pending(uint16_t head, uint16_t tail, unsigned ring_size)
{
    uint16_t n = (uint16_t)(head - tail);
    return n <= ring_size ? (int)n : -1;
}

/* Resolves a descriptor the caller has already copied out of shared memory (the peer may
 * change the ring at any time, so it is read once). On success *data points at `length`
 * bytes wholly inside a mapped region. */
static inline enum memif_err memif_desc_resolve(const struct memif_desc *d,
                                                const struct memif_region_map *regions,
                                                unsigned nregions, uint32_t max_len, uint8_t **data)
{
    if (d->region >= nregions)
        return MEMIF_E_DESC_REGION;
    if (d->length == 0 || d->length > max_len)
        return MEMIF_E_DESC_LENGTH;
    /* 64-bit sum of two 32-bit values cannot wrap. */
    if ((uint64_t)d->offset + d->length > regions[d->region].size)
        return MEMIF_E_DESC_BOUNDS;
    *data = regions[d->region].base + d->offset;
    return MEMIF_OK;
}

#endif

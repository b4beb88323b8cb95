/* memif_proto.h - the memif 2.0 wire format: control messages on the UNIX SEQPACKET socket,
 * and the ring and descriptor layout inside shared-memory regions. Host byte order. */
#ifndef SLUICE_MEMIF_PROTO_H
#define SLUICE_MEMIF_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define MEMIF_COOKIE 0x03E31F20u
#define MEMIF_VERSION 0x0200u /* major 2, minor 0 */
#define MEMIF_MSG_SIZE 128u   /* every control message is exactly this long */
#define MEMIF_NAME_LEN 32u
#define MEMIF_SECRET_LEN 24u
#define MEMIF_DISC_STRING_LEN 96u
#define MEMIF_CACHELINE 64u

/* Message types (the first 16 bits of every message). */
enum memif_msg_type {
    MEMIF_MSG_NONE = 0,
    MEMIF_MSG_ACK = 1,
    MEMIF_MSG_HELLO = 2,      /* server -> client, first message */
    MEMIF_MSG_INIT = 3,       /* client -> server: which interface, secret */
    MEMIF_MSG_ADD_REGION = 4, /* client -> server, memfd attached */
    MEMIF_MSG_ADD_RING = 5,   /* client -> server, eventfd attached */
    MEMIF_MSG_CONNECT = 6,    /* client -> server: everything is described */
    MEMIF_MSG_CONNECTED = 7,  /* server -> client: up */
    MEMIF_MSG_DISCONNECT = 8, /* either way, then the socket is closed */
};

/* Ring directions. S2M: client ("slave") to server ("master"); M2S the other way. */
enum memif_ring_dir {
    MEMIF_RING_S2M = 0,
    MEMIF_RING_M2S = 1,
};

enum memif_mode {
    MEMIF_MODE_ETHERNET = 0,
    MEMIF_MODE_IP = 1,
    MEMIF_MODE_PUNT_INJECT = 2,
};

#define MEMIF_ADD_RING_FLAG_S2M 1u
#define MEMIF_DESC_FLAG_NEXT 1u     /* the packet continues in the next descriptor */
#define MEMIF_RING_FLAG_MASK_INT 1u /* the ring's consumer polls: do not signal its eventfd */

/* The message bodies follow the 16-bit type without padding. */
struct __attribute__((packed)) memif_msg_hello {
    uint8_t name[MEMIF_NAME_LEN];
    uint16_t min_version;
    uint16_t max_version;
    uint16_t max_region;   /* highest region index the server accepts */
    uint16_t max_m2s_ring; /* highest ring index per direction */
    uint16_t max_s2m_ring;
    uint8_t max_log2_ring_size;
};

struct __attribute__((packed)) memif_msg_init {
    uint16_t version;
    uint32_t id;
    uint8_t mode;
    uint8_t secret[MEMIF_SECRET_LEN]; /* NUL-padded; empty when no secret */
    uint8_t name[MEMIF_NAME_LEN];
};

struct __attribute__((packed)) memif_msg_add_region {
    uint16_t index;
    uint64_t size;
};

struct __attribute__((packed)) memif_msg_add_ring {
    uint16_t flags;
    uint16_t index;
    uint16_t region;
    uint32_t offset; /* of the ring header in the region */
    uint8_t log2_ring_size;
    uint16_t private_hdr_size;
};

struct __attribute__((packed)) memif_msg_connect {
    uint8_t if_name[MEMIF_NAME_LEN];
};

struct __attribute__((packed)) memif_msg_disconnect {
    uint32_t code;
    uint8_t string[MEMIF_DISC_STRING_LEN];
};

struct __attribute__((packed)) memif_msg {
    uint16_t type;
    union {
        struct memif_msg_hello hello;
        struct memif_msg_init init;
        struct memif_msg_add_region add_region;
        struct memif_msg_add_ring add_ring;
        struct memif_msg_connect connect;
        struct memif_msg_connect connected;
        struct memif_msg_disconnect disconnect;
        uint8_t raw[MEMIF_MSG_SIZE - 2];
    };
};

_Static_assert(sizeof(struct memif_msg) == MEMIF_MSG_SIZE, "memif message is 128 bytes");
_Static_assert(offsetof(struct memif_msg, hello.max_log2_ring_size) == 44, "hello layout");
_Static_assert(offsetof(struct memif_msg, init.secret) == 9, "init layout");
_Static_assert(offsetof(struct memif_msg, init.name) == 33, "init layout");
_Static_assert(offsetof(struct memif_msg, add_region.size) == 4, "add_region layout");
_Static_assert(offsetof(struct memif_msg, add_ring.offset) == 8, "add_ring layout");
_Static_assert(offsetof(struct memif_msg, add_ring.private_hdr_size) == 13, "add_ring layout");
_Static_assert(offsetof(struct memif_msg, disconnect.string) == 6, "disconnect layout");

/* One buffer: where it is and how many bytes it holds. On a ring the client posts empty
 * buffers on (M2S), `length` is the buffer's capacity until the server fills it. */
struct memif_desc { /* naturally aligned: no padding */
    uint16_t flags;
    uint16_t region;
    uint32_t length;
    uint32_t offset;
    uint32_t metadata;
};
_Static_assert(sizeof(struct memif_desc) == 16, "memif descriptor is 16 bytes");

/* A ring in a region: a header of two cache lines (the producer's head in the first, the
 * consumer's tail in the second), then 2^log2 descriptors. head and tail are free-running
 * 16-bit counters; slot i is desc[i & (size - 1)]. */
struct memif_ring {
    uint32_t cookie;
    uint16_t flags;
    uint16_t head;
    uint8_t pad0[MEMIF_CACHELINE - 8];
    uint16_t tail;
    uint8_t pad1[MEMIF_CACHELINE - 2];
    struct memif_desc desc[];
};
_Static_assert(offsetof(struct memif_ring, flags) == 4, "ring layout");
_Static_assert(offsetof(struct memif_ring, head) == 6, "ring layout");
_Static_assert(offsetof(struct memif_ring, tail) == 64, "ring layout");
_Static_assert(offsetof(struct memif_ring, desc) == 128, "ring layout");

#define MEMIF_RING_HDR_SIZE 128u

static inline uint64_t memif_ring_bytes(unsigned log2_ring_size)
{
    return MEMIF_RING_HDR_SIZE + ((uint64_t)sizeof(struct memif_desc) << log2_ring_size);
}

#endif

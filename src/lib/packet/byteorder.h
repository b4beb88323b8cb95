/* byteorder.h - big-endian (network order) loads and stores of 16- and 32-bit fields at any
 * alignment, unchecked for headers already bounded and checked for bytes still untrusted. */
#ifndef SLUICE_BYTEORDER_H
#define SLUICE_BYTEORDER_H

#include <endian.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* memcpy keeps unaligned fields defined behaviour; compilers make it and the swap one load. */
static inline uint16_t load_be16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return be16toh(v);
}

static inline uint32_t load_be32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return be32toh(v);
}

static inline void store_be16(uint8_t *p, uint16_t v)
{
    v = htobe16(v);
    memcpy(p, &v, sizeof(v));
}

static inline void store_be32(uint8_t *p, uint32_t v)
{
    v = htobe32(v);
    memcpy(p, &v, sizeof(v));
}

/* The field at off of a len-byte buffer: false, and *v untouched, when it runs past the end.
 * The test never forms off + size, so no offset can wrap around. */
static inline bool load_be16_checked(const uint8_t *buf, uint32_t len, uint32_t off, uint16_t *v)
{
    if (off > len || len - off < 2)
        return false;
    *v = load_be16(buf + off);
    return true;
}

static inline bool load_be32_checked(const uint8_t *buf, uint32_t len, uint32_t off, uint32_t *v)
{
    if (off > len || len - off < 4)
        return false;
    *v = load_be32(buf + off);
    return true;
}

#endif

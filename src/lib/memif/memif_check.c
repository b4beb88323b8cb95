/* memif_check.c - the checks a memif server applies to its client's messages and regions.
 * No state: the caller tracks what was already added and passes it in. */
#include "memif_check.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

const char *const memif_err_names[MEMIF_E_MAX] = {
    [MEMIF_OK] = "ok",
    [MEMIF_E_MSG_SIZE] = "msg_size",
    [MEMIF_E_MSG_TYPE] = "msg_type",
    [MEMIF_E_MSG_FD] = "msg_fd",
    [MEMIF_E_VERSION] = "version",
    [MEMIF_E_ID] = "unknown_id",
    [MEMIF_E_BUSY] = "busy",
    [MEMIF_E_MODE] = "mode",
    [MEMIF_E_SECRET] = "secret",
    [MEMIF_E_REGION_INDEX] = "region_index",
    [MEMIF_E_REGION_SIZE] = "region_size",
    [MEMIF_E_REGION_FD] = "region_fd",
    [MEMIF_E_RING_INDEX] = "ring_index",
    [MEMIF_E_RING_REGION] = "ring_region",
    [MEMIF_E_RING_SIZE] = "ring_size",
    [MEMIF_E_RING_OFFSET] = "ring_offset",
    [MEMIF_E_RING_HDR] = "ring_private_hdr",
    [MEMIF_E_RING_COOKIE] = "ring_cookie",
    [MEMIF_E_RINGS_MISSING] = "rings_missing",
    [MEMIF_E_DESC_REGION] = "desc_region",
    [MEMIF_E_DESC_LENGTH] = "desc_length",
    [MEMIF_E_DESC_BOUNDS] = "desc_bounds",
    [MEMIF_E_DESC_CHAIN] = "desc_chain",
    [MEMIF_E_RING_COUNT] = "ring_count",
    [MEMIF_E_TIMEOUT] = "timeout",
    [MEMIF_E_UNBOUND] = "unbound_limit",
};

enum memif_err memif_check_msg_size(ssize_t received, bool truncated)
{
    if (truncated || received != (ssize_t)MEMIF_MSG_SIZE)
        return MEMIF_E_MSG_SIZE;
    return MEMIF_OK;
}

/* Compares without an early exit so the time taken does not reveal a matching prefix. */
static bool secret_equal(const uint8_t *wire, const char *secret)
{
    size_t want = strlen(secret);
    if (want > MEMIF_SECRET_LEN)
        return false;
    uint8_t diff = 0;
    for (size_t i = 0; i < MEMIF_SECRET_LEN; i++) {
        uint8_t expect = i < want ? (uint8_t)secret[i] : 0;
        diff |= (uint8_t)(wire[i] ^ expect);
    }
    return diff == 0;
}

enum memif_err memif_check_init(const struct memif_msg_init *init, const char *secret)
{
    if (init->version != MEMIF_VERSION)
        return MEMIF_E_VERSION;
    if (init->mode != MEMIF_MODE_ETHERNET)
        return MEMIF_E_MODE;
    if (secret && secret[0]) {
        if (!secret_equal(init->secret, secret))
            return MEMIF_E_SECRET;
    }
    return MEMIF_OK;
}

enum memif_err memif_check_add_region(const struct memif_msg_add_region *r, unsigned nregions,
                                      const struct memif_limits *lim)
{
    if (r->index != nregions || r->index > lim->max_region)
        return MEMIF_E_REGION_INDEX;
    if (r->size == 0 || r->size > lim->max_region_size)
        return MEMIF_E_REGION_SIZE;
    return MEMIF_OK;
}

enum memif_err memif_check_region_fd(int fd, uint64_t size)
{
    /* A seal against shrinking is what keeps the peer from truncating the file under the
     * mapping, which would turn the switch's next access into SIGBUS. Only shared-memory
     * files (memfd) carry seals, so this also refuses ordinary files and sockets. */
    int seals = fcntl(fd, F_GET_SEALS);
    if (seals < 0 || !(seals & F_SEAL_SHRINK))
        return MEMIF_E_REGION_FD;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 ||
        (uint64_t)st.st_size < size)
        return MEMIF_E_REGION_FD;
    return MEMIF_OK;
}

enum memif_err memif_check_add_ring(const struct memif_msg_add_ring *r,
                                    const uint64_t *region_sizes, unsigned nregions,
                                    const struct memif_limits *lim, uint64_t have_mask)
{
    bool s2m = r->flags & MEMIF_ADD_RING_FLAG_S2M;
    if (r->flags & ~MEMIF_ADD_RING_FLAG_S2M)
        return MEMIF_E_RING_INDEX;
    uint16_t max_index = s2m ? lim->max_s2m_ring : lim->max_m2s_ring;
    if (r->index > max_index || r->index >= 64 || (have_mask & (1ull << r->index)))
        return MEMIF_E_RING_INDEX;
    if (r->region >= nregions)
        return MEMIF_E_RING_REGION;
    if (r->log2_ring_size > lim->max_log2_ring_size || r->log2_ring_size > 15)
        return MEMIF_E_RING_SIZE;
    if (r->private_hdr_size != 0)
        return MEMIF_E_RING_HDR;
    /* head and tail are read and written atomically: keep them naturally aligned. */
    if (r->offset % 8 != 0)
        return MEMIF_E_RING_OFFSET;
    if ((uint64_t)r->offset + memif_ring_bytes(r->log2_ring_size) > region_sizes[r->region])
        return MEMIF_E_RING_OFFSET;
    return MEMIF_OK;
}

static bool mask_is_prefix(uint64_t m)
{
    return m != 0 && (m & (m + 1)) == 0;
}

enum memif_err memif_check_ring_set(uint64_t s2m_mask, uint64_t m2s_mask)
{
    if (!mask_is_prefix(s2m_mask) || !mask_is_prefix(m2s_mask))
        return MEMIF_E_RINGS_MISSING;
    return MEMIF_OK;
}

void memif_set_name(uint8_t *field, size_t field_len, const char *s)
{
    size_t n = s ? strnlen(s, field_len) : 0;
    memset(field, 0, field_len);
    if (n)
        memcpy(field, s, n);
}

void memif_get_name(char *out, size_t outlen, const uint8_t *field, size_t field_len)
{
    if (outlen == 0)
        return;
    size_t n = 0;
    while (n < field_len && n + 1 < outlen && field[n]) {
        uint8_t c = field[n];
        out[n] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
        n++;
    }
    out[n] = '\0';
}

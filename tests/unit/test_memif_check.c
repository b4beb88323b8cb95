/* test_memif_check.c - every rule memif_check applies to a peer's messages, regions and
 * descriptors: one accepted case and each rejection. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "memif_check.h"

static const struct memif_limits lim = {
    .max_region = 3,
    .max_s2m_ring = 1,
    .max_m2s_ring = 1,
    .max_log2_ring_size = 10,
    .max_region_size = 1 << 20,
    .max_buffer_size = 2048,
};

static void test_wire_layout(void)
{
    /* Offsets from the memif 2.0 definition. */
    CHECK_EQ(sizeof(struct memif_msg), 128);
    CHECK_EQ(sizeof(struct memif_desc), 16);
    CHECK_EQ(memif_ring_bytes(10), 128 + 16 * 1024);
    CHECK_EQ(MEMIF_COOKIE, 0x3E31F20);
    CHECK_EQ(MEMIF_VERSION, 0x200);
}

static void test_msg_size(void)
{
    CHECK_EQ(memif_check_msg_size(128, false), MEMIF_OK);
    CHECK_EQ(memif_check_msg_size(127, false), MEMIF_E_MSG_SIZE);
    CHECK_EQ(memif_check_msg_size(129, false), MEMIF_E_MSG_SIZE);
    CHECK_EQ(memif_check_msg_size(0, false), MEMIF_E_MSG_SIZE);
    CHECK_EQ(memif_check_msg_size(128, true), MEMIF_E_MSG_SIZE);
}

static void test_init(void)
{
    struct memif_msg_init in = {.version = MEMIF_VERSION, .id = 7, .mode = MEMIF_MODE_ETHERNET};
    CHECK_EQ(memif_check_init(&in, ""), MEMIF_OK);
    CHECK_EQ(memif_check_init(&in, NULL), MEMIF_OK);
    in.version = 0x0100;
    CHECK_EQ(memif_check_init(&in, ""), MEMIF_E_VERSION);
    in.version = 0x0201;
    CHECK_EQ(memif_check_init(&in, ""), MEMIF_E_VERSION);
    in.version = MEMIF_VERSION;
    in.mode = MEMIF_MODE_IP;
    CHECK_EQ(memif_check_init(&in, ""), MEMIF_E_MODE);
    in.mode = MEMIF_MODE_PUNT_INJECT;
    CHECK_EQ(memif_check_init(&in, ""), MEMIF_E_MODE);
    in.mode = MEMIF_MODE_ETHERNET;
    /* Secrets: required when configured, exact, NUL-padded, all 24 bytes usable. */
    CHECK_EQ(memif_check_init(&in, "s3cret"), MEMIF_E_SECRET);
    memif_set_name(in.secret, sizeof(in.secret), "s3cre");
    CHECK_EQ(memif_check_init(&in, "s3cret"), MEMIF_E_SECRET);
    memif_set_name(in.secret, sizeof(in.secret), "s3cret!");
    CHECK_EQ(memif_check_init(&in, "s3cret"), MEMIF_E_SECRET);
    memif_set_name(in.secret, sizeof(in.secret), "s3cret");
    CHECK_EQ(memif_check_init(&in, "s3cret"), MEMIF_OK);
    in.secret[10] = 'x'; /* garbage after the terminator is a different secret */
    CHECK_EQ(memif_check_init(&in, "s3cret"), MEMIF_E_SECRET);
    memif_set_name(in.secret, sizeof(in.secret), "abcdefghijklmnopqrstuvwx");
    CHECK_EQ(memif_check_init(&in, "abcdefghijklmnopqrstuvwx"), MEMIF_OK);
    CHECK_EQ(memif_check_init(&in, "abcdefghijklmnopqrstuvwxy"), MEMIF_E_SECRET);
}

static void test_add_region(void)
{
    struct memif_msg_add_region r = {.index = 0, .size = 4096};
    CHECK_EQ(memif_check_add_region(&r, 0, &lim), MEMIF_OK);
    r.index = 1;
    CHECK_EQ(memif_check_add_region(&r, 0, &lim), MEMIF_E_REGION_INDEX); /* out of order */
    r.index = 0;
    CHECK_EQ(memif_check_add_region(&r, 1, &lim), MEMIF_E_REGION_INDEX); /* repeated */
    r.index = 4;
    CHECK_EQ(memif_check_add_region(&r, 4, &lim), MEMIF_E_REGION_INDEX); /* beyond max */
    r.index = 0;
    r.size = 0;
    CHECK_EQ(memif_check_add_region(&r, 0, &lim), MEMIF_E_REGION_SIZE);
    r.size = (1 << 20) + 1;
    CHECK_EQ(memif_check_add_region(&r, 0, &lim), MEMIF_E_REGION_SIZE);
    r.size = UINT64_MAX;
    CHECK_EQ(memif_check_add_region(&r, 0, &lim), MEMIF_E_REGION_SIZE);
}

static void test_region_fd(void)
{
    int sealed = memfd_create("t", MFD_ALLOW_SEALING);
    CHECK(sealed >= 0);
    CHECK_EQ(ftruncate(sealed, 8192), 0);
    CHECK_EQ(memif_check_region_fd(sealed, 8192), MEMIF_E_REGION_FD); /* not sealed yet */
    CHECK_EQ(fcntl(sealed, F_ADD_SEALS, F_SEAL_SHRINK), 0);
    CHECK_EQ(memif_check_region_fd(sealed, 8192), MEMIF_OK);
    CHECK_EQ(memif_check_region_fd(sealed, 4096), MEMIF_OK);
    CHECK_EQ(memif_check_region_fd(sealed, 8193), MEMIF_E_REGION_FD); /* file shorter */
    /* With the seal the peer can no longer shrink the file under the mapping. */
    CHECK(ftruncate(sealed, 100) != 0);
    close(sealed);

    int unsealable = memfd_create("t", 0); /* sealing not allowed: F_SEAL_SEAL is set */
    CHECK_EQ(ftruncate(unsealable, 8192), 0);
    CHECK_EQ(memif_check_region_fd(unsealable, 8192), MEMIF_E_REGION_FD);
    close(unsealable);

    char path[] = "/tmp/sluice-memif-check-XXXXXX";
    int file = mkstemp(path);
    CHECK(file >= 0);
    unlink(path);
    CHECK_EQ(ftruncate(file, 8192), 0);
    CHECK_EQ(memif_check_region_fd(file, 8192), MEMIF_E_REGION_FD); /* ordinary file */
    close(file);

    int efd = eventfd(0, 0);
    CHECK_EQ(memif_check_region_fd(efd, 16), MEMIF_E_REGION_FD);
    close(efd);
    CHECK_EQ(memif_check_region_fd(-1, 16), MEMIF_E_REGION_FD);
}

static void test_add_ring(void)
{
    uint64_t sizes[2] = {memif_ring_bytes(10) * 2, 4096};
    struct memif_msg_add_ring r = {.flags = MEMIF_ADD_RING_FLAG_S2M,
                                   .index = 0,
                                   .region = 0,
                                   .offset = 0,
                                   .log2_ring_size = 10};
    CHECK_EQ(memif_check_add_ring(&r, sizes, 2, &lim, 0), MEMIF_OK);
    CHECK_EQ(memif_check_add_ring(&r, sizes, 2, &lim, 1), MEMIF_E_RING_INDEX); /* repeated */
    r.index = 2;
    CHECK_EQ(memif_check_add_ring(&r, sizes, 2, &lim, 0), MEMIF_E_RING_INDEX); /* > max */
    r.index = 0;
    r.flags = 0x2; /* unknown flag */
    CHECK_EQ(memif_check_add_ring(&r, sizes, 2, &lim, 0), MEMIF_E_RING_INDEX);
    r.flags = 0; /* M2S has its own index space */
    CHECK_EQ(memif_check_add_ring(&r, sizes, 2, &lim, 0), MEMIF_OK);
    r.region = 2;
    CHECK_EQ(memif_check_add_ring(&r, sizes, 2, &lim, 0), MEMIF_E_RING_REGION);
    r.region = 0;
    r.log2_ring_size = 11;
    CHECK_EQ(memif_check_add_ring(&r, sizes, 2, &lim, 0), MEMIF_E_RING_SIZE);
    r.log2_ring_size = 255;
    CHECK_EQ(memif_check_add_ring(&r, sizes, 2, &lim, 0), MEMIF_E_RING_SIZE);
    r.log2_ring_size = 10;
    r.private_hdr_size = 16;
    CHECK_EQ(memif_check_add_ring(&r, sizes, 2, &lim, 0), MEMIF_E_RING_HDR);
    r.private_hdr_size = 0;
    r.offset = 4;
    CHECK_EQ(memif_check_add_ring(&r, sizes, 2, &lim, 0), MEMIF_E_RING_OFFSET); /* misaligned */
    r.offset = (uint32_t)memif_ring_bytes(10); /* the second ring fits exactly */
    CHECK_EQ(memif_check_add_ring(&r, sizes, 2, &lim, 0), MEMIF_OK);
    r.offset += 8; /* one byte too far */
    CHECK_EQ(memif_check_add_ring(&r, sizes, 2, &lim, 0), MEMIF_E_RING_OFFSET);
    r.offset = UINT32_MAX - 7; /* offset + ring size beyond 32 bits */
    CHECK_EQ(memif_check_add_ring(&r, sizes, 2, &lim, 0), MEMIF_E_RING_OFFSET);
    r.offset = 0;
    r.region = 1; /* a ring bigger than its region */
    CHECK_EQ(memif_check_add_ring(&r, sizes, 2, &lim, 0), MEMIF_E_RING_OFFSET);
}

static void test_ring_set(void)
{
    CHECK_EQ(memif_check_ring_set(1, 1), MEMIF_OK);
    CHECK_EQ(memif_check_ring_set(3, 1), MEMIF_OK);
    CHECK_EQ(memif_check_ring_set(0, 1), MEMIF_E_RINGS_MISSING);
    CHECK_EQ(memif_check_ring_set(1, 0), MEMIF_E_RINGS_MISSING);
    CHECK_EQ(memif_check_ring_set(2, 1), MEMIF_E_RINGS_MISSING); /* ring 0 missing */
    CHECK_EQ(memif_check_ring_set(5, 1), MEMIF_E_RINGS_MISSING); /* gap */
}

static void test_desc(void)
{
    uint8_t mem0[4096], mem1[100];
    struct memif_region_map regions[2] = {{mem0, sizeof(mem0)}, {mem1, sizeof(mem1)}};
    uint8_t *data = NULL;
    struct memif_desc d = {.region = 0, .length = 64, .offset = 128};
    CHECK_EQ(memif_desc_resolve(&d, regions, 2, 2048, &data), MEMIF_OK);
    CHECK(data == mem0 + 128);
    d.region = 2;
    CHECK_EQ(memif_desc_resolve(&d, regions, 2, 2048, &data), MEMIF_E_DESC_REGION);
    d.region = 0xffff;
    CHECK_EQ(memif_desc_resolve(&d, regions, 2, 2048, &data), MEMIF_E_DESC_REGION);
    d.region = 0;
    d.length = 0;
    CHECK_EQ(memif_desc_resolve(&d, regions, 2, 2048, &data), MEMIF_E_DESC_LENGTH);
    d.length = 2049;
    CHECK_EQ(memif_desc_resolve(&d, regions, 2, 2048, &data), MEMIF_E_DESC_LENGTH);
    d.length = 2048;
    d.offset = 4096 - 2048;
    CHECK_EQ(memif_desc_resolve(&d, regions, 2, 2048, &data), MEMIF_OK); /* ends at the edge */
    d.offset++;
    CHECK_EQ(memif_desc_resolve(&d, regions, 2, 2048, &data), MEMIF_E_DESC_BOUNDS);
    d.offset = UINT32_MAX; /* offset + length wraps in 32 bits */
    d.length = 16;
    CHECK_EQ(memif_desc_resolve(&d, regions, 2, 2048, &data), MEMIF_E_DESC_BOUNDS);
    d.region = 1;
    d.offset = 90;
    CHECK_EQ(memif_desc_resolve(&d, regions, 2, 2048, &data), MEMIF_E_DESC_BOUNDS);
    d.offset = 84;
    CHECK_EQ(memif_desc_resolve(&d, regions, 2, 2048, &data), MEMIF_OK);
}

static void test_ring_pending(void)
{
    CHECK_EQ(memif_ring_pending(5, 5, 16), 0);
    CHECK_EQ(memif_ring_pending(21, 5, 16), 16);
    CHECK_EQ(memif_ring_pending(22, 5, 16), -1);
    CHECK_EQ(memif_ring_pending(3, 65530, 16), 9); /* across the 16-bit wrap */
    CHECK_EQ(memif_ring_pending(4, 5, 16), -1);    /* head behind tail */
}

static void test_names(void)
{
    uint8_t field[8];
    char out[16];
    memif_set_name(field, sizeof(field), "abcdefghij");
    CHECK(memcmp(field, "abcdefgh", 8) == 0);
    memif_get_name(out, sizeof(out), field, sizeof(field));
    CHECK_STR(out, "abcdefgh");
    field[2] = 0x01;
    memif_get_name(out, sizeof(out), field, sizeof(field));
    CHECK_STR(out, "ab?defgh");
    memif_get_name(out, 4, field, sizeof(field));
    CHECK_STR(out, "ab?");
    for (int e = 0; e < MEMIF_E_MAX; e++)
        CHECK(memif_err_names[e] != NULL);
}

int main(void)
{
    test_wire_layout();
    test_msg_size();
    test_init();
    test_add_region();
    test_region_fd();
    test_add_ring();
    test_ring_set();
    test_desc();
    test_ring_pending();
    test_names();
    return check_exit();
}

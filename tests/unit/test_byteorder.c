/* test_byteorder.c - the big-endian loads and stores at odd addresses, and the checked loads
 * at and past the buffer's edges, offsets near the top of the range included. */
#include "byteorder.h"
#include "check.h"

static void test_unchecked(void)
{
    uint8_t b[6] = {0};
    store_be16(b + 1, 0x1234);
    CHECK_EQ(b[1], 0x12);
    CHECK_EQ(b[2], 0x34);
    CHECK_EQ(load_be16(b + 1), 0x1234);
    store_be32(b + 1, 0xdeadbeef);
    CHECK_EQ(b[1], 0xde);
    CHECK_EQ(b[4], 0xef);
    CHECK_EQ(load_be32(b + 1), 0xdeadbeef);
}

static void test_checked(void)
{
    uint8_t b[6] = {0, 0xde, 0xad, 0xbe, 0xef, 0};
    uint16_t v16 = 7;
    uint32_t v32 = 7;
    CHECK(load_be16_checked(b, 6, 4, &v16));
    CHECK_EQ(v16, 0xef00);
    CHECK(!load_be16_checked(b, 6, 5, &v16));
    CHECK(!load_be16_checked(b, 6, 0xffffffffu, &v16));
    CHECK_EQ(v16, 0xef00); /* untouched on failure */
    CHECK(load_be32_checked(b, 6, 2, &v32));
    CHECK_EQ(v32, 0xadbeef00);
    CHECK(!load_be32_checked(b, 6, 3, &v32));
    CHECK(!load_be32_checked(b, 2, 0, &v32));
    CHECK(!load_be32_checked(b, 6, 0xfffffffeu, &v32));
    CHECK_EQ(v32, 0xadbeef00);
}

int main(void)
{
    test_unchecked();
    test_checked();
    return check_exit();
}

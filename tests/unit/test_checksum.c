/* test_checksum.c - the Internet checksum arithmetic against known values: whole buffers,
 * pieces, odd lengths, carries, and the incremental update of RFC 1624. */
#include "byteorder.h"
#include "check.h"
#include "checksum.h"

static void test_checksum(void)
{
    /* RFC 1624 section 4 example: 0xdd2f, word 0x5555 -> 0x3285, expected 0x0000. */
    CHECK_EQ(inet_csum_replace16(0xdd2f, 0x5555, 0x3285), 0x0000);
    uint8_t data[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                      0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    /* a well-known header */
    CHECK_EQ(inet_sum_fold_complement(inet_sum_add(0, data, sizeof(data))), 0xb861);
    CHECK_EQ(inet_sum_fold(inet_sum_add(0, data, sizeof(data))), 0xffff - 0xb861);
    /* with its checksum in place the sum is all ones, the complement zero */
    store_be16(data + 10, 0xb861);
    CHECK_EQ(inet_sum_fold(inet_sum_add(0, data, sizeof(data))), 0xffff);
    CHECK_EQ(inet_sum_fold_complement(inet_sum_add(0, data, sizeof(data))), 0);
    /* pieces add up to the whole, whatever the split */
    uint32_t s = inet_sum_add(inet_sum_add(0, data, 8), data + 8, sizeof(data) - 8);
    CHECK_EQ(inet_sum_fold(s), 0xffff);
    /* an odd last byte counts as the high half of a word */
    CHECK_EQ(inet_sum_fold_complement(inet_sum_add(0, (const uint8_t *)"\x01", 1)), 0xfeff);
    /* carries beyond 32 bits fold back in */
    CHECK_EQ(inet_sum_fold(0xffffffffu), 0xffff);
    CHECK_EQ(inet_sum_fold(0x0001fffeu), 0xffff);
}

int main(void)
{
    test_checksum();
    return check_exit();
}

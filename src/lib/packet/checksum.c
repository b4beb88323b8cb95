/* checksum.c - the Internet checksum arithmetic shared by the offload fallbacks, the flow
 * actions, sluicedump's printers and the memif traffic generator. */
#include "checksum.h"

#include "byteorder.h"

uint32_t inet_sum_add(uint32_t sum, const uint8_t *data, uint32_t len)
{
    /* 64 bits hold the carries of any frame up to 64 KiB without folding inside the loop. */
    uint64_t s = sum;
    uint32_t i = 0;
    for (; i + 1 < len; i += 2)
        s += load_be16(data + i);
    if (i < len)
        s += (uint32_t)data[i] << 8;
    while (s >> 32)
        s = (s & 0xffffffffu) + (s >> 32);
    return (uint32_t)s;
}

uint16_t inet_sum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

uint16_t inet_sum_fold_complement(uint32_t sum)
{
    return (uint16_t)~inet_sum_fold(sum);
}

uint16_t inet_csum_replace16(uint16_t csum, uint16_t old_word, uint16_t new_word)
{
    uint32_t sum = (uint16_t)~csum + (uint32_t)(uint16_t)~old_word + new_word;
    return inet_sum_fold_complement(sum);
}

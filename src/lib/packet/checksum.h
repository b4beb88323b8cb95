/* checksum.h - the Internet checksum (RFC 1071) and its incremental update (RFC 1624), for
 * every writer and checker of IP, TCP, UDP and ICMP checksums. */
#ifndef SLUICE_CHECKSUM_H
#define SLUICE_CHECKSUM_H

#include <stdint.h>

/* A checksum is built in two steps so that pseudo-headers and data in several pieces add up:
 * sums (inet_sum_*) are one's complement sums, not complemented; the checksum field holds the
 * complement of the folded sum. */

/* Adds len bytes, as big-endian 16-bit words (an odd last byte padded with zero), to a running
 * 32-bit sum; the result is not folded. */
uint32_t inet_sum_add(uint32_t sum, const uint8_t *data, uint32_t len);

/* Folds a running sum to 16 bits, without complementing it. */
uint16_t inet_sum_fold(uint32_t sum);

/* Folds a running sum and complements it: the value a checksum field holds, and 0 when a
 * receiver sums data that includes a correct checksum. */
uint16_t inet_sum_fold_complement(uint32_t sum);

/* The checksum field csum (complemented, as stored) after one 16-bit word of the data it
 * covers changes from old_word to new_word (RFC 1624 eqn. 3). */
uint16_t inet_csum_replace16(uint16_t csum, uint16_t old_word, uint16_t new_word);

#endif

/* frame.h - sluice-pktgen's test frames: Ethernet/IPv4/UDP with a payload that names its
 * sender, flow, sequence number and send time, so a receiver can rebuild it byte for byte. */
#ifndef SLUICE_PKTGEN_FRAME_H
#define SLUICE_PKTGEN_FRAME_H

#include <stdbool.h>
#include <stdint.h>

#define FRAME_MIN 60u
#define FRAME_MAX 16384u
#define FRAME_HDR 42u       /* Ethernet 14 + IPv4 20 + UDP 8 */
#define FRAME_STAMP 24u     /* magic, tx port, rx port, flow, sequence, send time */
#define FRAME_MAGIC 0x5347u /* "SG" */

struct frame_id {
    uint16_t tx_port; /* index among the generator's sending ports */
    uint16_t rx_port; /* index among its receiving ports: the intended destination */
    uint16_t flow;
    uint32_t seq;
    uint64_t sent_ns;
};

void frame_mac(uint8_t mac[6], bool receiver, uint16_t index);
/* Writes a frame of len bytes (FRAME_MIN..FRAME_MAX) into out. */
void frame_build(uint8_t *out, uint32_t len, const struct frame_id *id);
/* Reads the stamp back; false if the frame is not one of ours. */
bool frame_parse(const uint8_t *frame, uint32_t len, struct frame_id *id);
/* True if frame is exactly what frame_build makes for its stamp, or that with its two
 * addresses swapped (scratch: FRAME_MAX bytes). */
bool frame_verify(const uint8_t *frame, uint32_t len, uint8_t *scratch);
/* A broadcast frame from receiver `index`, so the switch learns where its address lives. */
void frame_build_announce(uint8_t *out, uint16_t index);

#endif

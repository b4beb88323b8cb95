/* frame.c - building and checking sluice-pktgen's test frames. The payload after the stamp is
 * a pattern derived from the sequence number, so corruption anywhere in the frame shows. */
#include "frame.h"

#include <string.h>

#include "byteorder.h"
#include "checksum.h"

void frame_mac(uint8_t mac[6], bool receiver, uint16_t index)
{
    mac[0] = 0x02; /* locally administered, unicast */
    mac[1] = 0x53;
    mac[2] = 0x4c;
    mac[3] = receiver ? 0x01 : 0x00;
    mac[4] = (uint8_t)(index >> 8);
    mac[5] = (uint8_t)index;
}

static void build_headers(uint8_t *out, uint32_t len, const struct frame_id *id)
{
    frame_mac(out, true, id->rx_port);
    frame_mac(out + 6, false, id->tx_port);
    store_be16(out + 12, 0x0800);
    uint8_t *ip = out + 14;
    uint32_t ip_len = len - 14;
    if (ip_len > 65535)
        ip_len = 65535;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    store_be16(ip + 2, (uint16_t)ip_len);
    ip[8] = 64;
    ip[9] = 17;                                     /* UDP */
    store_be32(ip + 12, 0xc6120000u | id->tx_port); /* 198.18.0.0/15, the benchmarking range */
    store_be32(ip + 16, 0xc6130000u | id->rx_port);
    store_be16(ip + 10, inet_sum_fold_complement(inet_sum_add(0, ip, 20)));
    uint8_t *udp = ip + 20;
    store_be16(udp, (uint16_t)(1024 + id->flow));
    store_be16(udp + 2, 9);
    store_be16(udp + 4, (uint16_t)(ip_len - 20));
    store_be16(udp + 6, 0); /* no UDP checksum */
}

void frame_build(uint8_t *out, uint32_t len, const struct frame_id *id)
{
    build_headers(out, len, id);
    uint8_t *s = out + FRAME_HDR;
    store_be16(s, FRAME_MAGIC);
    s[2] = (uint8_t)id->tx_port;
    s[3] = (uint8_t)id->rx_port;
    store_be16(s + 4, id->flow);
    store_be32(s + 6, id->seq);
    memcpy(s + 10, &id->sent_ns, 8);
    uint8_t v = (uint8_t)(id->seq * 31u);
    for (uint32_t i = FRAME_HDR + FRAME_STAMP; i < len; i++)
        out[i] = v++;
}

bool frame_parse(const uint8_t *frame, uint32_t len, struct frame_id *id)
{
    if (len < FRAME_MIN || len > FRAME_MAX || load_be16(frame + 12) != 0x0800)
        return false;
    const uint8_t *s = frame + FRAME_HDR;
    if (load_be16(s) != FRAME_MAGIC)
        return false;
    id->tx_port = s[2];
    id->rx_port = s[3];
    id->flow = load_be16(s + 4);
    id->seq = load_be32(s + 6);
    memcpy(&id->sent_ns, s + 10, 8);
    return true;
}

bool frame_verify(const uint8_t *frame, uint32_t len, uint8_t *scratch)
{
    struct frame_id id;
    if (!frame_parse(frame, len, &id))
        return false;
    frame_build(scratch, len, &id);
    if (memcmp(scratch + 12, frame + 12, len - 12) != 0)
        return false;
    /* A reflector sends the frame back with the addresses swapped. */
    return memcmp(scratch, frame, 12) == 0 ||
           (memcmp(scratch, frame + 6, 6) == 0 && memcmp(scratch + 6, frame, 6) == 0);
}

void frame_build_announce(uint8_t *out, uint16_t index)
{
    memset(out, 0xff, 6);
    frame_mac(out + 6, true, index);
    store_be16(out + 12, 0x88b5); /* local experimental ethertype */
    memset(out + 14, 0, FRAME_MIN - 14);
}

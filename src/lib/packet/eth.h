/* eth.h - Ethernet and 802.1Q header parsing and VLAN tag edits on a frame in place.
 * Every read stays inside the frame's length; a short frame is reported, never overrun. */
#ifndef SLUICE_ETH_H
#define SLUICE_ETH_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define ETH_ADDR_LEN 6
#define ETH_HDR_LEN 14
#define VLAN_HDR_LEN 4
#define ETHTYPE_IPV4 0x0800
#define ETHTYPE_ARP 0x0806
#define ETHTYPE_VLAN 0x8100
#define ETHTYPE_QINQ 0x88a8
#define ETHTYPE_IPV6 0x86dd

struct eth_info {
    const uint8_t *dst;
    const uint8_t *src;
    bool tagged;        /* an outer 802.1Q/802.1ad tag is present */
    uint16_t tci;       /* its tag control information (PCP, DEI, VID) */
    uint16_t ethertype; /* the type after the tags */
    uint16_t l3_offset; /* where the payload after the tags begins */
};

/* Returns false if the frame is too short for its Ethernet and tag headers. */
bool eth_parse(const uint8_t *frame, uint32_t len, struct eth_info *out);

static inline uint16_t vlan_vid(uint16_t tci)
{
    return tci & 0x0fff;
}

static inline bool eth_is_multicast(const uint8_t *mac)
{
    return mac[0] & 1;
}

static inline bool eth_is_broadcast(const uint8_t *mac)
{
    static const uint8_t bcast[ETH_ADDR_LEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    return memcmp(mac, bcast, ETH_ADDR_LEN) == 0;
}

/* Inserts an 802.1Q tag after the source address, using the frame's headroom.
 * *data and *len are updated; returns false when there is no headroom. */
bool eth_push_vlan(uint8_t **data, uint32_t *len, unsigned headroom, uint16_t tpid, uint16_t tci);
/* Removes the outer tag; returns false if the frame has none. */
bool eth_pop_vlan(uint8_t **data, uint32_t *len);

/* "aa:bb:cc:dd:ee:ff" to bytes and back; buf must hold 18 bytes. */
bool eth_addr_parse(const char *s, uint8_t mac[ETH_ADDR_LEN]);
char *eth_addr_format(const uint8_t mac[ETH_ADDR_LEN], char buf[18]);

#endif

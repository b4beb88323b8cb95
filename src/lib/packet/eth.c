/* eth.c - Ethernet and 802.1Q parsing and tag push/pop.
 * Only the outer tag steers switching; inner tags stay part of the payload. */
#include "eth.h"

#include <stdio.h>

#include "byteorder.h"

bool eth_parse(const uint8_t *frame, uint32_t len, struct eth_info *out)
{
    if (len < ETH_HDR_LEN)
        return false;
    out->dst = frame;
    out->src = frame + 6;
    uint16_t type = load_be16(frame + 12);
    out->tagged = false;
    out->tci = 0;
    out->l3_offset = ETH_HDR_LEN;
    if (type == ETHTYPE_VLAN || type == ETHTYPE_QINQ) {
        if (len < ETH_HDR_LEN + VLAN_HDR_LEN)
            return false;
        out->tagged = true;
        out->tci = load_be16(frame + 14);
        type = load_be16(frame + 16);
        out->l3_offset = ETH_HDR_LEN + VLAN_HDR_LEN;
    }
    out->ethertype = type;
    return true;
}

bool eth_push_vlan(uint8_t **data, uint32_t *len, unsigned headroom, uint16_t tpid, uint16_t tci)
{
    if (headroom < VLAN_HDR_LEN || *len < 12)
        return false;
    uint8_t *d = *data - VLAN_HDR_LEN;
    memmove(d, *data, 12);
    store_be16(d + 12, tpid);
    store_be16(d + 14, tci);
    *data = d;
    *len += VLAN_HDR_LEN;
    return true;
}

bool eth_pop_vlan(uint8_t **data, uint32_t *len)
{
    uint8_t *d = *data;
    if (*len < ETH_HDR_LEN + VLAN_HDR_LEN)
        return false;
    uint16_t type = load_be16(d + 12);
    if (type != ETHTYPE_VLAN && type != ETHTYPE_QINQ)
        return false;
    memmove(d + VLAN_HDR_LEN, d, 12);
    *data = d + VLAN_HDR_LEN;
    *len -= VLAN_HDR_LEN;
    return true;
}

bool eth_addr_parse(const char *s, uint8_t mac[ETH_ADDR_LEN])
{
    unsigned v[6];
    char tail;
    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) !=
        6)
        return false;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)v[i];
    return true;
}

char *eth_addr_format(const uint8_t mac[ETH_ADDR_LEN], char buf[18])
{
    snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
             mac[5]);
    return buf;
}

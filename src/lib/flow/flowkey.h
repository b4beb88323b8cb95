/* flowkey.h - the flow key: every header field a flow rule can match, extracted from a frame.
 * The data plane calls flowkey_extract() once per received packet; rules and caches compare keys.
 *
 * The key is a fixed 80-byte structure viewed as ten 64-bit words, so a rule's mask can be
 * applied and hashed word by word. Fields are stored the way Open vSwitch's flow does:
 *  - vlan_tci is 0 for an untagged frame, otherwise the outer tag's TCI with bit 0x1000 (the
 *    CFI/DEI position) set to mean "a tag is present";
 *  - for ARP, nw_src/nw_dst hold the sender/target protocol addresses and nw_proto the opcode;
 *  - for ICMP and ICMPv6, tp_src holds the type and tp_dst the code.
 * IPv4 addresses and every other integer are in host byte order; IPv6 addresses are bytes as on
 * the wire. Unused bytes (padding, fields of absent headers) are always zero. */
#ifndef SLUICE_FLOWKEY_H
#define SLUICE_FLOWKEY_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define FLOW_KEY_WORDS 10

#define FLOW_VLAN_PRESENT 0x1000
#define FLOW_VLAN_VID_MASK 0x0fff
#define FLOW_VLAN_PCP_MASK 0xe000

/* nw_frag bits */
#define FLOW_FRAG_ANY 0x01   /* the packet is a fragment */
#define FLOW_FRAG_LATER 0x02 /* ... and not the first one (no L4 header) */

#define FLOW_TCP_FLAGS_MASK 0x0fff

#define IPPROTO_NUM_ICMP 1
#define IPPROTO_NUM_IGMP 2
#define IPPROTO_NUM_TCP 6
#define IPPROTO_NUM_UDP 17
#define IPPROTO_NUM_ICMPV6 58
#define IPPROTO_NUM_SCTP 132

struct flow_key {
    union {
        struct {
            uint32_t in_port;  /* index of the receiving port */
            uint16_t dl_type;  /* Ethertype after the outer tag */
            uint16_t vlan_tci; /* see above */
            uint8_t ipv6_src[16];
            uint8_t ipv6_dst[16];
            uint8_t dl_dst[6];
            uint8_t dl_src[6];
            uint32_t nw_src;    /* IPv4 source or ARP sender address */
            uint32_t nw_dst;    /* IPv4 destination or ARP target address */
            uint8_t nw_proto;   /* IP protocol, IPv6 last next-header, or ARP opcode (<256) */
            uint8_t nw_tos;     /* IPv4 TOS or IPv6 traffic class: DSCP and ECN */
            uint8_t nw_ttl;     /* IPv4 TTL or IPv6 hop limit */
            uint8_t nw_frag;    /* FLOW_FRAG_* */
            uint16_t tp_src;    /* TCP/UDP/SCTP source port, ICMP type */
            uint16_t tp_dst;    /* TCP/UDP/SCTP destination port, ICMP code */
            uint16_t tcp_flags; /* the 12 flag bits of the TCP header */
            uint16_t pad0;
            uint32_t ipv6_label; /* 20-bit flow label */
            uint32_t pad1;
        };
        uint64_t w[FLOW_KEY_WORDS];
    };
};
_Static_assert(sizeof(struct flow_key) == FLOW_KEY_WORDS * 8, "flow key is ten words");

/* Where the headers of a frame are, for actions that edit them. Offsets count from the first
 * byte of the frame. l3_len is the length of the IP header (IPv4: IHL*4; IPv6: 40). */
struct flow_layout {
    uint16_t l3; /* network header, 0 if none was parsed */
    uint16_t l3_len;
    uint16_t l4;     /* transport header, 0 if absent (not parsed, truncated, later fragment) */
    uint16_t l4_len; /* bytes of the transport header that are inside the frame and datagram */
    uint32_t ip_end; /* end of the IP datagram within the frame (excludes Ethernet padding) */
};

/* Fills *key (and *layout if not NULL) from a frame of len bytes received on in_port.
 * Never reads outside [frame, frame + len). A frame too short for Ethernet yields a key with
 * only in_port set and returns false; every other frame returns true, with the fields of each
 * header that is complete and well formed (a malformed IP header leaves the L3/L4 fields zero).
 *
 * IPv4: options are skipped by IHL; fragments set nw_frag; a later fragment has no L4 fields.
 * IPv6: up to FLOWKEY_MAX_EXT extension headers (hop-by-hop, routing, fragment, destination
 * options, authentication) are walked to find the transport protocol. */
#define FLOWKEY_MAX_EXT 8
bool flowkey_extract(const uint8_t *frame, uint32_t len, uint32_t in_port, struct flow_key *key,
                     struct flow_layout *layout);

/* A 32-bit hash of the whole key, used by the exact-match cache. */
uint32_t flowkey_hash(const struct flow_key *key);

static inline bool flowkey_equal(const struct flow_key *a, const struct flow_key *b)
{
    uint64_t diff = 0;
    for (int i = 0; i < FLOW_KEY_WORDS; i++)
        diff |= a->w[i] ^ b->w[i];
    return diff == 0;
}

/* Does key match value under mask (value already masked)? */
static inline bool flowkey_matches(const struct flow_key *key, const struct flow_key *value,
                                   const struct flow_key *mask)
{
    uint64_t diff = 0;
    for (int i = 0; i < FLOW_KEY_WORDS; i++)
        diff |= (key->w[i] & mask->w[i]) ^ value->w[i];
    return diff == 0;
}

/* 64-bit mixing shared by the key hashes of the cache and the classifier. */
static inline uint64_t flowkey_mix(uint64_t h, uint64_t word)
{
    h ^= word * 0x9e3779b97f4a7c15ull;
    h = (h << 27 | h >> 37) * 0xbf58476d1ce4e5b9ull;
    return h;
}

static inline uint32_t flowkey_finish(uint64_t h)
{
    h ^= h >> 31;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 29;
    return (uint32_t)(h ^ (h >> 32));
}

#endif

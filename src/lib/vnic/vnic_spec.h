/* vnic_spec.h - what a request for virtual NICs means before anything is created: the
 * address, MAC and name ranges it covers, their validity, and their conflicts with the
 * virtual NICs that already exist. Pure functions, no system calls. */
#ifndef SLUICE_VNIC_SPEC_H
#define SLUICE_VNIC_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VNIC_MAX 4096          /* virtual NICs one switch runs */
#define VNIC_IFNAME_MAX 15     /* IFNAMSIZ - 1 */
#define VNIC_NETNS_NAME_MAX 64 /* NETNS_NAME_MAX */
#define VNIC_DEFAULT_PREFIX "vnic"

/* One virtual NIC as the switch records it. */
struct vnic_entry {
    char name[VNIC_IFNAME_MAX + 1];      /* interface name, also the switch port's name */
    char netns[VNIC_NETNS_NAME_MAX + 1]; /* its own namespace, or "" for the switch's */
    uint8_t mac[6];
    uint32_t ip; /* host byte order */
    uint8_t prefix;
    bool ipv6; /* the kernel gives it an IPv6 link-local address */
};

/* A request for `count` virtual NICs: number k (0-based) gets mac + k, ip + k, the name
 * name_prefix followed by the decimal number first + k, and, with a namespace prefix, the
 * namespace netns_prefix followed by the same number. */
struct vnic_request {
    unsigned count;
    uint8_t mac[6];
    uint32_t ip;
    unsigned prefix;
    char name_prefix[VNIC_IFNAME_MAX + 1];
    char netns_prefix[VNIC_NETNS_NAME_MAX + 1]; /* "" : stay in the switch's namespace */
    bool ipv6;
    unsigned first;
};

/* "a.b.c.d/len" with len 0..32 (required). Rejects anything else, including leading zeros
 * and surrounding spaces. */
bool vnic_parse_ipv4_prefix(const char *s, uint32_t *ip, unsigned *prefix);
void vnic_format_ipv4(uint32_t ip, char buf[16]);

uint64_t vnic_mac_to_u64(const uint8_t mac[6]);
void vnic_mac_from_u64(uint64_t v, uint8_t mac[6]);

/* Name prefixes: a letter first, then letters, digits, '_' or '-'. Namespace prefixes may
 * also contain '.'. */
bool vnic_name_prefix_valid(const char *prefix);
bool vnic_netns_prefix_valid(const char *prefix);

/* Checks a request on its own: count within 1..VNIC_MAX, a unicast non-zero base MAC whose
 * range does not carry into the first octet, an IPv4 range inside its subnet that avoids the
 * subnet's network and broadcast addresses and reserved ranges, names that fit.
 * 0, or -1 with a one-line error. `first` must be set. */
int vnic_request_check(const struct vnic_request *r, char *err, size_t errlen);

/* Checks a request against the existing virtual NICs: the total stays within VNIC_MAX, no
 * MAC, IPv4 address, interface name or namespace name is taken. 0 or -1 with an error. */
int vnic_request_conflicts(const struct vnic_request *r, const struct vnic_entry *existing,
                           unsigned nexisting, char *err, size_t errlen);

/* The number the request's names start at: one past the highest number among existing
 * virtual NICs with the same name prefix or, with a namespace prefix, the same namespace
 * prefix; 0 if there are none. Names and namespaces then share one numbering. */
unsigned vnic_first_number(const char *name_prefix, const char *netns_prefix,
                           const struct vnic_entry *existing, unsigned nexisting);

/* The k-th virtual NIC of a request. */
void vnic_request_entry(const struct vnic_request *r, unsigned k, struct vnic_entry *out);

/* Checks a recorded entry (as read back from the stored configuration). 0 or -1. */
int vnic_entry_check(const struct vnic_entry *e, char *err, size_t errlen);

/* A selection for deletion: one name ("vnic7") or a range with one prefix ("vnic3..vnic9"). */
struct vnic_selector {
    char prefix[VNIC_IFNAME_MAX + 1]; /* range: the shared prefix; name: the whole name */
    bool range;
    unsigned lo, hi;
};
int vnic_selector_parse(const char *s, struct vnic_selector *out, char *err, size_t errlen);
bool vnic_selector_match(const struct vnic_selector *sel, const char *name);

/* If name is prefix followed by a canonical decimal number, stores it and returns true. */
bool vnic_name_number(const char *name, const char *prefix, unsigned *number);

#endif

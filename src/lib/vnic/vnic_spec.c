/* vnic_spec.c - range arithmetic and validation for virtual NIC requests: consecutive MACs,
 * IPv4 addresses and numbered names, checked alone and against what already exists. */
#include "vnic_spec.h"

#include <stdio.h>
#include <string.h>

#define NUMBER_DIGITS_MAX 8 /* names carry numbers below 10^8 */

/* A canonical decimal number (no sign, no leading zero) of at most max_digits digits
 * spanning exactly [s, s+len). */
static bool parse_number(const char *s, size_t len, unsigned max_digits, unsigned *out)
{
    if (len == 0 || len > max_digits || (len > 1 && s[0] == '0'))
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return true;
}

static unsigned digits(unsigned v)
{
    unsigned d = 1;
    while (v >= 10) {
        v /= 10;
        d++;
    }
    return d;
}

bool vnic_parse_ipv4_prefix(const char *s, uint32_t *ip, unsigned *prefix)
{
    uint32_t addr = 0;
    const char *p = s;
    for (int octet = 0; octet < 4; octet++) {
        const char *end = p;
        while (*end >= '0' && *end <= '9')
            end++;
        unsigned v;
        if (!parse_number(p, (size_t)(end - p), 3, &v) || v > 255)
            return false;
        addr = addr << 8 | v;
        if (*end != (octet < 3 ? '.' : '/'))
            return false;
        p = end + 1;
    }
    unsigned len;
    if (!parse_number(p, strlen(p), 2, &len) || len > 32)
        return false;
    *ip = addr;
    *prefix = len;
    return true;
}

void vnic_format_ipv4(uint32_t ip, char buf[16])
{
    snprintf(buf, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

uint64_t vnic_mac_to_u64(const uint8_t mac[6])
{
    uint64_t v = 0;
    for (int i = 0; i < 6; i++)
        v = v << 8 | mac[i];
    return v;
}

void vnic_mac_from_u64(uint64_t v, uint8_t mac[6])
{
    for (int i = 5; i >= 0; i--) {
        mac[i] = (uint8_t)v;
        v >>= 8;
    }
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_name_char(char c, bool dot_ok)
{
    return is_alpha(c) || (c >= '0' && c <= '9') || c == '_' || c == '-' || (dot_ok && c == '.');
}

static bool prefix_chars_valid(const char *prefix, size_t max, bool dot_ok)
{
    size_t len = strlen(prefix);
    if (len == 0 || len > max || !is_alpha(prefix[0]))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_name_char(prefix[i], dot_ok))
            return false;
    return true;
}

bool vnic_name_prefix_valid(const char *prefix)
{
    return prefix_chars_valid(prefix, VNIC_IFNAME_MAX - 1, false);
}

bool vnic_netns_prefix_valid(const char *prefix)
{
    return prefix_chars_valid(prefix, VNIC_NETNS_NAME_MAX - 1, true);
}

static uint32_t prefix_mask(unsigned prefix)
{
    return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}

/* Addresses a host may not take: this network (0/8), loopback (127/8), multicast and the
 * reserved range up to the limited broadcast (224/3). Checks [lo, hi] as a whole. */
static bool range_reserved(uint32_t lo, uint32_t hi)
{
    if (lo < 0x01000000u || hi >= 0xe0000000u)
        return true;
    return lo <= 0x7fffffffu && hi >= 0x7f000000u;
}

static int check_ip_range(uint32_t lo, uint64_t count, unsigned prefix, char *err, size_t errlen)
{
    char a[16], b[16];
    uint64_t hi64 = (uint64_t)lo + count - 1;
    vnic_format_ipv4(lo, a);
    if (prefix > 32) {
        snprintf(err, errlen, "prefix length /%u is not between 0 and 32", prefix);
        return -1;
    }
    uint32_t mask = prefix_mask(prefix);
    uint32_t net = lo & mask, bcast = net | ~mask;
    if (hi64 > bcast) {
        snprintf(err, errlen, "%llu addresses from %s do not fit in %s/%u",
                 (unsigned long long)count, a, a, prefix);
        return -1;
    }
    uint32_t hi = (uint32_t)hi64;
    vnic_format_ipv4(hi, b);
    if (prefix <= 30 && lo == net) {
        snprintf(err, errlen, "%s is the network address of %s/%u", a, a, prefix);
        return -1;
    }
    if (prefix <= 30 && hi == bcast) {
        snprintf(err, errlen, "range %s-%s includes the broadcast address of /%u", a, b, prefix);
        return -1;
    }
    if (range_reserved(lo, hi)) {
        snprintf(err, errlen, "range %s-%s includes reserved addresses (0/8, 127/8, 224/3)", a, b);
        return -1;
    }
    return 0;
}

static int check_mac_range(const uint8_t mac[6], uint64_t count, char *err, size_t errlen)
{
    char a[18];
    snprintf(a, sizeof a, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
             mac[5]);
    uint64_t lo = vnic_mac_to_u64(mac), hi = lo + count - 1;
    if (lo == 0) {
        snprintf(err, errlen, "MAC %s is all zeros", a);
        return -1;
    }
    if (mac[0] & 1) {
        snprintf(err, errlen, "MAC %s is a multicast address", a);
        return -1;
    }
    /* The first octet holds the multicast bit: a range must not carry into it. */
    if (hi > 0xffffffffffffull || (hi >> 40) != (lo >> 40)) {
        snprintf(err, errlen, "%llu MACs from %s run past %02x:ff:ff:ff:ff:ff",
                 (unsigned long long)count, a, mac[0]);
        return -1;
    }
    return 0;
}

int vnic_request_check(const struct vnic_request *r, char *err, size_t errlen)
{
    if (r->count < 1 || r->count > VNIC_MAX) {
        snprintf(err, errlen, "count %u is not between 1 and %u", r->count, VNIC_MAX);
        return -1;
    }
    if (!vnic_name_prefix_valid(r->name_prefix)) {
        snprintf(err, errlen,
                 "name prefix '%s' must start with a letter and hold only letters, digits, "
                 "'_' and '-' (at most %d)",
                 r->name_prefix, VNIC_IFNAME_MAX - 1);
        return -1;
    }
    unsigned last = r->first + r->count - 1;
    if (last < r->first || digits(last) > NUMBER_DIGITS_MAX ||
        strlen(r->name_prefix) + digits(last) > VNIC_IFNAME_MAX) {
        snprintf(err, errlen, "name %s%u is longer than %d characters", r->name_prefix, last,
                 VNIC_IFNAME_MAX);
        return -1;
    }
    if (r->netns_prefix[0]) {
        if (!vnic_netns_prefix_valid(r->netns_prefix)) {
            snprintf(err, errlen,
                     "namespace prefix '%s' must start with a letter and hold only letters, "
                     "digits, '_', '-' and '.'",
                     r->netns_prefix);
            return -1;
        }
        if (strlen(r->netns_prefix) + digits(last) > VNIC_NETNS_NAME_MAX) {
            snprintf(err, errlen, "namespace name %s%u is longer than %d characters",
                     r->netns_prefix, last, VNIC_NETNS_NAME_MAX);
            return -1;
        }
    }
    if (check_mac_range(r->mac, r->count, err, errlen) < 0)
        return -1;
    return check_ip_range(r->ip, r->count, r->prefix, err, errlen);
}

bool vnic_name_number(const char *name, const char *prefix, unsigned *number)
{
    size_t plen = strlen(prefix);
    if (strncmp(name, prefix, plen) != 0)
        return false;
    return parse_number(name + plen, strlen(name + plen), NUMBER_DIGITS_MAX, number);
}

unsigned vnic_first_number(const char *name_prefix, const char *netns_prefix,
                           const struct vnic_entry *existing, unsigned nexisting)
{
    unsigned first = 0, n;
    for (unsigned i = 0; i < nexisting; i++) {
        if (vnic_name_number(existing[i].name, name_prefix, &n) && n + 1 > first)
            first = n + 1;
        if (netns_prefix && netns_prefix[0] && existing[i].netns[0] &&
            vnic_name_number(existing[i].netns, netns_prefix, &n) && n + 1 > first)
            first = n + 1;
    }
    return first;
}

void vnic_request_entry(const struct vnic_request *r, unsigned k, struct vnic_entry *out)
{
    memset(out, 0, sizeof *out);
    /* vnic_request_check made sure the names fit. */
    if (snprintf(out->name, sizeof out->name, "%s%u", r->name_prefix, r->first + k) < 0)
        out->name[0] = '\0';
    if (r->netns_prefix[0] &&
        snprintf(out->netns, sizeof out->netns, "%s%u", r->netns_prefix, r->first + k) < 0)
        out->netns[0] = '\0';
    vnic_mac_from_u64(vnic_mac_to_u64(r->mac) + k, out->mac);
    out->ip = r->ip + k;
    out->prefix = (uint8_t)r->prefix;
    out->ipv6 = r->ipv6;
}

int vnic_request_conflicts(const struct vnic_request *r, const struct vnic_entry *existing,
                           unsigned nexisting, char *err, size_t errlen)
{
    if ((uint64_t)nexisting + r->count > VNIC_MAX) {
        snprintf(err, errlen, "%u more virtual NICs would exceed the limit of %u (%u exist)",
                 r->count, VNIC_MAX, nexisting);
        return -1;
    }
    uint64_t mac_lo = vnic_mac_to_u64(r->mac), mac_hi = mac_lo + r->count - 1;
    uint32_t ip_lo = r->ip, ip_hi = r->ip + r->count - 1;
    unsigned num_lo = r->first, num_hi = r->first + r->count - 1, n;
    for (unsigned i = 0; i < nexisting; i++) {
        const struct vnic_entry *e = &existing[i];
        uint64_t mac = vnic_mac_to_u64(e->mac);
        if (mac >= mac_lo && mac <= mac_hi) {
            snprintf(err, errlen,
                     "MAC %02x:%02x:%02x:%02x:%02x:%02x of %s overlaps the requested range",
                     e->mac[0], e->mac[1], e->mac[2], e->mac[3], e->mac[4], e->mac[5], e->name);
            return -1;
        }
        if (e->ip >= ip_lo && e->ip <= ip_hi) {
            char a[16];
            vnic_format_ipv4(e->ip, a);
            snprintf(err, errlen, "address %s of %s overlaps the requested range", a, e->name);
            return -1;
        }
        if (vnic_name_number(e->name, r->name_prefix, &n) && n >= num_lo && n <= num_hi) {
            snprintf(err, errlen, "virtual NIC %s exists", e->name);
            return -1;
        }
        if (r->netns_prefix[0] && e->netns[0] && vnic_name_number(e->netns, r->netns_prefix, &n) &&
            n >= num_lo && n <= num_hi) {
            snprintf(err, errlen, "namespace %s of %s exists", e->netns, e->name);
            return -1;
        }
    }
    return 0;
}

int vnic_entry_check(const struct vnic_entry *e, char *err, size_t errlen)
{
    size_t len = strnlen(e->name, sizeof e->name);
    bool name_ok = len > 0 && len <= VNIC_IFNAME_MAX && is_alpha(e->name[0]);
    for (size_t i = 0; name_ok && i < len; i++)
        name_ok = is_name_char(e->name[i], false);
    if (!name_ok) {
        snprintf(err, errlen, "invalid virtual NIC name");
        return -1;
    }
    len = strnlen(e->netns, sizeof e->netns);
    bool netns_ok = len <= VNIC_NETNS_NAME_MAX && (len == 0 || is_alpha(e->netns[0]));
    for (size_t i = 0; netns_ok && i < len; i++)
        netns_ok = is_name_char(e->netns[i], true);
    if (!netns_ok) {
        snprintf(err, errlen, "%s: invalid namespace name", e->name);
        return -1;
    }
    char why[160];
    if (check_mac_range(e->mac, 1, why, sizeof why) < 0 ||
        check_ip_range(e->ip, 1, e->prefix, why, sizeof why) < 0) {
        snprintf(err, errlen, "%s: %s", e->name, why);
        return -1;
    }
    return 0;
}

/* Splits "prefix123" into its prefix and canonical number. */
static bool split_name(const char *s, size_t len, char *prefix, size_t prefix_cap, unsigned *number)
{
    size_t d = len;
    while (d > 0 && s[d - 1] >= '0' && s[d - 1] <= '9')
        d--;
    /* "vnic10" is prefix "vnic", never "vnic1" + "0": the number has no leading zero. */
    while (d < len - 1 && s[d] == '0')
        d++;
    if (d == 0 || d == len || d >= prefix_cap)
        return false;
    memcpy(prefix, s, d);
    prefix[d] = '\0';
    return parse_number(s + d, len - d, NUMBER_DIGITS_MAX, number);
}

int vnic_selector_parse(const char *s, struct vnic_selector *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const char *dots = strstr(s, "..");
    if (!dots) {
        size_t len = strlen(s);
        bool ok = len > 0 && len <= VNIC_IFNAME_MAX && is_alpha(s[0]);
        for (size_t i = 0; ok && i < len; i++)
            ok = is_name_char(s[i], false);
        if (!ok) {
            snprintf(err, errlen, "'%s' is not a virtual NIC name", s);
            return -1;
        }
        memcpy(out->prefix, s, len + 1);
        return 0;
    }
    char p2[VNIC_IFNAME_MAX + 1];
    if (!split_name(s, (size_t)(dots - s), out->prefix, sizeof out->prefix, &out->lo) ||
        !split_name(dots + 2, strlen(dots + 2), p2, sizeof p2, &out->hi) ||
        strcmp(out->prefix, p2) != 0 || !vnic_name_prefix_valid(out->prefix)) {
        snprintf(err, errlen, "range '%s' must look like vnic3..vnic9 (one prefix, two numbers)",
                 s);
        return -1;
    }
    if (out->lo > out->hi) {
        snprintf(err, errlen, "range '%s' runs backwards", s);
        return -1;
    }
    out->range = true;
    return 0;
}

bool vnic_selector_match(const struct vnic_selector *sel, const char *name)
{
    if (!sel->range)
        return strcmp(sel->prefix, name) == 0;
    unsigned n;
    return vnic_name_number(name, sel->prefix, &n) && n >= sel->lo && n <= sel->hi;
}

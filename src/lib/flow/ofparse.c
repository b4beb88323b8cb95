/* ofparse.c - ovs-ofctl flow syntax: a tokenizer for key=value lists, the match fields with
 * their prerequisites, the action list, and the dump-flows formatting. */
#include "ofparse.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eth.h"

/* ---- errors ---- */

struct perr {
    char *buf;
    size_t len;
};

static int fail(struct perr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct perr *e, const char *fmt, ...)
{
    if (e->buf && e->len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->buf, e->len, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* ---- numbers and addresses ---- */

/* Decimal or 0x-prefixed hexadecimal, the whole string, at most max. */
static bool parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    int base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!*s)
        return false;
    for (; *s; s++) {
        int d;
        if (*s >= '0' && *s <= '9')
            d = *s - '0';
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = *s - 'a' + 10;
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = *s - 'A' + 10;
        else
            return false;
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
            return false;
        v = v * (uint64_t)base + (uint64_t)d;
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

static bool parse_mac(const char *s, uint8_t mac[6])
{
    for (int i = 0; i < 6; i++) {
        unsigned v = 0, digits = 0;
        while (isxdigit((unsigned char)*s) && digits < 2) {
            v = v * 16 + (unsigned)(isdigit((unsigned char)*s)
                                        ? *s - '0'
                                        : tolower((unsigned char)*s) - 'a' + 10);
            s++;
            digits++;
        }
        if (!digits)
            return false;
        mac[i] = (uint8_t)v;
        if (i < 5 && *s++ != ':')
            return false;
    }
    return *s == '\0';
}

static bool parse_ipv4(const char *s, uint32_t *out)
{
    struct in_addr a;
    if (inet_pton(AF_INET, s, &a) != 1)
        return false;
    *out = ntohl(a.s_addr);
    return true;
}

static uint32_t prefix_mask32(unsigned bits)
{
    return bits ? ~0u << (32 - bits) : 0;
}

static int prefix_len32(uint32_t mask)
{
    uint32_t inv = ~mask;
    if (inv & (inv + 1))
        return -1; /* not contiguous */
    int n = 0;
    while (n < 32 && (mask & (1u << (31 - n))))
        n++;
    return n;
}

static int prefix_len128(const uint8_t m[16])
{
    int n = 0;
    int i = 0;
    for (; i < 16 && m[i] == 0xff; i++)
        n += 8;
    if (i < 16) {
        uint8_t b = m[i];
        uint8_t inv = (uint8_t)~b;
        if (inv & (uint8_t)(inv + 1))
            return -1;
        while (b & 0x80) {
            n++;
            b = (uint8_t)(b << 1);
        }
        for (i++; i < 16; i++)
            if (m[i])
                return -1;
    }
    return n;
}

/* ---- tokenizer ---- */

#define DELIMS ", \t\r\n"

/* Splits the next "key", "key=value", "key:value" or "key(value)" off *sp (in place). */
static bool next_token(char **sp, char **key, char **val, struct perr *e, int *err)
{
    char *s = *sp + strspn(*sp, DELIMS);
    *err = 0;
    if (!*s)
        return false;
    *key = s;
    size_t n = strcspn(s, ":=(" DELIMS);
    char c = s[n];
    if (c == ':' || c == '=') {
        s[n] = '\0';
        char *v = s + n + 1;
        size_t m = strcspn(v, DELIMS);
        *val = v;
        *sp = v[m] ? v + m + 1 : v + m;
        v[m] = '\0';
    } else if (c == '(') {
        s[n] = '\0';
        char *v = s + n + 1;
        int depth = 1;
        char *q = v;
        for (; *q && depth; q++)
            depth += *q == '(' ? 1 : *q == ')' ? -1 : 0;
        if (depth) {
            *err = fail(e, "%s(: missing closing parenthesis", *key);
            return false;
        }
        q[-1] = '\0';
        *val = v;
        *sp = q;
    } else {
        *val = NULL;
        *sp = c ? s + n + 1 : s + n;
        s[n] = '\0';
    }
    return true;
}

/* ---- match fields ---- */

enum fkind {
    K_PORT,
    K_MAC,
    K_TYPE,
    K_U8,
    K_U16M,
    K_ICMP,
    K_LABEL,
    K_IPV4,
    K_IPV6,
    K_TOS,
    K_DSCP,
    K_ECN,
    K_VID,
    K_PCP,
    K_TCI,
    K_FRAG,
    K_TCP_FLAGS,
};

enum prereq {
    P_NONE,
    P_IPV4,
    P_IPV6,
    P_ARP,
    P_IPV4_OR_ARP,
    P_IP_ANY,
    P_IP_ANY_OR_ARP,
    P_TCP,
    P_UDP,
    P_SCTP,
    P_L4,
    P_ICMP_ANY,
    P_ICMPV4,
    P_ICMPV6,
};

static const char *const prereq_text[] = {
    [P_IPV4] = "ip",
    [P_IPV6] = "ipv6",
    [P_ARP] = "arp",
    [P_IPV4_OR_ARP] = "ip or arp",
    [P_IP_ANY] = "ip or ipv6",
    [P_IP_ANY_OR_ARP] = "ip, ipv6 or arp",
    [P_TCP] = "tcp or tcp6",
    [P_UDP] = "udp or udp6",
    [P_SCTP] = "sctp or sctp6",
    [P_L4] = "tcp, udp or sctp (or their IPv6 forms)",
    [P_ICMP_ANY] = "icmp or icmp6",
    [P_ICMPV4] = "icmp",
    [P_ICMPV6] = "icmp6",
};

struct field {
    const char *name;
    uint8_t kind;
    uint8_t prereq;
    uint16_t offset;
};

#define F(name, kind, pre, member)                                                                 \
    {                                                                                              \
        name, kind, pre, offsetof(struct flow_key, member)                                         \
    }
static const struct field fields[] = {
    F("in_port", K_PORT, P_NONE, in_port),
    F("dl_src", K_MAC, P_NONE, dl_src),
    F("eth_src", K_MAC, P_NONE, dl_src),
    F("dl_dst", K_MAC, P_NONE, dl_dst),
    F("eth_dst", K_MAC, P_NONE, dl_dst),
    F("dl_type", K_TYPE, P_NONE, dl_type),
    F("eth_type", K_TYPE, P_NONE, dl_type),
    F("dl_vlan", K_VID, P_NONE, vlan_tci),
    F("dl_vlan_pcp", K_PCP, P_NONE, vlan_tci),
    F("vlan_tci", K_TCI, P_NONE, vlan_tci),
    F("nw_src", K_IPV4, P_IPV4_OR_ARP, nw_src),
    F("ip_src", K_IPV4, P_IPV4, nw_src),
    F("nw_dst", K_IPV4, P_IPV4_OR_ARP, nw_dst),
    F("ip_dst", K_IPV4, P_IPV4, nw_dst),
    F("arp_spa", K_IPV4, P_ARP, nw_src),
    F("arp_tpa", K_IPV4, P_ARP, nw_dst),
    F("nw_proto", K_U8, P_IP_ANY_OR_ARP, nw_proto),
    F("ip_proto", K_U8, P_IP_ANY, nw_proto),
    F("arp_op", K_U8, P_ARP, nw_proto),
    F("nw_tos", K_TOS, P_IP_ANY, nw_tos),
    F("ip_dscp", K_DSCP, P_IP_ANY, nw_tos),
    F("nw_ecn", K_ECN, P_IP_ANY, nw_tos),
    F("ip_ecn", K_ECN, P_IP_ANY, nw_tos),
    F("nw_ttl", K_U8, P_IP_ANY, nw_ttl),
    F("nw_frag", K_FRAG, P_IP_ANY, nw_frag),
    F("ip_frag", K_FRAG, P_IP_ANY, nw_frag),
    F("tp_src", K_U16M, P_L4, tp_src),
    F("tp_dst", K_U16M, P_L4, tp_dst),
    F("tcp_src", K_U16M, P_TCP, tp_src),
    F("tcp_dst", K_U16M, P_TCP, tp_dst),
    F("udp_src", K_U16M, P_UDP, tp_src),
    F("udp_dst", K_U16M, P_UDP, tp_dst),
    F("sctp_src", K_U16M, P_SCTP, tp_src),
    F("sctp_dst", K_U16M, P_SCTP, tp_dst),
    F("tcp_flags", K_TCP_FLAGS, P_TCP, tcp_flags),
    F("icmp_type", K_ICMP, P_ICMP_ANY, tp_src),
    F("icmp_code", K_ICMP, P_ICMP_ANY, tp_dst),
    F("icmpv4_type", K_ICMP, P_ICMPV4, tp_src),
    F("icmpv4_code", K_ICMP, P_ICMPV4, tp_dst),
    F("icmpv6_type", K_ICMP, P_ICMPV6, tp_src),
    F("icmpv6_code", K_ICMP, P_ICMPV6, tp_dst),
    F("ipv6_src", K_IPV6, P_IPV6, ipv6_src),
    F("ipv6_dst", K_IPV6, P_IPV6, ipv6_dst),
    F("ipv6_label", K_LABEL, P_IPV6, ipv6_label),
};
#undef F

struct shorthand {
    const char *name;
    uint16_t dl_type;
    int nw_proto; /* -1: none */
};

static const struct shorthand shorthands[] = {
    {"ip", ETHTYPE_IPV4, -1},
    {"ipv4", ETHTYPE_IPV4, -1},
    {"ipv6", ETHTYPE_IPV6, -1},
    {"arp", ETHTYPE_ARP, -1},
    {"icmp", ETHTYPE_IPV4, IPPROTO_NUM_ICMP},
    {"tcp", ETHTYPE_IPV4, IPPROTO_NUM_TCP},
    {"udp", ETHTYPE_IPV4, IPPROTO_NUM_UDP},
    {"sctp", ETHTYPE_IPV4, IPPROTO_NUM_SCTP},
    {"icmp6", ETHTYPE_IPV6, IPPROTO_NUM_ICMPV6},
    {"tcp6", ETHTYPE_IPV6, IPPROTO_NUM_TCP},
    {"udp6", ETHTYPE_IPV6, IPPROTO_NUM_UDP},
    {"sctp6", ETHTYPE_IPV6, IPPROTO_NUM_SCTP},
};

static const char *const tcp_flag_names[] = {"fin", "syn", "rst", "psh", "ack",
                                             "urg", "ece", "cwr", "ns"};
#define TCP_FLAGS_KNOWN 0x01ffu

#define MAX_USED 64

struct parse {
    struct flow_mod *fm;
    enum flow_cmd cmd;
    const struct ofp_ports *ports;
    struct perr *e;
    const char *tok; /* "key=value" of the token being parsed, for messages */
    struct {
        const struct field *f;
        char tok[96];
    } used[MAX_USED];
    unsigned nused;
};

/* Merges value/mask bytes into the match; false if they contradict what is there. */
static bool set_bits(struct flow_mod *fm, size_t off, const void *val, const void *mask, size_t n)
{
    uint8_t *vb = (uint8_t *)&fm->value + off, *mb = (uint8_t *)&fm->mask + off;
    const uint8_t *nv = val, *nm = mask;
    for (size_t i = 0; i < n; i++)
        if ((vb[i] ^ nv[i]) & mb[i] & nm[i])
            return false;
    for (size_t i = 0; i < n; i++) {
        vb[i] = (uint8_t)((vb[i] & ~nm[i]) | (nv[i] & nm[i]));
        mb[i] |= nm[i];
    }
    return true;
}

static int set_field(struct parse *p, const struct field *f, const void *val, const void *mask,
                     size_t n)
{
    if (!set_bits(p->fm, f->offset, val, mask, n))
        return fail(p->e, "%s: conflicts with an earlier value for the same field", p->tok);
    bool any = false;
    for (size_t i = 0; i < n; i++)
        any |= ((const uint8_t *)mask)[i] != 0;
    if (any && f->prereq != P_NONE) {
        if (p->nused == MAX_USED)
            return fail(p->e, "%s: too many fields", p->tok);
        p->used[p->nused].f = f;
        snprintf(p->used[p->nused].tok, sizeof(p->used[0].tok), "%s", p->tok);
        p->nused++;
    }
    return 0;
}

static int set_u8(struct parse *p, const struct field *f, uint8_t v, uint8_t m)
{
    v &= m;
    return set_field(p, f, &v, &m, 1);
}

static int set_u16(struct parse *p, const struct field *f, uint16_t v, uint16_t m)
{
    v &= m;
    return set_field(p, f, &v, &m, 2);
}

static int set_u32(struct parse *p, const struct field *f, uint32_t v, uint32_t m)
{
    v &= m;
    return set_field(p, f, &v, &m, 4);
}

/* "value" or "value/mask" for an integer field of at most max. */
static int parse_int_masked(struct parse *p, const char *val, uint64_t max, bool maskable,
                            uint64_t *v, uint64_t *m)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%s", val);
    char *slash = strchr(buf, '/');
    if (slash) {
        if (!maskable)
            return fail(p->e, "%s: this field cannot be masked", p->tok);
        *slash = '\0';
        if (!parse_uint(slash + 1, max, m))
            return fail(p->e, "%s: invalid mask \"%s\" (0 to %llu)", p->tok, slash + 1,
                        (unsigned long long)max);
    } else {
        *m = max;
    }
    if (!parse_uint(buf, UINT64_MAX, v))
        return fail(p->e, "%s: \"%s\" is not a number", p->tok, buf);
    if (*v > max)
        return fail(p->e, "%s: value out of range (0 to %llu)", p->tok, (unsigned long long)max);
    return 0;
}

static int parse_tcp_flags(struct parse *p, const struct field *f, const char *val)
{
    uint64_t v, m;
    if (isdigit((unsigned char)val[0])) {
        if (parse_int_masked(p, val, FLOW_TCP_FLAGS_MASK, true, &v, &m))
            return -1;
        if (m != FLOW_TCP_FLAGS_MASK && (m & ~TCP_FLAGS_KNOWN))
            return fail(p->e, "%s: mask must be 0xfff or within 0x1ff (the named flags)", p->tok);
        if (v & ~TCP_FLAGS_KNOWN)
            return fail(p->e, "%s: only the flags 0x1ff (fin to ns) can be matched", p->tok);
        return set_u16(p, f, (uint16_t)v, (uint16_t)m);
    }
    v = 0;
    m = 0;
    bool masked = val[0] == '+' || val[0] == '-';
    const char *s = val;
    while (*s) {
        char sign = 0;
        if (masked) {
            if (*s != '+' && *s != '-')
                return fail(p->e, "%s: expected +flag or -flag at \"%s\"", p->tok, s);
            sign = *s++;
        } else if (*s == '|' && s != val) {
            s++;
        }
        size_t n = strcspn(s, masked ? "+-" : "|");
        unsigned bit = 0;
        for (unsigned i = 0; i < sizeof(tcp_flag_names) / sizeof(tcp_flag_names[0]); i++)
            if (strlen(tcp_flag_names[i]) == n && strncmp(s, tcp_flag_names[i], n) == 0)
                bit = 1u << i;
        if (!bit)
            return fail(p->e, "%s: unknown TCP flag \"%.*s\" (fin syn rst psh ack urg ece cwr ns)",
                        p->tok, (int)n, s);
        if (masked) {
            m |= bit;
            if (sign == '+')
                v |= bit;
        } else {
            v |= bit;
        }
        s += n;
    }
    if (!masked)
        m = FLOW_TCP_FLAGS_MASK;
    return set_u16(p, f, (uint16_t)v, (uint16_t)m);
}

static int parse_ipv4_field(struct parse *p, const struct field *f, const char *val)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%s", val);
    char *slash = strchr(buf, '/');
    uint32_t mask = ~0u, addr;
    if (slash) {
        *slash = '\0';
        uint64_t bits;
        if (strchr(slash + 1, '.')) {
            if (!parse_ipv4(slash + 1, &mask))
                return fail(p->e, "%s: invalid netmask \"%s\"", p->tok, slash + 1);
        } else if (parse_uint(slash + 1, 32, &bits)) {
            mask = prefix_mask32((unsigned)bits);
        } else {
            return fail(p->e, "%s: prefix length must be 0 to 32", p->tok);
        }
    }
    if (!parse_ipv4(buf, &addr))
        return fail(p->e, "%s: \"%s\" is not an IPv4 address", p->tok, buf);
    return set_u32(p, f, addr, mask);
}

static int parse_ipv6_field(struct parse *p, const struct field *f, const char *val)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", val);
    char *slash = strchr(buf, '/');
    uint8_t addr[16], mask[16];
    memset(mask, 0xff, 16);
    if (slash) {
        *slash = '\0';
        uint64_t bits;
        if (strchr(slash + 1, ':')) {
            if (inet_pton(AF_INET6, slash + 1, mask) != 1)
                return fail(p->e, "%s: invalid netmask \"%s\"", p->tok, slash + 1);
        } else if (parse_uint(slash + 1, 128, &bits)) {
            memset(mask, 0, 16);
            for (unsigned i = 0; i < bits; i++)
                mask[i / 8] |= (uint8_t)(0x80 >> (i % 8));
        } else {
            return fail(p->e, "%s: prefix length must be 0 to 128", p->tok);
        }
    }
    if (inet_pton(AF_INET6, buf, addr) != 1)
        return fail(p->e, "%s: \"%s\" is not an IPv6 address", p->tok, buf);
    for (int i = 0; i < 16; i++)
        addr[i] &= mask[i];
    return set_field(p, f, addr, mask, 16);
}

static int parse_mac_field(struct parse *p, const struct field *f, const char *val)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%s", val);
    char *slash = strchr(buf, '/');
    uint8_t mac[6], mask[6];
    memset(mask, 0xff, 6);
    if (slash) {
        *slash = '\0';
        if (!parse_mac(slash + 1, mask))
            return fail(p->e, "%s: invalid Ethernet mask \"%s\"", p->tok, slash + 1);
    }
    if (!parse_mac(buf, mac))
        return fail(p->e, "%s: \"%s\" is not an Ethernet address", p->tok, buf);
    for (int i = 0; i < 6; i++)
        mac[i] &= mask[i];
    return set_field(p, f, mac, mask, 6);
}

static int parse_port(struct parse *p, const char *val, uint32_t *port)
{
    uint64_t v;
    if (parse_uint(val, UINT32_MAX, &v)) {
        if (v >= 0xff00)
            return fail(p->e, "%s: port number out of range (0 to 65279)", p->tok);
        *port = (uint32_t)v;
        return 0;
    }
    if (p->ports && p->ports->resolve && p->ports->resolve(p->ports->arg, val, port))
        return 0;
    return fail(p->e, "%s: unknown port \"%s\"", p->tok, val);
}

static int parse_field(struct parse *p, const struct field *f, const char *val)
{
    uint64_t v, m;
    switch (f->kind) {
    case K_PORT: {
        uint32_t port;
        if (strchr(val, '/'))
            return fail(p->e, "%s: in_port cannot be masked", p->tok);
        if (parse_port(p, val, &port))
            return -1;
        return set_u32(p, f, port, ~0u);
    }
    case K_MAC:
        return parse_mac_field(p, f, val);
    case K_TYPE:
        if (parse_int_masked(p, val, 0xffff, false, &v, &m))
            return -1;
        return set_u16(p, f, (uint16_t)v, 0xffff);
    case K_U8:
        if (parse_int_masked(p, val, 0xff, false, &v, &m))
            return -1;
        return set_u8(p, f, (uint8_t)v, 0xff);
    case K_U16M:
        if (parse_int_masked(p, val, 0xffff, true, &v, &m))
            return -1;
        return set_u16(p, f, (uint16_t)v, (uint16_t)m);
    case K_ICMP:
        if (parse_int_masked(p, val, 0xff, false, &v, &m))
            return -1;
        return set_u16(p, f, (uint16_t)v, 0xffff);
    case K_LABEL:
        if (parse_int_masked(p, val, 0xfffff, true, &v, &m))
            return -1;
        return set_u32(p, f, (uint32_t)v, (uint32_t)m);
    case K_IPV4:
        return parse_ipv4_field(p, f, val);
    case K_IPV6:
        return parse_ipv6_field(p, f, val);
    case K_TOS:
        if (parse_int_masked(p, val, 0xff, false, &v, &m))
            return -1;
        if (v & 3)
            return fail(p->e,
                        "%s: nw_tos must be a multiple of 4 (the DSCP bits; use nw_ecn "
                        "for the others)",
                        p->tok);
        return set_u8(p, f, (uint8_t)v, 0xfc);
    case K_DSCP:
        if (parse_int_masked(p, val, 63, false, &v, &m))
            return -1;
        return set_u8(p, f, (uint8_t)(v << 2), 0xfc);
    case K_ECN:
        if (parse_int_masked(p, val, 3, false, &v, &m))
            return -1;
        return set_u8(p, f, (uint8_t)v, 0x03);
    case K_VID:
        if (parse_int_masked(p, val, 0xffff, false, &v, &m))
            return -1;
        if (v == 0xffff) /* no tag at all */
            return set_u16(p, f, 0, 0xffff);
        if (v > 0xfff)
            return fail(p->e, "%s: VLAN ID must be 0 to 4095 (or 0xffff for untagged)", p->tok);
        return set_u16(p, f, (uint16_t)(FLOW_VLAN_PRESENT | v),
                       FLOW_VLAN_PRESENT | FLOW_VLAN_VID_MASK);
    case K_PCP:
        if (parse_int_masked(p, val, 7, false, &v, &m))
            return -1;
        return set_u16(p, f, (uint16_t)(FLOW_VLAN_PRESENT | v << 13),
                       FLOW_VLAN_PRESENT | FLOW_VLAN_PCP_MASK);
    case K_TCI:
        if (parse_int_masked(p, val, 0xffff, true, &v, &m))
            return -1;
        return set_u16(p, f, (uint16_t)v, (uint16_t)m);
    case K_FRAG: {
        static const struct {
            const char *name;
            uint8_t value, mask;
        } frags[] = {
            {"no", 0, FLOW_FRAG_ANY | FLOW_FRAG_LATER},
            {"first", FLOW_FRAG_ANY, FLOW_FRAG_ANY | FLOW_FRAG_LATER},
            {"later", FLOW_FRAG_ANY | FLOW_FRAG_LATER, FLOW_FRAG_ANY | FLOW_FRAG_LATER},
            {"yes", FLOW_FRAG_ANY, FLOW_FRAG_ANY},
            {"not_later", 0, FLOW_FRAG_LATER},
        };
        for (size_t i = 0; i < sizeof(frags) / sizeof(frags[0]); i++)
            if (strcmp(val, frags[i].name) == 0)
                return set_u8(p, f, frags[i].value, frags[i].mask);
        return fail(p->e, "%s: expected no, yes, first, later or not_later", p->tok);
    }
    case K_TCP_FLAGS:
        return parse_tcp_flags(p, f, val);
    }
    return fail(p->e, "%s: unsupported field", p->tok);
}

static bool prereq_ok(const struct flow_mod *fm, enum prereq pre)
{
    bool type_known = fm->mask.dl_type == 0xffff;
    bool proto_known = fm->mask.nw_proto == 0xff;
    uint16_t t = type_known ? fm->value.dl_type : 0;
    uint8_t proto = fm->value.nw_proto;
    bool v4 = t == ETHTYPE_IPV4, v6 = t == ETHTYPE_IPV6, arp = t == ETHTYPE_ARP;
    switch (pre) {
    case P_NONE:
        return true;
    case P_IPV4:
        return v4;
    case P_IPV6:
        return v6;
    case P_ARP:
        return arp;
    case P_IPV4_OR_ARP:
        return v4 || arp;
    case P_IP_ANY:
        return v4 || v6;
    case P_IP_ANY_OR_ARP:
        return v4 || v6 || arp;
    case P_TCP:
        return (v4 || v6) && proto_known && proto == IPPROTO_NUM_TCP;
    case P_UDP:
        return (v4 || v6) && proto_known && proto == IPPROTO_NUM_UDP;
    case P_SCTP:
        return (v4 || v6) && proto_known && proto == IPPROTO_NUM_SCTP;
    case P_L4:
        return (v4 || v6) && proto_known &&
               (proto == IPPROTO_NUM_TCP || proto == IPPROTO_NUM_UDP || proto == IPPROTO_NUM_SCTP);
    case P_ICMP_ANY:
        return proto_known &&
               ((v4 && proto == IPPROTO_NUM_ICMP) || (v6 && proto == IPPROTO_NUM_ICMPV6));
    case P_ICMPV4:
        return v4 && proto_known && proto == IPPROTO_NUM_ICMP;
    case P_ICMPV6:
        return v6 && proto_known && proto == IPPROTO_NUM_ICMPV6;
    }
    return false;
}

/* ---- actions ---- */

static bool is_word(const char *s, const char *w)
{
    return strcasecmp(s, w) == 0;
}

/* Output port words shared by `output:` and bare actions; 1 if s is one of them. */
static int reserved_port(const char *s, struct flow_action *a)
{
    if (is_word(s, "in_port"))
        a->type = FA_IN_PORT;
    else if (is_word(s, "normal"))
        a->type = FA_NORMAL;
    else if (is_word(s, "flood"))
        a->type = FA_FLOOD;
    else if (is_word(s, "all"))
        a->type = FA_ALL;
    else
        return 0;
    return 1;
}

static int parse_action(struct parse *p, char *name, char *arg, struct flow_action *a)
{
    uint64_t v;
    memset(a, 0, sizeof(*a));
    bool takes_arg = true;
    if (strcmp(name, "output") == 0) {
        if (!arg || !*arg)
            return fail(p->e, "%s: output needs a port", p->tok);
        if (reserved_port(arg, a))
            return 0;
        if (is_word(arg, "local") || is_word(arg, "controller") || is_word(arg, "table"))
            return fail(p->e, "%s: port %s is not supported", p->tok, arg);
        a->type = FA_OUTPUT;
        return parse_port(p, arg, &a->arg.port);
    }
    if (reserved_port(name, a)) {
        takes_arg = false;
    } else if (strcmp(name, "strip_vlan") == 0 || strcmp(name, "pop_vlan") == 0) {
        a->type = FA_STRIP_VLAN;
        takes_arg = false;
    } else if (strcmp(name, "dec_ttl") == 0) {
        a->type = FA_DEC_TTL;
        takes_arg = false;
    } else if (strcmp(name, "mod_vlan_vid") == 0) {
        a->type = FA_MOD_VLAN_VID;
        if (!arg || !parse_uint(arg, 0xfff, &v))
            return fail(p->e, "%s: not a valid VLAN ID (0 to 4095)", p->tok);
        a->arg.vid = (uint16_t)v;
    } else if (strcmp(name, "mod_vlan_pcp") == 0) {
        a->type = FA_MOD_VLAN_PCP;
        if (!arg || !parse_uint(arg, 7, &v))
            return fail(p->e, "%s: not a valid VLAN PCP (0 to 7)", p->tok);
        a->arg.pcp = (uint8_t)v;
    } else if (strcmp(name, "push_vlan") == 0) {
        a->type = FA_PUSH_VLAN;
        if (!arg || !parse_uint(arg, 0xffff, &v) || (v != ETHTYPE_VLAN && v != ETHTYPE_QINQ))
            return fail(p->e, "%s: not a valid VLAN ethertype (0x8100 or 0x88a8)", p->tok);
        a->arg.tpid = (uint16_t)v;
    } else if (strcmp(name, "mod_dl_src") == 0 || strcmp(name, "mod_dl_dst") == 0) {
        a->type = name[7] == 's' ? FA_MOD_DL_SRC : FA_MOD_DL_DST;
        if (!arg || !parse_mac(arg, a->arg.mac))
            return fail(p->e, "%s: not a valid Ethernet address", p->tok);
    } else if (strcmp(name, "mod_nw_src") == 0 || strcmp(name, "mod_nw_dst") == 0) {
        a->type = name[7] == 's' ? FA_MOD_NW_SRC : FA_MOD_NW_DST;
        if (!arg || !parse_ipv4(arg, &a->arg.ipv4))
            return fail(p->e, "%s: not a valid IPv4 address", p->tok);
    } else if (strcmp(name, "mod_nw_tos") == 0) {
        a->type = FA_MOD_NW_TOS;
        if (!arg || !parse_uint(arg, 0xff, &v) || (v & 3))
            return fail(p->e, "%s: not a valid TOS (a multiple of 4, 0 to 252)", p->tok);
        a->arg.tos = (uint8_t)v;
    } else if (strcmp(name, "mod_tp_src") == 0 || strcmp(name, "mod_tp_dst") == 0) {
        a->type = name[7] == 's' ? FA_MOD_TP_SRC : FA_MOD_TP_DST;
        if (!arg || !parse_uint(arg, 0xffff, &v))
            return fail(p->e, "%s: not a valid port (0 to 65535)", p->tok);
        a->arg.tp_port = (uint16_t)v;
    } else if (!arg && parse_uint(name, UINT32_MAX, &v)) {
        a->type = FA_OUTPUT; /* a bare port number */
        return parse_port(p, name, &a->arg.port);
    } else if (!arg && p->ports && p->ports->resolve &&
               p->ports->resolve(p->ports->arg, name, &a->arg.port)) {
        a->type = FA_OUTPUT; /* a bare port name */
        return 0;
    } else {
        return fail(p->e, "%s: unknown action", p->tok);
    }
    if (!takes_arg && arg)
        return fail(p->e, "%s: %s takes no argument", p->tok, name);
    return 0;
}

static int parse_actions(struct parse *p, char *text)
{
    struct flow_action list[FLOW_MAX_ACTIONS];
    unsigned n = 0;
    bool drop = false;
    char *s = text;
    while (*s) {
        /* The next action ends at a comma outside parentheses. */
        char *start = s;
        int depth = 0;
        for (; *s && (depth || *s != ','); s++)
            depth += *s == '(' ? 1 : *s == ')' ? -1 : 0;
        if (*s)
            *s++ = '\0';
        while (isspace((unsigned char)*start))
            start++;
        char *end = start + strlen(start);
        while (end > start && isspace((unsigned char)end[-1]))
            *--end = '\0';
        if (!*start)
            continue;
        char tok[128];
        snprintf(tok, sizeof(tok), "%s", start);
        p->tok = tok;
        char *name = start, *arg = NULL;
        size_t k = strcspn(start, ":=(");
        if (start[k] == '(') {
            char *close = strrchr(start, ')');
            if (!close || close[1])
                return fail(p->e, "%s: missing closing parenthesis", tok);
            *close = '\0';
            start[k] = '\0';
            arg = start + k + 1;
        } else if (start[k]) {
            start[k] = '\0';
            arg = start + k + 1;
        }
        if (strcmp(name, "drop") == 0) {
            if (arg)
                return fail(p->e, "%s: drop takes no argument", tok);
            drop = true;
            continue;
        }
        if (n == FLOW_MAX_ACTIONS)
            return fail(p->e, "%s: too many actions (at most %d)", tok, FLOW_MAX_ACTIONS);
        if (parse_action(p, name, arg, &list[n]))
            return -1;
        n++;
    }
    if (drop && n)
        return fail(p->e, "drop: must not be accompanied by any other action");
    p->fm->actions = flow_actions_new(list, n);
    if (!p->fm->actions)
        return fail(p->e, "out of memory");
    return 0;
}

/* ---- the flow ---- */

/* Finds "actions=" (or "action=") at a token start; cuts the text there. */
static char *split_actions(char *s)
{
    for (char *q = s; *q; q++) {
        if (q != s && !strchr(DELIMS, q[-1]))
            continue;
        size_t n = strncmp(q, "actions", 7) == 0 ? 7 : strncmp(q, "action", 6) == 0 ? 6 : 0;
        if (n && (q[n] == '=' || q[n] == ':')) {
            *q = '\0';
            return q + n + 1;
        }
    }
    return NULL;
}

static bool is_delete(enum flow_cmd c)
{
    return c == FLOW_CMD_DELETE || c == FLOW_CMD_DELETE_STRICT;
}

static int parse_cookie(struct parse *p, const char *val)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%s", val);
    char *slash = strchr(buf, '/');
    uint64_t v, m = 0;
    if (slash) {
        *slash = '\0';
        if (strcmp(slash + 1, "-1") == 0)
            m = UINT64_MAX;
        else if (!parse_uint(slash + 1, UINT64_MAX, &m))
            return fail(p->e, "%s: invalid cookie mask", p->tok);
    }
    if (!parse_uint(buf, UINT64_MAX, &v))
        return fail(p->e, "%s: invalid cookie", p->tok);
    if (slash) {
        if (p->cmd == FLOW_CMD_ADD)
            return fail(p->e, "%s: flow additions cannot use a cookie mask", p->tok);
        p->fm->cookie_match = v & m;
        p->fm->cookie_mask = m;
    } else {
        if (is_delete(p->cmd))
            return fail(p->e,
                        "%s: cannot set a cookie here (to match a cookie, give a mask, e.g. "
                        "cookie=%s/-1)",
                        p->tok, buf);
        p->fm->set_cookie = true;
        p->fm->new_cookie = v;
    }
    return 0;
}

static int parse_keyword(struct parse *p, const char *key, const char *val)
{
    uint64_t v;
    if (strcmp(key, "priority") == 0) {
        if (p->cmd == FLOW_CMD_DELETE)
            return fail(p->e, "%s: priority is only allowed with --strict here", p->tok);
        if (!val || !parse_uint(val, 0xffff, &v))
            return fail(p->e, "%s: invalid priority (0 to 65535)", p->tok);
        p->fm->priority = (uint16_t)v;
        return 0;
    }
    if (strcmp(key, "cookie") == 0) {
        if (!val)
            return fail(p->e, "%s: missing value", p->tok);
        return parse_cookie(p, val);
    }
    if (strcmp(key, "idle_timeout") == 0 || strcmp(key, "hard_timeout") == 0) {
        if (is_delete(p->cmd))
            return fail(p->e, "%s: timeouts are only for adding or modifying flows", p->tok);
        if (!val || !parse_uint(val, 0xffff, &v))
            return fail(p->e, "%s: invalid %s (0 to 65535 seconds)", p->tok, key);
        if (key[0] == 'i')
            p->fm->idle_timeout = (uint16_t)v;
        else
            p->fm->hard_timeout = (uint16_t)v;
        return 0;
    }
    if (strcmp(key, "out_port") == 0) {
        if (!is_delete(p->cmd))
            return fail(p->e, "%s: out_port is only for del-flows and dump-flows", p->tok);
        if (!val)
            return fail(p->e, "%s: missing value", p->tok);
        return parse_port(p, val, &p->fm->out_port);
    }
    if (strcmp(key, "table") == 0) {
        if (!val || !parse_uint(val, 255, &v) || (v != 0 && !(v == 255 && is_delete(p->cmd))))
            return fail(p->e, "%s: there is one table, table 0", p->tok);
        return 0;
    }
    /* Fields of dump-flows output, accepted so a dump can be pasted back. */
    if (strcmp(key, "duration") == 0 || strcmp(key, "n_packets") == 0 ||
        strcmp(key, "n_bytes") == 0 || strcmp(key, "idle_age") == 0 || strcmp(key, "hard_age") == 0)
        return 0;
    if (strcmp(key, "reset_counts") == 0 && !val)
        return 0; /* counters always restart when a flow is replaced */
    if (strcmp(key, "send_flow_rem") == 0 || strcmp(key, "check_overlap") == 0 ||
        strcmp(key, "no_packet_counts") == 0 || strcmp(key, "no_byte_counts") == 0 ||
        strcmp(key, "importance") == 0)
        return fail(p->e, "%s: not supported", p->tok);
    return 1;
}

static int parse_match_token(struct parse *p, const char *key, const char *val)
{
    for (size_t i = 0; i < sizeof(shorthands) / sizeof(shorthands[0]); i++) {
        if (strcmp(key, shorthands[i].name) != 0)
            continue;
        if (val)
            return fail(p->e, "%s: %s takes no value", p->tok, key);
        static const struct field type_f = {"dl_type", K_TYPE, P_NONE,
                                            offsetof(struct flow_key, dl_type)};
        static const struct field proto_f = {"nw_proto", K_U8, P_NONE,
                                             offsetof(struct flow_key, nw_proto)};
        if (set_u16(p, &type_f, shorthands[i].dl_type, 0xffff))
            return -1;
        if (shorthands[i].nw_proto >= 0 &&
            set_u8(p, &proto_f, (uint8_t)shorthands[i].nw_proto, 0xff))
            return -1;
        return 0;
    }
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (strcmp(key, fields[i].name) != 0)
            continue;
        if (!val || !*val)
            return fail(p->e, "%s: missing value", p->tok);
        return parse_field(p, &fields[i], val);
    }
    return fail(p->e, "%s: unknown field or keyword", p->tok);
}

static int parse_flow(char *text, enum flow_cmd cmd, const struct ofp_ports *ports,
                      struct flow_mod *fm, struct perr *e)
{
    struct parse p = {.fm = fm, .cmd = cmd, .ports = ports, .e = e};
    char *acts = split_actions(text);
    if (acts && is_delete(cmd))
        return fail(e, "actions: not allowed when deleting or dumping flows");
    char *s = text, *key, *val;
    int err;
    char tok[160];
    while (next_token(&s, &key, &val, e, &err)) {
        snprintf(tok, sizeof(tok), val ? "%s=%s" : "%s", key, val);
        p.tok = tok;
        int r = parse_keyword(&p, key, val);
        if (r < 0)
            return -1;
        if (r > 0 && parse_match_token(&p, key, val))
            return -1;
    }
    if (err)
        return -1;
    bool later = fm->mask.nw_frag & fm->value.nw_frag & FLOW_FRAG_LATER;
    for (unsigned i = 0; i < p.nused; i++) {
        enum prereq pre = (enum prereq)p.used[i].f->prereq;
        if (!prereq_ok(fm, pre))
            return fail(e, "%s: %s needs %s in the match", p.used[i].tok, p.used[i].f->name,
                        prereq_text[pre]);
        /* Later fragments carry no transport header (ICMP fields are allowed, as in OVS). */
        if (later && (pre == P_TCP || pre == P_UDP || pre == P_SCTP || pre == P_L4))
            return fail(e, "%s: %s cannot match later fragments (nw_frag=later)", p.used[i].tok,
                        p.used[i].f->name);
    }
    if (!is_delete(cmd)) {
        if (!acts)
            return fail(e, "must specify actions (e.g. actions=drop)");
        return parse_actions(&p, acts);
    }
    return 0;
}

int ofp_parse_flow(const char *text, enum flow_cmd cmd, const struct ofp_ports *ports,
                   struct flow_mod *fm, char *err, size_t errlen)
{
    struct perr e = {err, errlen};
    flow_mod_init(fm, cmd);
    size_t len = strnlen(text, OFP_MAX_INPUT + 1);
    if (len > OFP_MAX_INPUT)
        return fail(&e, "flow text too long (more than %d bytes)", OFP_MAX_INPUT);
    char *copy = strndup(text, len);
    if (!copy)
        return fail(&e, "out of memory");
    int r = parse_flow(copy, cmd, ports, fm, &e);
    free(copy);
    return r;
}

int ofp_parse_flow_line(const char *line, const struct ofp_ports *ports, struct flow_mod *fm,
                        char *err, size_t errlen)
{
    static const struct {
        const char *word;
        enum flow_cmd cmd;
    } words[] = {
        {"add", FLOW_CMD_ADD},
        {"modify", FLOW_CMD_MODIFY},
        {"delete", FLOW_CMD_DELETE},
        {"modify_strict", FLOW_CMD_MODIFY_STRICT},
        {"delete_strict", FLOW_CMD_DELETE_STRICT},
    };
    flow_mod_init(fm, FLOW_CMD_ADD);
    line += strspn(line, DELIMS);
    if (!*line || *line == '#')
        return 1;
    enum flow_cmd cmd = FLOW_CMD_ADD;
    size_t n = strcspn(line, DELIMS);
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strlen(words[i].word) == n && strncmp(line, words[i].word, n) == 0) {
            cmd = words[i].cmd;
            line += n;
            break;
        }
    return ofp_parse_flow(line, cmd, ports, fm, err, errlen) ? -1 : 0;
}

/* ---- formatting ---- */

struct out {
    char *buf;
    size_t size, len;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = o->len < o->size ? o->size - o->len : 0;
    int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

static bool all_ones(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i] != 0xff)
            return false;
    return true;
}

static bool all_zero(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

static void put_mac(struct out *o, const char *name, const uint8_t *v, const uint8_t *m)
{
    if (all_zero(m, 6))
        return;
    char a[18], b[18];
    put(o, "%s=%s", name, eth_addr_format(v, a));
    if (!all_ones(m, 6))
        put(o, "/%s", eth_addr_format(m, b));
    put(o, ",");
}

static void put_ipv4(struct out *o, const char *name, uint32_t v, uint32_t m)
{
    if (!m)
        return;
    put(o, "%s=%u.%u.%u.%u", name, v >> 24, v >> 16 & 0xff, v >> 8 & 0xff, v & 0xff);
    if (m != ~0u) {
        int len = prefix_len32(m);
        if (len >= 0)
            put(o, "/%d", len);
        else
            put(o, "/%u.%u.%u.%u", m >> 24, m >> 16 & 0xff, m >> 8 & 0xff, m & 0xff);
    }
    put(o, ",");
}

static void put_ipv6(struct out *o, const char *name, const uint8_t *v, const uint8_t *m)
{
    if (all_zero(m, 16))
        return;
    char a[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, v, a, sizeof(a));
    put(o, "%s=%s", name, a);
    if (!all_ones(m, 16)) {
        int len = prefix_len128(m);
        if (len >= 0) {
            put(o, "/%d", len);
        } else {
            inet_ntop(AF_INET6, m, a, sizeof(a));
            put(o, "/%s", a);
        }
    }
    put(o, ",");
}

static void put_be16(struct out *o, const char *name, uint16_t v, uint16_t m)
{
    if (!m)
        return;
    if (m == 0xffff)
        put(o, "%s=%u,", name, v);
    else
        put(o, "%s=0x%x/0x%x,", name, v, m);
}

static void put_tcp_flags(struct out *o, uint16_t v, uint16_t m)
{
    put(o, "tcp_flags=");
    if (m == FLOW_TCP_FLAGS_MASK) {
        if (!v)
            put(o, "0");
        bool first = true;
        for (unsigned i = 0; i < 12; i++) {
            if (!(v & (1u << i)))
                continue;
            if (i < 9)
                put(o, "%s%s", first ? "" : "|", tcp_flag_names[i]);
            else
                put(o, "%s[%x]", first ? "" : "|", 1u << i);
            first = false;
        }
    } else {
        for (unsigned i = 0; i < 12; i++)
            if (m & (1u << i))
                put(o, "%c%s", v & (1u << i) ? '+' : '-', i < 9 ? tcp_flag_names[i] : "[Unknown]");
    }
    put(o, ",");
}

size_t ofp_format_match(const struct flow_key *v, const struct flow_key *m, uint32_t priority,
                        char *buf, size_t size)
{
    char tmp[2048] = "";
    struct out o = {tmp, sizeof(tmp), 0};
    bool skip_type = false, skip_proto = false;
    bool type_known = m->dl_type != 0;
    uint16_t t = v->dl_type;

    if (priority != FLOW_DEFAULT_PRIORITY)
        put(&o, "priority=%u,", priority);
    if (type_known) {
        skip_type = true;
        if (t == ETHTYPE_IPV4 || t == ETHTYPE_IPV6) {
            const char *name = t == ETHTYPE_IPV4 ? "ip" : "ipv6";
            if (m->nw_proto) {
                skip_proto = true;
                uint8_t pr = v->nw_proto;
                if (t == ETHTYPE_IPV4 && pr == IPPROTO_NUM_ICMP)
                    name = "icmp";
                else if (pr == IPPROTO_NUM_TCP)
                    name = t == ETHTYPE_IPV4 ? "tcp" : "tcp6";
                else if (pr == IPPROTO_NUM_UDP)
                    name = t == ETHTYPE_IPV4 ? "udp" : "udp6";
                else if (pr == IPPROTO_NUM_SCTP)
                    name = t == ETHTYPE_IPV4 ? "sctp" : "sctp6";
                else if (t == ETHTYPE_IPV6 && pr == IPPROTO_NUM_ICMPV6)
                    name = "icmp6";
                else
                    skip_proto = false;
            }
            put(&o, "%s,", name);
        } else if (t == ETHTYPE_ARP) {
            put(&o, "arp,");
        } else {
            skip_type = false;
        }
    }
    if (m->in_port)
        put(&o, "in_port=%u,", v->in_port);
    if (m->vlan_tci) {
        uint16_t vid_mask = m->vlan_tci & FLOW_VLAN_VID_MASK;
        uint16_t pcp_mask = m->vlan_tci & FLOW_VLAN_PCP_MASK;
        bool cfi = m->vlan_tci & FLOW_VLAN_PRESENT;
        if (cfi && (v->vlan_tci & FLOW_VLAN_PRESENT) &&
            (!vid_mask || vid_mask == FLOW_VLAN_VID_MASK) &&
            (!pcp_mask || pcp_mask == FLOW_VLAN_PCP_MASK) && (vid_mask || pcp_mask)) {
            if (vid_mask)
                put(&o, "dl_vlan=%u,", v->vlan_tci & FLOW_VLAN_VID_MASK);
            if (pcp_mask)
                put(&o, "dl_vlan_pcp=%u,", v->vlan_tci >> 13);
        } else if (m->vlan_tci == 0xffff) {
            put(&o, "vlan_tci=0x%04x,", v->vlan_tci);
        } else {
            put(&o, "vlan_tci=0x%04x/0x%04x,", v->vlan_tci, m->vlan_tci);
        }
    }
    put_mac(&o, "dl_src", v->dl_src, m->dl_src);
    put_mac(&o, "dl_dst", v->dl_dst, m->dl_dst);
    if (!skip_type && m->dl_type)
        put(&o, "dl_type=0x%04x,", t);
    bool arp = t == ETHTYPE_ARP;
    if (t == ETHTYPE_IPV6) {
        put_ipv6(&o, "ipv6_src", v->ipv6_src, m->ipv6_src);
        put_ipv6(&o, "ipv6_dst", v->ipv6_dst, m->ipv6_dst);
        if (m->ipv6_label == 0xfffff)
            put(&o, "ipv6_label=0x%05x,", v->ipv6_label);
        else if (m->ipv6_label)
            put(&o, "ipv6_label=0x%05x/0x%05x,", v->ipv6_label, m->ipv6_label);
    } else {
        put_ipv4(&o, arp ? "arp_spa" : "nw_src", v->nw_src, m->nw_src);
        put_ipv4(&o, arp ? "arp_tpa" : "nw_dst", v->nw_dst, m->nw_dst);
    }
    if (!skip_proto && m->nw_proto)
        put(&o, "%s=%u,", arp ? "arp_op" : "nw_proto", v->nw_proto);
    if (m->nw_tos & 0xfc)
        put(&o, "nw_tos=%u,", v->nw_tos & 0xfc);
    if (m->nw_tos & 0x03)
        put(&o, "nw_ecn=%u,", v->nw_tos & 0x03);
    if (m->nw_ttl)
        put(&o, "nw_ttl=%u,", v->nw_ttl);
    switch (m->nw_frag) {
    case FLOW_FRAG_ANY | FLOW_FRAG_LATER:
        put(&o, "nw_frag=%s,",
            v->nw_frag & FLOW_FRAG_ANY ? (v->nw_frag & FLOW_FRAG_LATER ? "later" : "first")
                                       : (v->nw_frag & FLOW_FRAG_LATER ? "<error>" : "no"));
        break;
    case FLOW_FRAG_ANY:
        put(&o, "nw_frag=%s,", v->nw_frag & FLOW_FRAG_ANY ? "yes" : "no");
        break;
    case FLOW_FRAG_LATER:
        put(&o, "nw_frag=%s,", v->nw_frag & FLOW_FRAG_LATER ? "later" : "not_later");
        break;
    }
    bool ip_any = t == ETHTYPE_IPV4 || t == ETHTYPE_IPV6;
    if ((t == ETHTYPE_IPV4 && v->nw_proto == IPPROTO_NUM_ICMP) ||
        (t == ETHTYPE_IPV6 && v->nw_proto == IPPROTO_NUM_ICMPV6)) {
        put_be16(&o, "icmp_type", v->tp_src, m->tp_src);
        put_be16(&o, "icmp_code", v->tp_dst, m->tp_dst);
    } else {
        put_be16(&o, "tp_src", v->tp_src, m->tp_src);
        put_be16(&o, "tp_dst", v->tp_dst, m->tp_dst);
    }
    if (ip_any && v->nw_proto == IPPROTO_NUM_TCP && m->tcp_flags)
        put_tcp_flags(&o, v->tcp_flags, m->tcp_flags);
    if (o.len && tmp[o.len - 1] == ',')
        tmp[--o.len] = '\0';
    return (size_t)snprintf(buf, size, "%s", tmp);
}

size_t ofp_format_actions(const struct flow_actions *acts, char *buf, size_t size)
{
    struct out o = {buf, size, 0};
    if (size)
        buf[0] = '\0';
    if (acts->n == 0)
        put(&o, "drop");
    for (uint32_t i = 0; i < acts->n; i++) {
        const struct flow_action *a = &acts->a[i];
        char mac[18];
        uint32_t ip = a->arg.ipv4;
        if (i)
            put(&o, ",");
        switch (a->type) {
        case FA_OUTPUT:
            put(&o, "output:%u", a->arg.port);
            break;
        case FA_IN_PORT:
            put(&o, "IN_PORT");
            break;
        case FA_NORMAL:
            put(&o, "NORMAL");
            break;
        case FA_FLOOD:
            put(&o, "FLOOD");
            break;
        case FA_ALL:
            put(&o, "ALL");
            break;
        case FA_MOD_VLAN_VID:
            put(&o, "mod_vlan_vid:%u", a->arg.vid);
            break;
        case FA_MOD_VLAN_PCP:
            put(&o, "mod_vlan_pcp:%u", a->arg.pcp);
            break;
        case FA_STRIP_VLAN:
            put(&o, "strip_vlan");
            break;
        case FA_PUSH_VLAN:
            put(&o, "push_vlan:0x%04x", a->arg.tpid);
            break;
        case FA_MOD_DL_SRC:
        case FA_MOD_DL_DST:
            put(&o, "mod_dl_%s:%s", a->type == FA_MOD_DL_SRC ? "src" : "dst",
                eth_addr_format(a->arg.mac, mac));
            break;
        case FA_MOD_NW_SRC:
        case FA_MOD_NW_DST:
            put(&o, "mod_nw_%s:%u.%u.%u.%u", a->type == FA_MOD_NW_SRC ? "src" : "dst", ip >> 24,
                ip >> 16 & 0xff, ip >> 8 & 0xff, ip & 0xff);
            break;
        case FA_MOD_NW_TOS:
            put(&o, "mod_nw_tos:%u", a->arg.tos);
            break;
        case FA_MOD_TP_SRC:
            put(&o, "mod_tp_src:%u", a->arg.tp_port);
            break;
        case FA_MOD_TP_DST:
            put(&o, "mod_tp_dst:%u", a->arg.tp_port);
            break;
        case FA_DEC_TTL:
            put(&o, "dec_ttl");
            break;
        default:
            put(&o, "<unknown>");
            break;
        }
    }
    return o.len;
}

size_t ofp_format_flow_stats(const struct flow_rule *r, uint64_t now_ns, char *buf, size_t size)
{
    struct out o = {buf, size, 0};
    if (size)
        buf[0] = '\0';
    const struct flow_stats *s = r->stats;
    uint64_t age_ms = now_ns > s->created_ns ? (now_ns - s->created_ns) / 1000000 : 0;
    put(&o, " cookie=0x%llx, duration=%llu", (unsigned long long)r->cookie,
        (unsigned long long)(age_ms / 1000));
    if (age_ms % 1000)
        put(&o, ".%03u", (unsigned)(age_ms % 1000));
    put(&o, "s, table=0, n_packets=%llu, n_bytes=%llu, ", (unsigned long long)flow_rule_packets(r),
        (unsigned long long)flow_rule_bytes(r));
    if (r->idle_timeout)
        put(&o, "idle_timeout=%u, ", r->idle_timeout);
    if (r->hard_timeout)
        put(&o, "hard_timeout=%u, ", r->hard_timeout);
    uint64_t used = flow_rule_used(r);
    if (used < s->created_ns)
        used = s->created_ns;
    put(&o, "idle_age=%llu, ",
        (unsigned long long)(now_ns > used ? (now_ns - used) / 1000000000ull : 0));
    uint64_t hard_age = now_ns > r->modified_ns ? (now_ns - r->modified_ns) / 1000000000ull : 0;
    if (hard_age != age_ms / 1000)
        put(&o, "hard_age=%llu, ", (unsigned long long)hard_age);
    char match[2048];
    ofp_format_match(&r->cr.value, &r->cr.mask, r->cr.priority, match, sizeof(match));
    put(&o, "%s%sactions=", match, match[0] ? " " : "");
    size_t room = o.len < size ? size - o.len : 0;
    o.len += ofp_format_actions(r->actions, room ? buf + o.len : NULL, room);
    return o.len;
}

size_t ofp_format_flow(const struct flow_rule *r, char *buf, size_t size)
{
    struct out o = {buf, size, 0};
    if (size)
        buf[0] = '\0';
    if (r->cookie)
        put(&o, "cookie=0x%llx,", (unsigned long long)r->cookie);
    if (r->idle_timeout)
        put(&o, "idle_timeout=%u,", r->idle_timeout);
    if (r->hard_timeout)
        put(&o, "hard_timeout=%u,", r->hard_timeout);
    char match[2048];
    ofp_format_match(&r->cr.value, &r->cr.mask, r->cr.priority, match, sizeof(match));
    put(&o, "%s%sactions=", match, match[0] ? "," : "");
    size_t room = o.len < size ? size - o.len : 0;
    o.len += ofp_format_actions(r->actions, room ? buf + o.len : NULL, room);
    return o.len;
}

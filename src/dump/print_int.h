/* print_int.h - what the protocol printers share: the per-packet context, bounds-checked
 * reads of captured bytes, address formatting, and each family's entry point. */
#ifndef SLUICE_DUMP_PRINT_INT_H
#define SLUICE_DUMP_PRINT_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "byteorder.h"
#include "checksum.h"
#include "print.h"

/* Captured bytes of one protocol layer: len may be less than the layer claims. */
struct span {
    const uint8_t *p;
    uint32_t len;
};

struct pctx {
    struct printer *pr;
    FILE *out;
    const struct print_opts *o;
    bool stop; /* a printer ran out of captured bytes and said so: print nothing more */
    bool jmp;  /* ...at a point where tcpdump abandons the whole packet (then -x dumps it all) */
};

static inline bool span_has(struct span s, uint32_t off, uint32_t n)
{
    return off <= s.len && n <= s.len - off;
}

/* The bytes from off on (empty if off is past the end). */
static inline struct span span_from(struct span s, uint32_t off)
{
    if (off > s.len)
        return (struct span){s.p + s.len, 0};
    return (struct span){s.p + off, s.len - off};
}

/* At most n bytes. */
static inline struct span span_cut(struct span s, uint32_t n)
{
    if (n < s.len)
        s.len = n;
    return s;
}

/* Reads that the caller has covered with span_has. */
static inline uint8_t rd8(struct span s, uint32_t off)
{
    return s.p[off];
}
static inline uint16_t rd16(struct span s, uint32_t off)
{
    return load_be16(s.p + off);
}
static inline uint32_t rd32(struct span s, uint32_t off)
{
    return load_be32(s.p + off);
}

/* Checked reads: false (nothing stored) when the bytes were not captured. */
static inline bool get8(struct span s, uint32_t off, uint8_t *v)
{
    if (!span_has(s, off, 1))
        return false;
    *v = rd8(s, off);
    return true;
}
static inline bool get16(struct span s, uint32_t off, uint16_t *v)
{
    return load_be16_checked(s.p, s.len, off, v);
}
static inline bool get32(struct span s, uint32_t off, uint32_t *v)
{
    return load_be32_checked(s.p, s.len, off, v);
}

/* What tcpdump cannot decode it shows in hex and ASCII (unless -q, -x or -X). */
void print_default(struct pctx *c, struct span s);

/* Prints " [|proto]" (tcpdump's mark for a packet cut short) and stops the packet.
 * tcpdump reaches this mark two ways, which differ in what -x dumps afterwards: a layer that
 * checks its own length (print_trunc), or a failed read anywhere that abandons the packet
 * (print_trunc_jmp). Each printer uses the one tcpdump uses at the same point. */
void print_trunc(struct pctx *c, const char *proto);
void print_trunc_jmp(struct pctx *c, const char *proto);
/* tcpdump's print_unknown_data: hex (no ASCII) after ident, cut to what was captured. */
void print_unknown_data(struct pctx *c, struct span s, const char *ident, uint32_t len);

/* Formatting into caller buffers (never from the packet beyond what was checked). */
#define ADDR6_STRLEN 46
const char *fmt_ip4(const uint8_t *a, char buf[16]);
const char *fmt_ip6(const uint8_t *a, char buf[ADDR6_STRLEN]);
const char *fmt_mac(const uint8_t *a, char buf[18]);
const char *ipproto_name(uint8_t proto); /* tcpdump's names, NULL if it has none */
const char *ethertype_name(uint16_t type);

/* The checksum field value that would have made computed (an inet_sum_fold_complement result
 * over data including the field) zero. */
uint16_t cksum_should_be(uint16_t field, uint16_t computed);

/* Returns the link-level header length (for -x), 0 if the packet stopped short. */
uint32_t print_ether(struct pctx *c, struct span frame, uint32_t wirelen);
void print_arp(struct pctx *c, struct span s, uint32_t length);
void print_ip(struct pctx *c, struct span s, uint32_t length);
void print_ip6(struct pctx *c, struct span s, uint32_t length);

/* The network layer a transport printer needs: addresses and the header for checksums. */
struct l3 {
    uint8_t version; /* 4 or 6 */
    uint8_t proto;   /* the transport protocol number */
    const uint8_t *src, *dst;
    bool fragmented;
    bool direct; /* the IP header itself names proto (no IPv6 extension headers between) */
};

/* Protocol after the IP header(s): length is what IP says the payload holds. */
void print_ip_demux(struct pctx *c, const struct l3 *ip, struct span s, uint32_t length);
void print_tcp(struct pctx *c, const struct l3 *ip, struct span s, uint32_t length);
void print_udp(struct pctx *c, const struct l3 *ip, struct span s, uint32_t length);
void print_icmp(struct pctx *c, const struct l3 *ip, struct span s, uint32_t length);
void print_icmp6(struct pctx *c, const struct l3 *ip, struct span s, uint32_t length);

/* Pseudo-header checksum of a transport segment whose length bytes are all captured. */
uint16_t l3_cksum(const struct l3 *ip, const uint8_t *seg, uint32_t length);

#endif

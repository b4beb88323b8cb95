/* test_sbpf_gen.h - inputs for the BPF tests, fuzzers and benchmark: realistic and random
 * Ethernet frames, random valid programs, and a corpus of tcpdump expressions. */
#ifndef SLUICE_TEST_SBPF_GEN_H
#define SLUICE_TEST_SBPF_GEN_H

#include "byteorder.h"
#include "sbpf.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A random source: a PRNG for tests, or the fuzzer's input bytes (zeros once used up). */
struct gen_rng {
    uint64_t state;
    const uint8_t *data;
    size_t len, pos;
};

static inline void gen_rng_seed(struct gen_rng *r, uint64_t seed)
{
    memset(r, 0, sizeof(*r));
    r->state = seed ? seed : 0x9e3779b97f4a7c15ull;
}

static inline void gen_rng_from_bytes(struct gen_rng *r, const uint8_t *data, size_t len)
{
    memset(r, 0, sizeof(*r));
    r->data = data;
    r->len = len;
}

static inline uint32_t gen_u32(struct gen_rng *r)
{
    if (r->data) {
        uint32_t v = 0;
        for (int i = 0; i < 4; i++)
            v = (v << 8) | (r->pos < r->len ? r->data[r->pos++] : 0);
        return v;
    }
    /* splitmix64 */
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (uint32_t)((z ^ (z >> 31)) >> 16);
}

/* Uniform in [0, n) (n > 0). In fuzz mode one byte is enough for small n. */
static inline uint32_t gen_below(struct gen_rng *r, uint32_t n)
{
    if (n <= 1)
        return 0;
    if (r->data && n <= 256)
        return (r->pos < r->len ? r->data[r->pos++] : 0) % n;
    return (uint32_t)(((uint64_t)gen_u32(r) * n) >> 32);
}

static inline bool gen_chance(struct gen_rng *r, unsigned percent)
{
    return gen_below(r, 100) < percent;
}

static inline void gen_bytes(struct gen_rng *r, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)gen_u32(r);
}

/* Addresses the expression corpus names, so that its filters match some frames. */
static const uint8_t gen_known_macs[][6] = {
    {0x00, 0x11, 0x22, 0x33, 0x44, 0x55}, {0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc},
    {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01},
    {0x33, 0x33, 0x00, 0x00, 0x00, 0x01},
};

static inline void gen_mac(struct gen_rng *r, uint8_t *mac)
{
    if (gen_chance(r, 40)) {
        memcpy(mac, gen_known_macs[gen_below(r, 5)], 6);
        return;
    }
    gen_bytes(r, mac, 6);
    if (gen_chance(r, 70))
        mac[0] &= 0xfe; /* mostly unicast */
}

static inline uint32_t gen_ipv4_addr(struct gen_rng *r)
{
    switch (gen_below(r, 8)) {
    case 0:
        return 0x0a000000u | (1 + gen_below(r, 120)); /* 10.0.0.1..: the OR chains */
    case 1:
        return 0x0a000000u | (gen_u32(r) & 0xffffff);
    case 2:
        return 0xc0a80000u | (gen_u32(r) & 0xffff);
    case 3:
        return 0xac100000u | (gen_u32(r) & 0xfffff);
    case 4: {
        static const uint32_t known[] = {0x0a010203, 0xc0a80101, 0x0a000005, 0x08080808,
                                         0xe0000001, 0xffffffff, 0xac100001};
        return known[gen_below(r, 7)];
    }
    case 5:
        return 0xe0000000u | (gen_u32(r) & 0x0fffffff); /* multicast */
    default:
        return gen_u32(r);
    }
}

static inline void gen_ipv6_addr(struct gen_rng *r, uint8_t *a)
{
    gen_bytes(r, a, 16);
    switch (gen_below(r, 5)) {
    case 0: /* fe80::1 */
        memset(a, 0, 16);
        a[0] = 0xfe;
        a[1] = 0x80;
        a[15] = 1;
        break;
    case 1: /* 2001:db8::/32 */
        a[0] = 0x20;
        a[1] = 0x01;
        a[2] = 0x0d;
        a[3] = 0xb8;
        break;
    case 2: /* multicast */
        a[0] = 0xff;
        break;
    default:
        break;
    }
}

static inline uint16_t gen_port(struct gen_rng *r)
{
    static const uint16_t known[] = {22, 80, 443, 53, 123, 67, 68, 8080, 1000, 2000, 999, 2001};
    switch (gen_below(r, 4)) {
    case 0:
        return known[gen_below(r, 12)];
    case 1:
        return (uint16_t)(900 + gen_below(r, 1200));
    default:
        return (uint16_t)gen_u32(r);
    }
}

/* Writes a transport header for proto at p (room bytes available); returns its length. */
static inline size_t gen_l4(struct gen_rng *r, uint8_t proto, uint8_t *p, size_t room)
{
    uint8_t hdr[60];
    size_t len;
    gen_bytes(r, hdr, sizeof(hdr));
    switch (proto) {
    case 6: { /* TCP */
        unsigned doff = gen_chance(r, 80) ? 5 : 5 + gen_below(r, 11);
        store_be16(hdr, gen_port(r));
        store_be16(hdr + 2, gen_port(r));
        hdr[12] = (uint8_t)(doff << 4);
        if (gen_chance(r, 60)) { /* common flag sets */
            static const uint8_t flags[] = {0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14, 0x01};
            hdr[13] = flags[gen_below(r, 8)];
        }
        len = doff * 4;
        break;
    }
    case 17: /* UDP */
        store_be16(hdr, gen_port(r));
        store_be16(hdr + 2, gen_port(r));
        len = 8;
        break;
    case 1:    /* ICMP */
    case 58: { /* ICMPv6 */
        static const uint8_t types[] = {0, 8, 3, 11, 5, 128, 129, 135, 136};
        if (gen_chance(r, 80))
            hdr[0] = types[gen_below(r, 9)];
        len = 8;
        break;
    }
    default:
        len = 4 + gen_below(r, 20);
        break;
    }
    if (len > room)
        len = room;
    memcpy(p, hdr, len);
    return len;
}

static inline uint8_t gen_ip_proto(struct gen_rng *r)
{
    unsigned v = gen_below(r, 100);
    if (v < 45)
        return 6;
    if (v < 80)
        return 17;
    if (v < 88)
        return 1;
    static const uint8_t other[] = {47, 51, 132, 50, 89, 2, 0, 255};
    if (v < 96)
        return other[gen_below(r, 8)];
    return (uint8_t)gen_u32(r);
}

/* A realistic frame of at most cap bytes (cap >= 1514): Ethernet, 0-2 VLAN tags, then
 * IPv4/IPv6 (with options, fragments, extension headers)/ARP/other, random fields. */
static inline size_t gen_frame(struct gen_rng *r, uint8_t *f, size_t cap)
{
    size_t target = 60 + gen_below(r, 1455); /* 60..1514 */
    if (gen_chance(r, 30))
        target = 60 + gen_below(r, 80);
    if (target > cap)
        target = cap;
    gen_bytes(r, f, target);
    size_t off = 0;
    gen_mac(r, f);
    gen_mac(r, f + 6);
    off = 12;
    unsigned tags = gen_chance(r, 80) ? 0 : 1 + gen_below(r, 2);
    for (unsigned t = 0; t < tags; t++) {
        store_be16(f + off, (t == 0 && tags == 2 && gen_chance(r, 50)) ? 0x88a8 : 0x8100);
        uint16_t vid = gen_chance(r, 50) ? (gen_chance(r, 50) ? 100 : 200) : gen_below(r, 4096);
        store_be16(f + off + 2, (gen_below(r, 8) << 13) | vid);
        off += 4;
    }
    unsigned kind = gen_below(r, 100);
    uint8_t *l3 = f + off + 2;
    size_t room = target - off - 2;
    if (kind < 50 && room >= 20) { /* IPv4 */
        store_be16(f + off, 0x0800);
        unsigned ihl = gen_chance(r, 90) ? 5 : 5 + gen_below(r, 11);
        if (ihl * 4 > room)
            ihl = 5;
        uint8_t proto = gen_ip_proto(r);
        l3[0] = (uint8_t)(0x40 | ihl);
        store_be16(l3 + 2, (uint32_t)room);
        if (gen_chance(r, 85))
            store_be16(l3 + 6, gen_chance(r, 50) ? 0x4000 : 0); /* DF or nothing */
        else
            store_be16(l3 + 6, gen_u32(r) & 0x3fff); /* a fragment */
        l3[8] = gen_chance(r, 50) ? (uint8_t)gen_below(r, 128) : (uint8_t)gen_u32(r);
        l3[9] = proto;
        store_be32(l3 + 12, gen_ipv4_addr(r));
        store_be32(l3 + 16, gen_ipv4_addr(r));
        size_t hl = ihl * 4;
        if (proto == 51 && room >= hl + 12) { /* AH before a transport header */
            uint8_t next = gen_chance(r, 50) ? 6 : 17;
            l3[hl] = next;
            l3[hl + 1] = 1; /* (1 + 2) * 4 = 12 bytes */
            hl += 12;
            proto = next;
        }
        gen_l4(r, proto, l3 + hl, room - hl);
    } else if (kind < 75 && room >= 40) { /* IPv6 */
        store_be16(f + off, 0x86dd);
        store_be32(l3, 0x60000000u | (gen_u32(r) & 0xfffff));
        store_be16(l3 + 4, (uint32_t)(room - 40));
        l3[7] = (uint8_t)gen_u32(r);
        gen_ipv6_addr(r, l3 + 8);
        gen_ipv6_addr(r, l3 + 24);
        size_t hl = 40;
        uint8_t *next_field = &l3[6];
        unsigned ext = gen_chance(r, 60) ? 0 : 1 + gen_below(r, 4);
        static const uint8_t ext_types[] = {0, 43, 44, 60, 51};
        for (unsigned e = 0; e < ext && room >= hl + 16; e++) {
            uint8_t type = ext_types[gen_below(r, 5)];
            *next_field = type;
            next_field = &l3[hl];
            size_t elen = type == 44 ? 8 : type == 51 ? 16 : 8 + 8 * gen_below(r, 2);
            if (hl + elen > room)
                break;
            l3[hl + 1] = type == 51 ? (uint8_t)(elen / 4 - 2) : (uint8_t)(elen / 8 - 1);
            if (type == 44)
                l3[hl + 1] = 0;
            hl += elen;
        }
        uint8_t proto = gen_chance(r, 15) ? 58 : gen_ip_proto(r);
        *next_field = proto;
        gen_l4(r, proto, l3 + hl, room - hl);
    } else if (kind < 85 && room >= 28) { /* ARP */
        store_be16(f + off, gen_chance(r, 90) ? 0x0806 : 0x8035);
        store_be16(l3, 1);
        store_be16(l3 + 2, 0x0800);
        l3[4] = 6;
        l3[5] = 4;
        store_be16(l3 + 6, 1 + gen_below(r, 2));
        gen_mac(r, l3 + 8);
        store_be32(l3 + 14, gen_ipv4_addr(r));
        store_be32(l3 + 24, gen_ipv4_addr(r));
    } else if (kind < 92) { /* 802.3 length + LLC */
        store_be16(f + off, (uint32_t)(room < 1500 ? room : 1500));
        if (room >= 3) {
            static const uint8_t saps[] = {0x42, 0xaa, 0xe0, 0x06};
            l3[0] = l3[1] = saps[gen_below(r, 4)];
            l3[2] = 3;
        }
    } else { /* another EtherType */
        static const uint16_t types[] = {0x88cc, 0x8847, 0x88e5, 0x8863, 0x0842};
        store_be16(f + off, gen_chance(r, 60) ? types[gen_below(r, 5)] : gen_u32(r));
    }
    return target;
}

/* A frame of random bytes (sometimes with a meaningful EtherType to get further). */
static inline size_t gen_random_frame(struct gen_rng *r, uint8_t *f, size_t cap)
{
    size_t len = gen_below(r, 1600);
    if (len > cap)
        len = cap;
    gen_bytes(r, f, len);
    if (len >= 14 && gen_chance(r, 50)) {
        static const uint16_t types[] = {0x0800, 0x86dd, 0x0806, 0x8100};
        store_be16(f + 12, types[gen_below(r, 4)]);
    }
    return len;
}

/* ---- random valid programs ---- */

/* Offsets around header fields and around typical frame ends, plus far and huge ones. */
static inline uint32_t gen_offset(struct gen_rng *r, bool absolute)
{
    static const uint32_t ends[] = {14, 18, 20, 34, 42, 54, 60, 64, 128, 576, 1500, 1514};
    unsigned pick = gen_below(r, 100);
    if (pick < 55)
        return gen_below(r, 80);
    if (pick < 77)
        return ends[gen_below(r, 12)] + gen_below(r, 9) - 4;
    if (pick < 93)
        return gen_below(r, 1600);
    if (pick < 97) {
        static const uint32_t huge[] = {0x7fffffff, 0x80000000, 0x7ffffffe, 0xffdffffc,
                                        0xffdfffff, 0xfffffffe, 0xffffffff, 0xfffffffd};
        uint32_t v = huge[gen_below(r, 8)];
        if (absolute && v >= 0xffe00000u)
            v = 0xffdfffff - gen_below(r, 8); /* Linux offsets are rejected */
        return v;
    }
    uint32_t v = gen_u32(r);
    return absolute && v >= 0xffe00000u ? v & 0x7fffffff : v;
}

static inline uint32_t gen_imm(struct gen_rng *r)
{
    static const uint32_t edge[] = {
        0,      1, 2,  4,          31,         32,         33,         63,         64,      0x800,
        0x86dd, 6, 17, 0x7fffffff, 0x80000000, 0xfffffffc, 0xffffffff, 0xffffff00, 0x10000, 1514};
    switch (gen_below(r, 4)) {
    case 0:
        return edge[gen_below(r, 20)];
    case 1:
        return gen_below(r, 256);
    case 2:
        return gen_below(r, 2000);
    default:
        return gen_u32(r);
    }
}

static inline struct sbpf_insn gen_stmt(uint16_t code, uint32_t k)
{
    struct sbpf_insn in = {code, 0, 0, k};
    return in;
}

/* Jump distances: mostly short, sometimes as far as the program allows. */
static inline unsigned gen_jump_dist(struct gen_rng *r, unsigned max)
{
    if (max == 0)
        return 0;
    unsigned d;
    switch (gen_below(r, 4)) {
    case 0:
        d = 0;
        break;
    case 1:
        d = gen_below(r, 4);
        break;
    case 2:
        d = gen_below(r, 32);
        break;
    default:
        d = gen_below(r, 256);
        break;
    }
    return d > max ? max : d;
}

/* One random non-final instruction at index i of a program of n. */
static inline struct sbpf_insn gen_insn(struct gen_rng *r, unsigned i, unsigned n)
{
    static const uint16_t sizes[] = {SBPF_W, SBPF_H, SBPF_B};
    static const uint16_t alu_ops[] = {SBPF_ADD, SBPF_SUB, SBPF_MUL, SBPF_DIV, SBPF_MOD, SBPF_AND,
                                       SBPF_OR,  SBPF_XOR, SBPF_LSH, SBPF_RSH, SBPF_NEG};
    static const uint16_t jmp_ops[] = {SBPF_JEQ, SBPF_JGT, SBPF_JGE, SBPF_JSET};
    unsigned room = n - 2 - i; /* insns between this one and the final return */
    unsigned kind = gen_below(r, 100);
    if (kind < 16)
        return gen_stmt(SBPF_LD | sizes[gen_below(r, 3)] | SBPF_ABS, gen_offset(r, true));
    if (kind < 26) {
        uint32_t k = gen_chance(r, 80) ? gen_below(r, 64) : gen_offset(r, false);
        return gen_stmt(SBPF_LD | sizes[gen_below(r, 3)] | SBPF_IND, k);
    }
    if (kind < 31)
        return gen_stmt(SBPF_LDX | SBPF_MSH | SBPF_B, gen_offset(r, true));
    if (kind < 34)
        return gen_stmt((gen_chance(r, 50) ? SBPF_LD : SBPF_LDX) | SBPF_W | SBPF_LEN, 0);
    if (kind < 41)
        return gen_stmt(gen_chance(r, 50) ? SBPF_LD | SBPF_IMM : SBPF_LDX | SBPF_IMM, gen_imm(r));
    if (kind < 45)
        return gen_stmt((gen_chance(r, 50) ? SBPF_LD : SBPF_LDX) | SBPF_MEM, gen_below(r, 16));
    if (kind < 50)
        return gen_stmt(gen_chance(r, 50) ? SBPF_ST : SBPF_STX, gen_below(r, 16));
    if (kind < 72) {
        uint16_t op = alu_ops[gen_below(r, 11)];
        if (op == SBPF_NEG)
            return gen_stmt(SBPF_ALU | SBPF_NEG, 0);
        if (gen_chance(r, 40))
            return gen_stmt(SBPF_ALU | op | SBPF_X, 0);
        uint32_t k = gen_imm(r);
        if (op == SBPF_LSH || op == SBPF_RSH)
            k &= 31;
        if ((op == SBPF_DIV || op == SBPF_MOD) && k == 0)
            k = 1 + gen_below(r, 64);
        return gen_stmt(SBPF_ALU | op | SBPF_K, k);
    }
    if (kind < 76)
        return gen_stmt(SBPF_MISC | (gen_chance(r, 50) ? SBPF_TAX : SBPF_TXA), 0);
    if (kind < 79)
        return gen_stmt(SBPF_JMP | SBPF_JA, gen_jump_dist(r, room));
    if (kind < 80)
        return gen_stmt(gen_chance(r, 70) ? SBPF_RET | SBPF_A : SBPF_RET | SBPF_K, gen_imm(r));
    struct sbpf_insn in = gen_stmt(
        SBPF_JMP | jmp_ops[gen_below(r, 4)] | (gen_chance(r, 30) ? SBPF_X : SBPF_K), gen_imm(r));
    in.jt = (uint8_t)gen_jump_dist(r, room > 255 ? 255 : room);
    in.jf = (uint8_t)gen_jump_dist(r, room > 255 ? 255 : room);
    return in;
}

/* Replaces every scratch load that some path reaches before a store to its slot with a
 * store (libpcap 1.10 leaves its scratch memory uninitialized, so such loads have no
 * reference result). Forward-only programs: one sweep in order settles it. */
static inline void gen_fix_unset_loads(struct sbpf_insn *prog, unsigned n)
{
    uint16_t *set_in = malloc(sizeof(*set_in) * n);
    if (!set_in)
        abort();
    for (unsigned i = 0; i < n; i++)
        set_in[i] = 0xffff;
    set_in[0] = 0;
    for (unsigned i = 0; i < n; i++) {
        struct sbpf_insn *in = &prog[i];
        if (in->code == (SBPF_LD | SBPF_MEM) && !(set_in[i] & (1u << in->k)))
            in->code = SBPF_ST;
        if (in->code == (SBPF_LDX | SBPF_MEM) && !(set_in[i] & (1u << in->k)))
            in->code = SBPF_STX;
        uint16_t out = set_in[i];
        if (in->code == SBPF_ST || in->code == SBPF_STX)
            out |= (uint16_t)(1u << in->k);
        unsigned cls = SBPF_CLASS(in->code);
        if (cls == SBPF_RET)
            continue;
        if (cls == SBPF_JMP && SBPF_OP(in->code) == SBPF_JA) {
            set_in[i + 1 + in->k] &= out;
        } else if (cls == SBPF_JMP) {
            set_in[i + 1 + in->jt] &= out;
            set_in[i + 1 + in->jf] &= out;
        } else {
            set_in[i + 1] &= out;
        }
    }
    free(set_in);
}

/* A random valid forward-only program of n (2..4096) insns. With reference_safe, no path
 * reads a scratch slot before storing it. */
static inline void gen_program(struct gen_rng *r, struct sbpf_insn *prog, unsigned n,
                               bool reference_safe)
{
    for (unsigned i = 0; i + 1 < n; i++)
        prog[i] = gen_insn(r, i, n);
    prog[n - 1] = gen_stmt(gen_chance(r, 80) ? SBPF_RET | SBPF_A : SBPF_RET | SBPF_K,
                           gen_chance(r, 30) ? 0 : gen_imm(r));
    if (reference_safe)
        gen_fix_unset_loads(prog, n);
}

/* A random program length: mostly short, sometimes long enough for far native jumps. */
static inline unsigned gen_program_len(struct gen_rng *r)
{
    unsigned v = gen_below(r, 100);
    if (v < 60)
        return 2 + gen_below(r, 40);
    if (v < 90)
        return 40 + gen_below(r, 300);
    return 300 + gen_below(r, SBPF_MAX_INSNS - 300 + 1);
}

/* A random structurally valid looping program of n (>= 24) insns (sbpf_validate refuses such
 * loops; the engines must still bound and run them right): a prefix storing every scratch slot
 * (so no read is of an unset slot, whatever the loops do), then a random forward body in
 * which one or two spans become loops of protochain's shape: a conditional test at the head
 * whose true branch leaves, and a backward jump at the end. Some end by themselves, some run
 * until the budget stops them. */
static inline void gen_looping_program(struct gen_rng *r, struct sbpf_insn *prog, unsigned n)
{
    static const uint16_t jmp_ops[] = {SBPF_JEQ, SBPF_JGT, SBPF_JGE, SBPF_JSET};
    unsigned body = n - SBPF_MEMWORDS;
    for (unsigned attempt = 0;; attempt++) {
        for (unsigned s = 0; s < SBPF_MEMWORDS; s++)
            prog[s] = gen_stmt(SBPF_ST, s);
        gen_program(r, prog + SBPF_MEMWORDS, body, false);
        unsigned loops = 1 + gen_below(r, 2);
        for (unsigned l = 0; l < loops; l++) {
            unsigned len = 2 + gen_below(r, body - 3 < 40 ? body - 3 : 40);
            unsigned head = SBPF_MEMWORDS + gen_below(r, body - 1 - len);
            unsigned tail = head + len; /* <= n - 2 */
            struct sbpf_insn test = gen_stmt(SBPF_JMP | jmp_ops[gen_below(r, 4)] |
                                                 (gen_chance(r, 30) ? SBPF_X : SBPF_K),
                                             gen_imm(r));
            test.jt = (uint8_t)len; /* past the backward jump */
            test.jf = 0;
            prog[head] = test;
            prog[tail] =
                gen_stmt(SBPF_JMP | SBPF_JA, (uint32_t)((int32_t)head - (int32_t)tail - 1));
            /* Inside the loop no early return, and fewer ways out. */
            for (unsigned i = head + 1; i < tail; i++) {
                uint16_t c = prog[i].code;
                if (SBPF_CLASS(c) == SBPF_RET || (SBPF_CLASS(c) == SBPF_JMP && gen_chance(r, 70)))
                    prog[i] = gen_stmt(SBPF_ALU | SBPF_ADD | SBPF_K, gen_below(r, 3));
            }
        }
        /* Loops of any shape: the engines bound them by the budget, whatever the switch
         * would admit. */
        if (sbpf_validate_structure(prog, n, NULL, 0) == 0 || attempt == 50)
            return;
    }
}

/* ---- the expression corpus ---- */

static const char *const gen_expressions[] = {
    "",
    "tcp",
    "udp",
    "icmp",
    "arp",
    "rarp",
    "ip",
    "ip6",
    "vlan",
    "vlan and ip",
    "vlan 100",
    "vlan 100 and vlan 200",
    "vlan and tcp port 80",
    "vlan and ip6 and udp",
    "tcp port 80",
    "udp port 53",
    "port 22",
    "not port 22",
    "portrange 1000-2000",
    "tcp dst portrange 1000-2000",
    "src port 443",
    "host 10.1.2.3",
    "src host 192.168.1.1",
    "dst host 10.0.0.5",
    "net 10.0.0.0/8",
    "net 192.168.0.0 mask 255.255.0.0",
    "src net 172.16.0.0/12",
    "net 10.0.0.0/8 and not port 22",
    "ether host 00:11:22:33:44:55",
    "ether src 02:00:00:aa:bb:cc",
    "ether broadcast",
    "ether multicast",
    "ether[0] & 1 != 0",
    "ether proto 0x88cc",
    "less 100",
    "greater 1000",
    "len > 500",
    "len <= 64",
    "ip[8] < 64",
    "ip[0] & 0xf != 5",
    "ip[6:2] & 0x1fff != 0",
    "ip[2:2] > 1000",
    "tcp[tcpflags] & tcp-syn != 0",
    "tcp[tcpflags] & (tcp-syn|tcp-fin) != 0",
    "tcp[tcpflags] == tcp-syn|tcp-ack",
    "tcp[13] & 4 != 0 and len > 200",
    "icmp[icmptype] == icmp-echo",
    "icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply",
    "ip6 and tcp port 80",
    "ip6 host fe80::1",
    "ip6 net 2001:db8::/32",
    "icmp6",
    "ip multicast",
    "ip6 multicast",
    "tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420",
    "ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2) != 0",
    "udp[4:2] % 7 == 3",
    "ip[2:2] / 3 > 100",
    "ip[1] ^ 0xff == 0",
    "len * 2 > 3000",
    "ip[8] << 2 > 100",
    "-ip[8] > 5",
    "udp[8:2] / (ip[8] & 3) > 1",
    "tcp[0:2] % (ip[8] & 7) == 1",
    "ip[8] >> (ip[9] & 0x3f) == 0",
    "ether[len - 1] == 0",
    "ip protochain 6",
    "ip6 protochain 6",
    "ip6 protochain 17",
    "arp and arp[6:2] == 1",
    "arp host 10.0.0.1",
    "ether[12:2] > 0x600 and ether[12:2] != 0x8100",
    "tcp and (port 80 or port 443 or port 8080)",
    "udp and not (port 53 or port 123)",
    "sctp",
    "ip proto 47",
    "(ip or ip6) and tcp dst portrange 1000-2000",
    "llc",
    "ip and ip[6] & 0x20 != 0",
    "not ip and not ip6 and not arp",
    "ip host 8.8.8.8 and (udp port 53 or tcp port 53)",
    "ip[12:4] & 0xffffff00 == 0x0a000000",
};
#define GEN_EXPRESSIONS (sizeof(gen_expressions) / sizeof(gen_expressions[0]))

/* "host 10.0.0.1 or host 10.0.0.2 or ..." with count hosts; the caller frees it. */
static inline char *gen_host_chain(unsigned count)
{
    size_t cap = (size_t)count * 32 + 1;
    char *s = malloc(cap);
    if (!s)
        abort();
    size_t len = 0;
    s[0] = '\0';
    for (unsigned i = 1; i <= count; i++)
        len += (size_t)snprintf(s + len, cap - len, "%shost 10.0.%u.%u", i > 1 ? " or " : "",
                                i / 250, i % 250);
    return s;
}

#endif

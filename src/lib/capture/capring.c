/* capring.c - the capture ring: the switch's producer (create, put, publish) and the
 * reader's consumer (attach, next, release, sleep/wake), each distrusting the other side. */
#include "capring.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define REC_HDR_LEN ((uint32_t)sizeof(struct capring_rec))

_Static_assert(sizeof(struct capring_rec) == 24, "record header layout is part of the format");
_Static_assert(sizeof(struct capring_hdr) <= CAPRING_DATA_OFFSET, "header fits before data");

static inline uint64_t align8(uint64_t v)
{
    return (v + 7) & ~(uint64_t)7;
}

static uint64_t ring_size_for(uint64_t want)
{
    if (want < CAPRING_MIN_SIZE)
        return CAPRING_MIN_SIZE;
    if (want >= CAPRING_MAX_SIZE)
        return CAPRING_MAX_SIZE;
    uint64_t size = CAPRING_MIN_SIZE;
    while (size < want)
        size <<= 1;
    return size;
}

size_t capring_map_size_for(uint64_t data_size)
{
    return CAPRING_DATA_OFFSET + ring_size_for(data_size);
}

int (*capring_dup_hook)(int fd) = dup;

int capring_dup_fds(const struct capring_prod *r, int *memfd, int *efd)
{
    *memfd = capring_dup_hook(r->memfd);
    *efd = capring_dup_hook(r->efd);
    if (*memfd >= 0 && *efd >= 0)
        return 0;
    /* Either may have failed alone: whatever was taken goes back. */
    if (*memfd >= 0)
        close(*memfd);
    if (*efd >= 0)
        close(*efd);
    *memfd = *efd = -1;
    return -1;
}

int capring_create(struct capring_prod *r, uint64_t data_size, uint32_t snaplen,
                   uint32_t port_index, char *err, size_t errlen)
{
    memset(r, 0, sizeof(*r));
    r->memfd = -1;
    r->efd = -1;
    if (snaplen == 0) {
        snprintf(err, errlen, "capture ring: snaplen must be at least 1");
        return -1;
    }
    uint64_t size = ring_size_for(data_size);
    size_t map_size = CAPRING_DATA_OFFSET + size;

    int memfd = memfd_create("sluice-capture", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (memfd < 0) {
        snprintf(err, errlen, "capture ring: memfd_create: %s", strerror(errno));
        return -1;
    }
    if (ftruncate(memfd, (off_t)map_size) < 0) {
        snprintf(err, errlen, "capture ring: ftruncate %zu: %s", map_size, strerror(errno));
        close(memfd);
        return -1;
    }
    void *map = mmap(NULL, map_size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
    if (map == MAP_FAILED) {
        snprintf(err, errlen, "capture ring: mmap %zu: %s", map_size, strerror(errno));
        close(memfd);
        return -1;
    }
    struct capring_hdr *hdr = map;
    hdr->magic = CAPRING_MAGIC;
    hdr->version = CAPRING_VERSION;
    hdr->data_offset = CAPRING_DATA_OFFSET;
    hdr->snaplen = snaplen;
    hdr->data_size = size;
    hdr->port_index = port_index;
    /* The reader must never see the file change size under its mapping. */
    if (fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
        snprintf(err, errlen, "capture ring: sealing: %s", strerror(errno));
        munmap(map, map_size);
        close(memfd);
        return -1;
    }
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (efd < 0) {
        snprintf(err, errlen, "capture ring: eventfd: %s", strerror(errno));
        munmap(map, map_size);
        close(memfd);
        return -1;
    }
    r->hdr = hdr;
    r->data = (uint8_t *)map + CAPRING_DATA_OFFSET;
    r->mask = size - 1;
    r->memfd = memfd;
    r->efd = efd;
    r->map_size = map_size;
    return 0;
}

void capring_destroy(struct capring_prod *r)
{
    if (r->hdr)
        munmap(r->hdr, r->map_size);
    if (r->memfd >= 0)
        close(r->memfd);
    if (r->efd >= 0)
        close(r->efd);
    r->hdr = NULL;
    r->data = NULL;
    r->memfd = r->efd = -1;
}

/* The reader's index is accepted only if it could have come from a correct reader:
 * at or before what was published, at most a ring behind, aligned, never moving back. */
static bool cons_plausible(const struct capring_prod *r, uint64_t cons)
{
    if (cons > r->published)
        return false;
    if (r->prod - cons > r->mask + 1)
        return false;
    if (cons & 7)
        return false;
    if (cons < r->cons_seen)
        return false;
    return true;
}

static inline void count_drop(struct capring_prod *r)
{
    uint64_t n = __atomic_load_n(&r->hdr->dropped_full, __ATOMIC_RELAXED);
    __atomic_store_n(&r->hdr->dropped_full, n + 1, __ATOMIC_RELAXED);
}

int capring_put(struct capring_prod *r, const uint8_t *pkt, uint32_t caplen, uint32_t origlen,
                uint16_t port, uint8_t dir, uint64_t ts_ns)
{
    if (r->broken)
        return -1;
    /* Acquire: the reader's reads of released records finish before they are overwritten. */
    uint64_t cons = __atomic_load_n(&r->hdr->cons, __ATOMIC_ACQUIRE);
    if (!cons_plausible(r, cons)) {
        r->broken = true;
        return -1;
    }
    r->cons_seen = cons;

    uint64_t size = r->mask + 1;
    /* A record of at most half the ring always fits once the ring is empty, wherever the
     * producer index stands; larger ones are cut (origlen keeps the true length). */
    uint32_t max_caplen = (uint32_t)(size / 2) - REC_HDR_LEN;
    if (caplen > r->hdr->snaplen)
        caplen = r->hdr->snaplen;
    if (caplen > max_caplen)
        caplen = max_caplen;
    if (origlen < caplen)
        origlen = caplen;
    uint64_t rec_len = align8(REC_HDR_LEN + caplen);

    uint64_t off = r->prod & r->mask;
    uint64_t tail = size - off;
    uint64_t skip = tail < rec_len ? tail : 0;
    uint64_t used = r->prod - cons;
    if (skip + rec_len > size - used) {
        count_drop(r);
        return 1;
    }
    if (skip) {
        /* Fewer bytes than a record header before the end are skipped implicitly. */
        if (skip >= REC_HDR_LEN) {
            struct capring_rec *pad = (struct capring_rec *)(r->data + off);
            memset(pad, 0, REC_HDR_LEN);
            pad->rec_len = (uint32_t)skip;
            pad->flags = CAPREC_F_PAD;
        }
        r->prod += skip;
        off = 0;
    }
    struct capring_rec *rec = (struct capring_rec *)(r->data + off);
    rec->rec_len = (uint32_t)rec_len;
    rec->caplen = caplen;
    rec->origlen = origlen;
    rec->port = port;
    rec->dir = dir;
    rec->flags = 0;
    rec->ts_ns = ts_ns;
    uint8_t *body = (uint8_t *)(rec + 1);
    memcpy(body, pkt, caplen);
    /* Zero the alignment tail so the ring never shows stale bytes past caplen. */
    memset(body + caplen, 0, rec_len - REC_HDR_LEN - caplen);
    r->prod += rec_len;
    return 0;
}

void capring_publish(struct capring_prod *r)
{
    if (r->prod == r->published)
        return;
    __atomic_store_n(&r->hdr->prod, r->prod, __ATOMIC_RELEASE);
    r->published = r->prod;
    /* Pairs with the reader's seq_cst store of reader_asleep followed by its load of prod:
     * either the reader sees the new prod, or this load sees it asleep. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&r->hdr->reader_asleep, __ATOMIC_SEQ_CST) == 0)
        return;
    if (__atomic_exchange_n(&r->hdr->reader_asleep, 0, __ATOMIC_SEQ_CST) != 0) {
        uint64_t one = 1;
        /* EAGAIN means the counter is already huge: the reader is woken anyway. */
        ssize_t n = write(r->efd, &one, sizeof(one));
        (void)n;
    }
}

/* Reader side. */

int capring_attach(struct capring_cons *c, int memfd, int efd, char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    c->memfd = -1;
    c->efd = -1;
    struct stat st;
    if (fstat(memfd, &st) < 0) {
        snprintf(err, errlen, "capture ring: fstat: %s", strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode) || st.st_size < (off_t)(CAPRING_DATA_OFFSET + CAPRING_MIN_SIZE) ||
        st.st_size > (off_t)(CAPRING_DATA_OFFSET + (uint64_t)CAPRING_MAX_SIZE)) {
        snprintf(err, errlen, "capture ring: memory file has an impossible size (%lld bytes)",
                 (long long)st.st_size);
        goto fail;
    }
    /* Without these seals the switch could shrink the file and fault the reader. */
    int seals = fcntl(memfd, F_GET_SEALS);
    if (seals < 0 || (seals & (F_SEAL_SHRINK | F_SEAL_GROW)) != (F_SEAL_SHRINK | F_SEAL_GROW)) {
        snprintf(err, errlen, "capture ring: memory file is not sealed against resizing");
        goto fail;
    }
    /* The wake-up drain must never block, whatever flags the switch gave the eventfd. */
    int efd_flags = fcntl(efd, F_GETFL);
    if (efd_flags < 0 || fcntl(efd, F_SETFL, efd_flags | O_NONBLOCK) < 0) {
        snprintf(err, errlen, "capture ring: bad eventfd: %s", strerror(errno));
        goto fail;
    }
    size_t map_size = (size_t)st.st_size;
    void *map = mmap(NULL, map_size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
    if (map == MAP_FAILED) {
        snprintf(err, errlen, "capture ring: mmap: %s", strerror(errno));
        goto fail;
    }
    struct capring_hdr *hdr = map;
    uint32_t magic = __atomic_load_n(&hdr->magic, __ATOMIC_RELAXED);
    uint32_t version = __atomic_load_n(&hdr->version, __ATOMIC_RELAXED);
    uint32_t data_offset = __atomic_load_n(&hdr->data_offset, __ATOMIC_RELAXED);
    uint64_t data_size = __atomic_load_n(&hdr->data_size, __ATOMIC_RELAXED);
    uint32_t snaplen = __atomic_load_n(&hdr->snaplen, __ATOMIC_RELAXED);
    const char *why = NULL;
    if (magic != CAPRING_MAGIC)
        why = "bad magic";
    else if (version != CAPRING_VERSION)
        why = "unsupported version";
    else if (data_offset != CAPRING_DATA_OFFSET)
        why = "bad data offset";
    else if (data_size < CAPRING_MIN_SIZE || data_size > CAPRING_MAX_SIZE ||
             (data_size & (data_size - 1)) != 0)
        why = "bad data size";
    else if (data_offset + data_size != map_size)
        why = "data size does not match the memory file";
    else if (snaplen == 0)
        why = "zero snaplen";
    if (!why) {
        uint64_t prod = __atomic_load_n(&hdr->prod, __ATOMIC_ACQUIRE);
        uint64_t cons = __atomic_load_n(&hdr->cons, __ATOMIC_RELAXED);
        if ((cons & 7) || (prod & 7) || prod - cons > data_size)
            why = "bad indices";
        c->cons = cons;
    }
    if (why) {
        snprintf(err, errlen, "capture ring: %s", why);
        munmap(map, map_size);
        goto fail;
    }
    c->hdr = hdr;
    c->data = (uint8_t *)map + CAPRING_DATA_OFFSET;
    c->mask = data_size - 1;
    c->memfd = memfd;
    c->efd = efd;
    c->map_size = map_size;
    return 0;
fail:
    close(memfd);
    if (efd >= 0)
        close(efd);
    return -1;
}

void capring_detach(struct capring_cons *c)
{
    if (c->hdr) {
        /* A reader that goes away must not leave the switch writing wake-ups. */
        __atomic_store_n(&c->hdr->reader_asleep, 0, __ATOMIC_RELAXED);
        munmap(c->hdr, c->map_size);
    }
    if (c->memfd >= 0)
        close(c->memfd);
    if (c->efd >= 0)
        close(c->efd);
    c->hdr = NULL;
    c->data = NULL;
    c->memfd = c->efd = -1;
}

static void store_cons(struct capring_cons *c)
{
    __atomic_store_n(&c->hdr->cons, c->cons, __ATOMIC_RELEASE);
}

const struct capring_rec *capring_next(struct capring_cons *c)
{
    if (c->broken)
        return NULL;
    uint64_t size = c->mask + 1;
    uint64_t prod = __atomic_load_n(&c->hdr->prod, __ATOMIC_ACQUIRE);
    bool skipped = false;
    for (;;) {
        if (prod == c->cons)
            break;
        uint64_t avail = prod - c->cons;
        if (avail > size || (avail & 7)) {
            c->broken = true;
            break;
        }
        uint64_t off = c->cons & c->mask;
        uint64_t tail = size - off;
        if (tail < REC_HDR_LEN) {
            if (avail < tail) {
                c->broken = true;
                break;
            }
            c->cons += tail;
            skipped = true;
            continue;
        }
        const struct capring_rec *rec = (const struct capring_rec *)(c->data + off);
        uint32_t rec_len = __atomic_load_n(&rec->rec_len, __ATOMIC_RELAXED);
        uint32_t caplen = __atomic_load_n(&rec->caplen, __ATOMIC_RELAXED);
        uint8_t flags = __atomic_load_n(&rec->flags, __ATOMIC_RELAXED);
        if (rec_len < REC_HDR_LEN || (rec_len & 7) || rec_len > tail || rec_len > avail) {
            c->broken = true;
            break;
        }
        if (flags & CAPREC_F_PAD) {
            c->cons += rec_len;
            skipped = true;
            continue;
        }
        if (caplen > rec_len - REC_HDR_LEN) {
            c->broken = true;
            break;
        }
        c->pending = rec_len;
        if (skipped)
            store_cons(c);
        return rec;
    }
    if (skipped)
        store_cons(c);
    return NULL;
}

void capring_release(struct capring_cons *c)
{
    if (!c->pending)
        return;
    c->cons += c->pending;
    c->pending = 0;
    store_cons(c);
}

bool capring_sleep_prepare(struct capring_cons *c)
{
    __atomic_store_n(&c->hdr->reader_asleep, 1, __ATOMIC_SEQ_CST);
    uint64_t prod = __atomic_load_n(&c->hdr->prod, __ATOMIC_SEQ_CST);
    if (prod != c->cons || c->broken) {
        __atomic_store_n(&c->hdr->reader_asleep, 0, __ATOMIC_RELAXED);
        return false;
    }
    return true;
}

void capring_sleep_end(struct capring_cons *c)
{
    __atomic_store_n(&c->hdr->reader_asleep, 0, __ATOMIC_RELAXED);
    uint64_t count;
    ssize_t n = read(c->efd, &count, sizeof(count));
    (void)n;
}

int capring_wait(struct capring_cons *c, int timeout_ms)
{
    if (!capring_sleep_prepare(c))
        return 1;
    struct pollfd pfd = {.fd = c->efd, .events = POLLIN};
    int n = poll(&pfd, 1, timeout_ms);
    capring_sleep_end(c);
    if (n < 0)
        return -1;
    if (n == 0)
        return __atomic_load_n(&c->hdr->prod, __ATOMIC_ACQUIRE) != c->cons ? 1 : 0;
    if (pfd.revents & (POLLERR | POLLNVAL)) {
        errno = EBADF;
        return -1;
    }
    return 1;
}

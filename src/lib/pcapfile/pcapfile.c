/* pcapfile.c - the capture file writers: pcap with nanosecond timestamps and pcapng (one
 * interface per port, packet direction, statistics at the end), buffered, with rotation. */
#include "pcapfile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define IOBUF_SIZE (1u << 20)

/* pcapng option codes used here (draft-ietf-opsawg-pcapng). */
#define OPT_ENDOFOPT 0
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME 2
#define OPT_IF_TSRESOL 9
#define OPT_IF_FILTER 11
#define OPT_EPB_FLAGS 2
#define OPT_ISB_STARTTIME 2
#define OPT_ISB_ENDTIME 3
#define OPT_ISB_IFRECV 4
#define OPT_ISB_IFDROP 5
#define OPT_ISB_FILTERACCEPT 6
#define OPT_ISB_USRDELIV 8

#define EPB_FLAG_INBOUND 1u
#define EPB_FLAG_OUTBOUND 2u

static inline uint32_t pad4(uint32_t n)
{
    return (n + 3) & ~3u;
}

static int fail(struct pcapw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct pcapw *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->err, sizeof(w->err), fmt, ap);
    va_end(ap);
    return -1;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int out(struct pcapw *w, const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, w->f) != n) {
        w->sys_errno = errno;
        return fail(w, "writing %s: %s", w->to_stdout ? "standard output" : w->cur_path,
                    strerror(errno));
    }
    w->file_bytes += n;
    return 0;
}

/* A block assembled in memory: only the rare ones (SHB, IDB, ISB) go through here. */
struct blk {
    uint8_t buf[512];
    uint8_t *p;
    size_t len, cap;
    bool oom;
};

static void blk_init(struct blk *b)
{
    b->p = b->buf;
    b->len = 0;
    b->cap = sizeof(b->buf);
    b->oom = false;
}

static void blk_put(struct blk *b, const void *data, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap * 2;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *np = b->p == b->buf ? malloc(cap) : realloc(b->p, cap);
        if (!np) {
            b->oom = true;
            return;
        }
        if (b->p == b->buf)
            memcpy(np, b->buf, b->len);
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void blk_u16(struct blk *b, uint16_t v)
{
    blk_put(b, &v, 2);
}

static void blk_u32(struct blk *b, uint32_t v)
{
    blk_put(b, &v, 4);
}

static void blk_u64(struct blk *b, uint64_t v)
{
    blk_put(b, &v, 8);
}

static void blk_pad(struct blk *b)
{
    static const uint8_t zeros[4];
    blk_put(b, zeros, pad4((uint32_t)b->len) - b->len);
}

static void blk_opt(struct blk *b, uint16_t code, const void *val, uint16_t len)
{
    blk_u16(b, code);
    blk_u16(b, len);
    blk_put(b, val, len);
    blk_pad(b);
}

/* Starts a block: type and a length placeholder. */
static void blk_begin(struct blk *b, uint32_t type)
{
    blk_init(b);
    blk_u32(b, type);
    blk_u32(b, 0);
}

/* Ends the options and the block, fills both length fields, writes it out. */
static int blk_end(struct pcapw *w, struct blk *b, bool had_options)
{
    if (had_options) {
        blk_u16(b, OPT_ENDOFOPT);
        blk_u16(b, 0);
    }
    blk_u32(b, 0);
    int rc;
    if (b->oom) {
        rc = fail(w, "out of memory");
    } else {
        uint32_t total = (uint32_t)b->len;
        memcpy(b->p + 4, &total, 4);
        memcpy(b->p + b->len - 4, &total, 4);
        rc = out(w, b->p, b->len);
    }
    if (b->p != b->buf)
        free(b->p);
    return rc;
}

static uint32_t ts_high(uint64_t ts)
{
    return (uint32_t)(ts >> 32);
}

static uint32_t ts_low(uint64_t ts)
{
    return (uint32_t)ts;
}

static int write_pcap_header(struct pcapw *w)
{
    struct {
        uint32_t magic;
        uint16_t major, minor;
        int32_t thiszone;
        uint32_t sigfigs;
        uint32_t snaplen;
        uint32_t linktype;
    } h = {PCAP_MAGIC_NSEC, 2, 4, 0, 0, w->snaplen, LINKTYPE_ETHERNET};
    return out(w, &h, sizeof(h));
}

static int write_pcapng_header(struct pcapw *w)
{
    struct blk b;
    blk_begin(&b, PCAPNG_BT_SHB);
    blk_u32(&b, PCAPNG_BYTE_ORDER_MAGIC);
    blk_u16(&b, 1);
    blk_u16(&b, 0);
    blk_u64(&b, UINT64_MAX); /* section length not given */
    static const char appl[] = "sluice";
    blk_opt(&b, OPT_SHB_USERAPPL, appl, sizeof(appl) - 1);
    if (blk_end(w, &b, true) < 0)
        return -1;

    for (unsigned i = 0; i < w->nifs; i++) {
        blk_begin(&b, PCAPNG_BT_IDB);
        blk_u16(&b, LINKTYPE_ETHERNET);
        blk_u16(&b, 0);
        blk_u32(&b, w->snaplen);
        size_t nlen = strlen(w->if_names[i]);
        blk_opt(&b, OPT_IF_NAME, w->if_names[i], (uint16_t)(nlen > 65535 ? 65535 : nlen));
        uint8_t tsresol = 9; /* 10^-9 s */
        blk_opt(&b, OPT_IF_TSRESOL, &tsresol, 1);
        if (w->filter && w->filter[0]) {
            /* First byte 0: a libpcap filter expression follows. */
            size_t flen = strlen(w->filter);
            if (flen > 65000)
                flen = 65000;
            blk_u16(&b, OPT_IF_FILTER);
            blk_u16(&b, (uint16_t)(flen + 1));
            uint8_t kind = 0;
            blk_put(&b, &kind, 1);
            blk_put(&b, w->filter, flen);
            blk_pad(&b);
        }
        if (blk_end(w, &b, true) < 0)
            return -1;
    }
    return 0;
}

static int write_isbs(struct pcapw *w, uint64_t end_ns)
{
    for (unsigned i = 0; i < w->nifs; i++) {
        const struct pcapfile_if_stats *st = &w->stats[i];
        struct blk b;
        blk_begin(&b, PCAPNG_BT_ISB);
        blk_u32(&b, i);
        blk_u32(&b, ts_high(end_ns));
        blk_u32(&b, ts_low(end_ns));
        uint32_t start[2] = {ts_high(w->start_ns), ts_low(w->start_ns)};
        uint32_t end[2] = {ts_high(end_ns), ts_low(end_ns)};
        blk_opt(&b, OPT_ISB_STARTTIME, start, 8);
        blk_opt(&b, OPT_ISB_ENDTIME, end, 8);
        blk_opt(&b, OPT_ISB_IFRECV, &st->recv, 8);
        blk_opt(&b, OPT_ISB_IFDROP, &st->drop, 8);
        blk_opt(&b, OPT_ISB_FILTERACCEPT, &st->accepted, 8);
        blk_opt(&b, OPT_ISB_USRDELIV, &st->delivered, 8);
        if (blk_end(w, &b, true) < 0)
            return -1;
    }
    return 0;
}

static int open_current(struct pcapw *w)
{
    w->file_bytes = 0;
    if (w->to_stdout) {
        /* Standard output outlives the writer, so its buffer must too. */
        static char stdout_buf[IOBUF_SIZE];
        w->f = stdout;
        setvbuf(w->f, stdout_buf, _IOFBF, sizeof(stdout_buf));
    } else {
        w->f = fopen(w->cur_path, "wb");
        if (!w->f)
            return fail(w, "%s: %s", w->cur_path, strerror(errno));
        if (!w->iobuf)
            w->iobuf = malloc(IOBUF_SIZE);
        if (w->iobuf)
            setvbuf(w->f, w->iobuf, _IOFBF, IOBUF_SIZE);
    }
    return w->format == PCAPFILE_PCAPNG ? write_pcapng_header(w) : write_pcap_header(w);
}

static int close_current(struct pcapw *w, uint64_t end_ns)
{
    if (!w->f)
        return 0;
    int rc = 0;
    if (w->format == PCAPFILE_PCAPNG && w->have_stats)
        rc = write_isbs(w, end_ns ? end_ns : now_ns());
    if (w->to_stdout) {
        if (fflush(w->f) != 0 && rc == 0) {
            w->sys_errno = errno;
            rc = fail(w, "writing standard output: %s", strerror(errno));
        }
    } else if (fclose(w->f) != 0 && rc == 0) {
        w->sys_errno = errno;
        rc = fail(w, "writing %s: %s", w->cur_path, strerror(errno));
    }
    w->f = NULL;
    return rc;
}

bool pcapfile_rotation_name(char *outbuf, size_t outlen, const char *base, unsigned index,
                            unsigned max_files)
{
    unsigned width = 0;
    for (unsigned x = max_files > 0 ? max_files - 1 : 0; x > 0; x /= 10)
        width++;
    int n;
    if (index == 0 && width == 0)
        n = snprintf(outbuf, outlen, "%s", base);
    else
        n = snprintf(outbuf, outlen, "%s%0*u", base, (int)width, index);
    return n >= 0 && (size_t)n < outlen;
}

static void release(struct pcapw *w)
{
    for (unsigned i = 0; w->if_names && i < w->nifs; i++)
        free(w->if_names[i]);
    free(w->if_names);
    free(w->stats);
    free(w->filter);
    free(w->base);
    free(w->cur_path);
    free(w->iobuf);
    w->if_names = NULL;
    w->stats = NULL;
    w->filter = w->base = w->cur_path = w->iobuf = NULL;
}

int pcapw_open(struct pcapw *w, const struct pcapw_config *cfg)
{
    memset(w, 0, sizeof(*w));
    if (!cfg->path || !cfg->path[0])
        return fail(w, "no output file name");
    if (cfg->snaplen == 0 || cfg->snaplen > PCAPFILE_MAX_CAPLEN)
        return fail(w, "snaplen %u out of range", cfg->snaplen);
    unsigned nifs = cfg->nifs ? cfg->nifs : 1;
    if (nifs > PCAPFILE_MAX_IFS)
        return fail(w, "too many interfaces (%u)", nifs);
    if (cfg->format == PCAPFILE_PCAP && nifs > 1)
        return fail(w, "a pcap file holds one interface; use pcapng for %u", nifs);
    w->to_stdout = strcmp(cfg->path, "-") == 0;
    if (w->to_stdout && cfg->rotate_bytes)
        return fail(w, "file rotation needs a file name, not standard output");
    w->format = cfg->format;
    w->snaplen = cfg->snaplen;
    w->nifs = nifs;
    w->rotate_bytes = cfg->rotate_bytes;
    w->max_files = cfg->max_files;
    w->start_ns = cfg->start_ns ? cfg->start_ns : now_ns();
    w->if_names = calloc(nifs, sizeof(char *));
    w->stats = calloc(nifs, sizeof(*w->stats));
    w->base = strdup(cfg->path);
    size_t pathcap = strlen(cfg->path) + 16;
    w->cur_path = malloc(pathcap);
    if (cfg->filter)
        w->filter = strdup(cfg->filter);
    bool oom = !w->if_names || !w->stats || !w->base || !w->cur_path || (cfg->filter && !w->filter);
    for (unsigned i = 0; !oom && i < nifs; i++) {
        const char *name =
            cfg->if_names && i < cfg->nifs && cfg->if_names[i] ? cfg->if_names[i] : "sluice";
        w->if_names[i] = strdup(name);
        oom = !w->if_names[i];
    }
    if (oom) {
        release(w);
        return fail(w, "out of memory");
    }
    /* With rotation, the first file already carries the number tcpdump would give it. */
    pcapfile_rotation_name(w->cur_path, pathcap, w->base, 0, w->rotate_bytes ? w->max_files : 0);
    if (open_current(w) < 0) {
        if (w->f && !w->to_stdout)
            fclose(w->f);
        w->f = NULL;
        release(w);
        return -1;
    }
    return 0;
}

static int rotate(struct pcapw *w)
{
    if (close_current(w, 0) < 0)
        return -1;
    w->file_index++;
    if (w->max_files && w->file_index >= w->max_files)
        w->file_index = 0;
    pcapfile_rotation_name(w->cur_path, strlen(w->base) + 16, w->base, w->file_index, w->max_files);
    return open_current(w);
}

int pcapw_write(struct pcapw *w, unsigned ifidx, uint64_t ts_ns, const uint8_t *data,
                uint32_t caplen, uint32_t origlen, uint8_t dir)
{
    if (!w->f)
        return fail(w, "writer is closed");
    if (ifidx >= w->nifs)
        return fail(w, "no interface %u", ifidx);
    if (caplen > w->snaplen)
        caplen = w->snaplen;
    if (origlen < caplen)
        origlen = caplen;
    if (w->rotate_bytes && w->file_bytes > w->rotate_bytes && rotate(w) < 0)
        return -1;
    if (w->format == PCAPFILE_PCAP) {
        uint32_t h[4] = {(uint32_t)(ts_ns / 1000000000u), (uint32_t)(ts_ns % 1000000000u), caplen,
                         origlen};
        if (out(w, h, sizeof(h)) < 0 || out(w, data, caplen) < 0)
            return -1;
        return 0;
    }
    uint32_t flags = dir == 1 ? EPB_FLAG_INBOUND : dir == 2 ? EPB_FLAG_OUTBOUND : 0;
    uint32_t opt_len = flags ? 4 + 4 + 4 : 0;
    uint32_t total = 28 + pad4(caplen) + opt_len + 4;
    uint32_t h[7] = {PCAPNG_BT_EPB, total, ifidx, ts_high(ts_ns), ts_low(ts_ns), caplen, origlen};
    static const uint8_t zeros[4];
    uint8_t tail[16];
    size_t nt = 0;
    if (flags) {
        uint16_t opt[2] = {OPT_EPB_FLAGS, 4};
        uint32_t endopt = OPT_ENDOFOPT;
        memcpy(tail, opt, 4);
        memcpy(tail + 4, &flags, 4);
        memcpy(tail + 8, &endopt, 4);
        nt = 12;
    }
    memcpy(tail + nt, &total, 4);
    nt += 4;
    if (out(w, h, sizeof(h)) < 0 || out(w, data, caplen) < 0 ||
        out(w, zeros, pad4(caplen) - caplen) < 0 || out(w, tail, nt) < 0)
        return -1;
    return 0;
}

void pcapw_set_stats(struct pcapw *w, unsigned ifidx, const struct pcapfile_if_stats *st)
{
    if (ifidx >= w->nifs)
        return;
    w->stats[ifidx] = *st;
    w->have_stats = true;
}

int pcapw_flush(struct pcapw *w)
{
    if (w->f && fflush(w->f) != 0) {
        w->sys_errno = errno;
        return fail(w, "writing %s: %s", w->to_stdout ? "standard output" : w->cur_path,
                    strerror(errno));
    }
    return 0;
}

int pcapw_close(struct pcapw *w, uint64_t end_ns)
{
    int rc = close_current(w, end_ns);
    release(w);
    return rc;
}

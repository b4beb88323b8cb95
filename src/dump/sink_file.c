/* sink_file.c - the file output: pcap (nanosecond) or pcapng through the library writer,
 * rotated as -C/-W ask; a stream on standard output is flushed after every batch. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sink.h"

struct file_sink {
    struct sink base;
    struct pcapw w;
    bool stream;
    bool flush_each;
};

static int file_fail(struct file_sink *fs)
{
    fs->base.pipe_closed = fs->stream && fs->w.sys_errno == EPIPE;
    snprintf(fs->base.err, sizeof(fs->base.err), "%s", fs->w.err);
    return -1;
}

static int file_packet(struct sink *s, const struct dump_pkt *p)
{
    struct file_sink *fs = (struct file_sink *)s;
    if (pcapw_write(&fs->w, p->ifidx, p->ts_ns, p->data, p->caplen, p->origlen, p->dir) < 0)
        return file_fail(fs);
    if (fs->flush_each && pcapw_flush(&fs->w) < 0)
        return file_fail(fs);
    return 0;
}

static int file_batch_end(struct sink *s)
{
    struct file_sink *fs = (struct file_sink *)s;
    if (fs->stream && pcapw_flush(&fs->w) < 0)
        return file_fail(fs);
    return 0;
}

static void file_stats(struct sink *s, unsigned ifidx, const struct pcapfile_if_stats *st)
{
    pcapw_set_stats(&((struct file_sink *)s)->w, ifidx, st);
}

static int file_close(struct sink *s, char *err, size_t errlen)
{
    struct file_sink *fs = (struct file_sink *)s;
    int rc = pcapw_close(&fs->w, 0);
    if (rc < 0) {
        if (fs->stream && fs->w.sys_errno == EPIPE)
            rc = 0;
        else
            snprintf(err, errlen, "%s", fs->w.err);
    }
    free(fs);
    return rc;
}

static const struct sink_ops file_ops = {file_packet, file_batch_end, file_stats, file_close};

struct sink *sink_file_open(const struct dump_options *o, const char *const *ports, unsigned nports,
                            char *err, size_t errlen)
{
    struct file_sink *fs = calloc(1, sizeof(*fs));
    if (!fs) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    fs->base.ops = &file_ops;
    fs->stream = strcmp(o->write_file, "-") == 0;
    fs->flush_each = o->packet_buffered;
    struct pcapw_config cfg = {
        .path = o->write_file,
        /* One pcap file describes one interface: several ports need pcapng. */
        .format = o->pcapng || nports > 1 ? PCAPFILE_PCAPNG : PCAPFILE_PCAP,
        .snaplen = o->snaplen,
        .if_names = ports,
        .nifs = nports,
        .filter = o->filter,
        .rotate_bytes = o->rotate_bytes,
        .max_files = o->max_files,
    };
    if (pcapw_open(&fs->w, &cfg) < 0) {
        snprintf(err, errlen, "%s", fs->w.err);
        free(fs);
        return NULL;
    }
    return &fs->base;
}

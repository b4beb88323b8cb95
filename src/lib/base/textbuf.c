/* textbuf.c - the growable text buffer (doubling, bounded against size overflow) and the
 * UTF-8 sequence check. */
#include "textbuf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

bool textbuf_reserve(struct textbuf *tb, size_t more)
{
    if (tb->oom)
        return false;
    if (more >= SIZE_MAX / 2 - tb->len) {
        tb->oom = true;
        return false;
    }
    size_t need = tb->len + more + 1;
    if (need <= tb->cap)
        return true;
    size_t cap = tb->cap ? tb->cap : 256;
    while (cap < need)
        cap *= 2;
    char *b = realloc(tb->buf, cap);
    if (!b) {
        tb->oom = true;
        return false;
    }
    tb->buf = b;
    tb->cap = cap;
    return true;
}

void textbuf_put(struct textbuf *tb, const char *s, size_t n)
{
    if (!textbuf_reserve(tb, n))
        return;
    memcpy(tb->buf + tb->len, s, n);
    tb->len += n;
    tb->buf[tb->len] = '\0';
}

void textbuf_puts(struct textbuf *tb, const char *s)
{
    textbuf_put(tb, s, strlen(s));
}

void textbuf_free(struct textbuf *tb)
{
    free(tb->buf);
    *tb = (struct textbuf){0};
}

size_t utf8_seq_len(const unsigned char *p, size_t avail)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else {
        return 0;
    }
    if (avail < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

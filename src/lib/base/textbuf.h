/* textbuf.h - a growable NUL-terminated text buffer that remembers an allocation failure, and
 * UTF-8 validation; shared by the writers of JSON and of the Prometheus text format. */
#ifndef SLUICE_TEXTBUF_H
#define SLUICE_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>

struct textbuf {
    char *buf; /* NULL until something is written */
    size_t len, cap;
    bool oom; /* an allocation failed: the text is incomplete and later writes do nothing */
};

/* Makes room for `more` bytes and the NUL. False (and oom set) when it cannot. */
bool textbuf_reserve(struct textbuf *tb, size_t more);
void textbuf_put(struct textbuf *tb, const char *s, size_t n);
void textbuf_puts(struct textbuf *tb, const char *s);
void textbuf_free(struct textbuf *tb);

/* Length of the valid UTF-8 sequence at p (at most avail bytes, avail >= 1), or 0 if it is not
 * valid: overlong forms, encoded surrogates and code points above U+10FFFF are invalid. */
size_t utf8_seq_len(const unsigned char *p, size_t avail);

#endif

/* promtext.c - Prometheus text exposition writer: a growing buffer, HELP and TYPE lines,
 * sample lines with label values escaped as the format requires. */
#include "promtext.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pt_init(struct promtext *pt)
{
    memset(pt, 0, sizeof(*pt));
}

void pt_free(struct promtext *pt)
{
    free(pt->buf);
    memset(pt, 0, sizeof(*pt));
}

static bool reserve(struct promtext *pt, size_t more)
{
    if (pt->oom)
        return false;
    if (pt->len + more + 1 <= pt->cap)
        return true;
    size_t cap = pt->cap ? pt->cap : 4096;
    while (cap < pt->len + more + 1)
        cap *= 2;
    char *b = realloc(pt->buf, cap);
    if (!b) {
        pt->oom = true;
        return false;
    }
    pt->buf = b;
    pt->cap = cap;
    return true;
}

static void put(struct promtext *pt, const char *s, size_t n)
{
    if (!reserve(pt, n))
        return;
    memcpy(pt->buf + pt->len, s, n);
    pt->len += n;
    pt->buf[pt->len] = '\0';
}

static void puts_(struct promtext *pt, const char *s)
{
    put(pt, s, strlen(s));
}

static void putf(struct promtext *pt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct promtext *pt, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0)
        put(pt, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Length of the valid UTF-8 sequence at p, or 0: overlong forms, surrogates and code points
 * above U+10FFFF are not valid. */
static size_t utf8_len(const unsigned char *p, size_t avail)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        lo = c == 0xe0 ? 0xa0 : 0x80;
        hi = c == 0xed ? 0x9f : 0xbf;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf;
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

/* Label values escape backslash, double quote and line feed; HELP text escapes backslash
 * and line feed only. */
static void put_escaped(struct promtext *pt, const char *s, bool quote)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t avail = strlen(s);
    while (avail) {
        size_t n = utf8_len(p, avail);
        if (n == 0) {
            puts_(pt, "\xef\xbf\xbd");
            n = 1;
        } else if (*p == '\\') {
            puts_(pt, "\\\\");
        } else if (*p == '\n') {
            puts_(pt, "\\n");
        } else if (*p == '"' && quote) {
            puts_(pt, "\\\"");
        } else {
            put(pt, (const char *)p, n);
        }
        p += n;
        avail -= n;
    }
}

void pt_family(struct promtext *pt, const char *name, const char *type, const char *help)
{
    puts_(pt, "# HELP ");
    puts_(pt, name);
    puts_(pt, " ");
    put_escaped(pt, help, false);
    puts_(pt, "\n# TYPE ");
    puts_(pt, name);
    puts_(pt, " ");
    puts_(pt, type);
    puts_(pt, "\n");
}

static void put_head(struct promtext *pt, const char *name, const struct pt_label *labels,
                     unsigned nlabels)
{
    puts_(pt, name);
    if (nlabels) {
        puts_(pt, "{");
        for (unsigned i = 0; i < nlabels; i++) {
            if (i)
                puts_(pt, ",");
            puts_(pt, labels[i].name);
            puts_(pt, "=\"");
            put_escaped(pt, labels[i].value, true);
            puts_(pt, "\"");
        }
        puts_(pt, "}");
    }
    puts_(pt, " ");
}

void pt_sample(struct promtext *pt, const char *name, const struct pt_label *labels,
               unsigned nlabels, uint64_t value)
{
    put_head(pt, name, labels, nlabels);
    putf(pt, "%llu\n", (unsigned long long)value);
}

void pt_sample_double(struct promtext *pt, const char *name, const struct pt_label *labels,
                      unsigned nlabels, double value)
{
    put_head(pt, name, labels, nlabels);
    if (isnan(value))
        puts_(pt, "NaN\n");
    else if (isinf(value))
        puts_(pt, value > 0 ? "+Inf\n" : "-Inf\n");
    else
        putf(pt, "%.17g\n", value);
}

static bool valid_name(const char *s, bool colon)
{
    if (!s || !*s)
        return false;
    for (const char *p = s; *p; p++) {
        char c = *p;
        bool alpha =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
        if (!alpha && !(p != s && c >= '0' && c <= '9'))
            return false;
    }
    return true;
}

bool pt_valid_metric_name(const char *name)
{
    return valid_name(name, true);
}

bool pt_valid_label_name(const char *name)
{
    return valid_name(name, false) && strncmp(name, "__", 2) != 0;
}

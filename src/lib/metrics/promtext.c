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
    textbuf_free(&pt->tb);
}

static void put(struct promtext *pt, const char *s, size_t n)
{
    textbuf_put(&pt->tb, s, n);
}

static void puts_(struct promtext *pt, const char *s)
{
    textbuf_puts(&pt->tb, s);
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

/* Label values escape backslash, double quote and line feed; HELP text escapes backslash
 * and line feed only. */
static void put_escaped(struct promtext *pt, const char *s, bool quote)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t avail = strlen(s);
    while (avail) {
        size_t n = utf8_seq_len(p, avail);
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

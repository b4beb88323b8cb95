/* json.c - the JSON reader (strict RFC 8259 text to a tree) and writer (to a growing buffer).
 * The reader takes untrusted, length-bounded input: every step is bounded by the input's size. */
#include "json.h"
#include "textbuf.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longer number literals are refused: no value needs them, and strtod's work grows with them. */
#define JSON_MAX_NUMBER_LEN 128

static size_t utf8_put(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* ---- reader ---- */

struct parser {
    const unsigned char *text;
    size_t len, pos;
    char *err;
    size_t errlen;
};

static struct json *fail(struct parser *ps, size_t at, const char *what)
{
    if (ps->err && ps->errlen)
        snprintf(ps->err, ps->errlen, "%s at byte %zu", what, at);
    return NULL;
}

static void skip_space(struct parser *ps)
{
    while (ps->pos < ps->len) {
        unsigned char c = ps->text[ps->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        ps->pos++;
    }
}

static struct json *new_node(enum json_type type)
{
    struct json *j = calloc(1, sizeof(*j));
    if (j)
        j->type = type;
    return j;
}

static int hex4(const unsigned char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = p[i];
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v << 4 | d;
    }
    return v;
}

/* Decodes the string whose opening quote is at ps->pos into a new NUL-terminated buffer. */
static char *parse_string(struct parser *ps)
{
    size_t start = ++ps->pos;
    size_t end = start;
    /* Find the closing quote first: the decoded text is never longer than the raw text. */
    for (;;) {
        if (end >= ps->len) {
            fail(ps, start - 1, "unterminated string");
            return NULL;
        }
        unsigned char c = ps->text[end];
        if (c == '"')
            break;
        if (c == '\\')
            end++;
        end++;
    }
    char *out = malloc(end - start + 1);
    if (!out) {
        fail(ps, start, "out of memory");
        return NULL;
    }
    size_t o = 0, i = start;
    const unsigned char *t = ps->text;
    while (i < end) {
        unsigned char c = t[i];
        if (c < 0x20) {
            fail(ps, i, "unescaped control character in string");
            goto bad;
        }
        if (c != '\\') {
            size_t n = utf8_seq_len(t + i, end - i);
            if (n == 0) {
                fail(ps, i, "invalid UTF-8 in string");
                goto bad;
            }
            memcpy(out + o, t + i, n);
            o += n;
            i += n;
            continue;
        }
        size_t esc = i++;
        switch (t[i]) {
        case '"':
        case '\\':
        case '/':
            out[o++] = (char)t[i++];
            continue;
        case 'b':
            out[o++] = '\b';
            i++;
            continue;
        case 'f':
            out[o++] = '\f';
            i++;
            continue;
        case 'n':
            out[o++] = '\n';
            i++;
            continue;
        case 'r':
            out[o++] = '\r';
            i++;
            continue;
        case 't':
            out[o++] = '\t';
            i++;
            continue;
        case 'u':
            break;
        default:
            fail(ps, esc, "invalid escape in string");
            goto bad;
        }
        int cu = end - esc >= 6 ? hex4(t + esc + 2) : -1;
        if (cu < 0) {
            fail(ps, esc, "invalid \\u escape in string");
            goto bad;
        }
        i = esc + 6;
        uint32_t cp = (uint32_t)cu;
        if (cp >= 0xdc00 && cp <= 0xdfff) {
            fail(ps, esc, "lone low surrogate in string");
            goto bad;
        }
        if (cp >= 0xd800 && cp <= 0xdbff) {
            int low = -1;
            if (end - i >= 6 && t[i] == '\\' && t[i + 1] == 'u')
                low = hex4(t + i + 2);
            if (low < 0xdc00 || low > 0xdfff) {
                fail(ps, esc, "lone high surrogate in string");
                goto bad;
            }
            cp = 0x10000 + ((cp - 0xd800) << 10) + ((uint32_t)low - 0xdc00);
            i += 6;
        }
        if (cp == 0) {
            fail(ps, esc, "NUL character in string");
            goto bad;
        }
        o += utf8_put(out + o, cp);
    }
    out[o] = '\0';
    ps->pos = end + 1;
    return out;
bad:
    free(out);
    return NULL;
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static struct json *parse_number(struct parser *ps)
{
    const unsigned char *t = ps->text;
    size_t start = ps->pos, i = start;
    if (i < ps->len && t[i] == '-')
        i++;
    if (i >= ps->len || !is_digit(t[i]))
        return fail(ps, i, "invalid number");
    if (t[i] == '0') {
        i++;
        if (i < ps->len && is_digit(t[i]))
            return fail(ps, start, "leading zero in number");
    } else {
        while (i < ps->len && is_digit(t[i]))
            i++;
    }
    if (i < ps->len && t[i] == '.') {
        i++;
        if (i >= ps->len || !is_digit(t[i]))
            return fail(ps, i, "digit expected after decimal point");
        while (i < ps->len && is_digit(t[i]))
            i++;
    }
    if (i < ps->len && (t[i] == 'e' || t[i] == 'E')) {
        i++;
        if (i < ps->len && (t[i] == '+' || t[i] == '-'))
            i++;
        if (i >= ps->len || !is_digit(t[i]))
            return fail(ps, i, "digit expected in exponent");
        while (i < ps->len && is_digit(t[i]))
            i++;
    }
    size_t n = i - start;
    if (n > JSON_MAX_NUMBER_LEN)
        return fail(ps, start, "number too long");
    char tmp[JSON_MAX_NUMBER_LEN + 1];
    memcpy(tmp, t + start, n);
    tmp[n] = '\0';
    char *endp;
    errno = 0;
    double v = strtod(tmp, &endp);
    if (endp != tmp + n)
        return fail(ps, start, "invalid number");
    if (!isfinite(v))
        return fail(ps, start, "number out of range");
    struct json *j = new_node(JSON_NUMBER);
    if (!j)
        return fail(ps, start, "out of memory");
    j->num = v;
    ps->pos = i;
    return j;
}

static bool match_word(struct parser *ps, const char *word)
{
    size_t n = strlen(word);
    if (ps->len - ps->pos < n || memcmp(ps->text + ps->pos, word, n) != 0)
        return false;
    ps->pos += n;
    return true;
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Duplicate member names are refused: sorting a copy of the names keeps this O(n log n). */
static bool has_duplicate_key(const struct json *j, bool *oom)
{
    *oom = false;
    if (j->n < 2)
        return false;
    if (j->n <= 8) {
        for (size_t a = 0; a < j->n; a++)
            for (size_t b = a + 1; b < j->n; b++)
                if (strcmp(j->keys[a], j->keys[b]) == 0)
                    return true;
        return false;
    }
    char **sorted = malloc(j->n * sizeof(*sorted));
    if (!sorted) {
        *oom = true;
        return false;
    }
    memcpy(sorted, j->keys, j->n * sizeof(*sorted));
    qsort(sorted, j->n, sizeof(*sorted), cmp_keys);
    bool dup = false;
    for (size_t a = 1; a < j->n && !dup; a++)
        dup = strcmp(sorted[a - 1], sorted[a]) == 0;
    free(sorted);
    return dup;
}

/* Appends an item (and its key, for objects); the arrays grow by doubling. */
static bool append(struct json *j, size_t *cap, struct json *item, char *key)
{
    if (j->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 4;
        struct json **items = realloc(j->items, ncap * sizeof(*items));
        if (!items)
            return false;
        j->items = items;
        if (j->type == JSON_OBJECT) {
            char **keys = realloc(j->keys, ncap * sizeof(*keys));
            if (!keys)
                return false;
            j->keys = keys;
        }
        *cap = ncap;
    }
    j->items[j->n] = item;
    if (j->type == JSON_OBJECT)
        j->keys[j->n] = key;
    j->n++;
    return true;
}

static struct json *parse_value(struct parser *ps, int depth);

static struct json *parse_container(struct parser *ps, int depth)
{
    size_t open = ps->pos;
    bool is_obj = ps->text[open] == '{';
    char close = is_obj ? '}' : ']';
    if (depth >= JSON_MAX_DEPTH)
        return fail(ps, open, "nesting too deep");
    struct json *j = new_node(is_obj ? JSON_OBJECT : JSON_ARRAY);
    if (!j)
        return fail(ps, open, "out of memory");
    size_t cap = 0;
    ps->pos++;
    skip_space(ps);
    if (ps->pos < ps->len && ps->text[ps->pos] == close) {
        ps->pos++;
        return j;
    }
    for (;;) {
        char *key = NULL;
        if (is_obj) {
            skip_space(ps);
            if (ps->pos >= ps->len || ps->text[ps->pos] != '"') {
                fail(ps, ps->pos, "member name expected");
                goto bad;
            }
            key = parse_string(ps);
            if (!key)
                goto bad;
            skip_space(ps);
            if (ps->pos >= ps->len || ps->text[ps->pos] != ':') {
                free(key);
                fail(ps, ps->pos, "':' expected");
                goto bad;
            }
            ps->pos++;
        }
        struct json *item = parse_value(ps, depth + 1);
        if (!item) {
            free(key);
            goto bad;
        }
        if (!append(j, &cap, item, key)) {
            free(key);
            json_free(item);
            fail(ps, ps->pos, "out of memory");
            goto bad;
        }
        skip_space(ps);
        if (ps->pos >= ps->len) {
            fail(ps, ps->pos, "unexpected end of input");
            goto bad;
        }
        unsigned char c = ps->text[ps->pos];
        if (c == close) {
            ps->pos++;
            break;
        }
        if (c != ',') {
            fail(ps, ps->pos, is_obj ? "',' or '}' expected" : "',' or ']' expected");
            goto bad;
        }
        ps->pos++;
    }
    if (is_obj) {
        bool oom;
        if (has_duplicate_key(j, &oom)) {
            fail(ps, open, "duplicate member name in object");
            goto bad;
        }
        if (oom) {
            fail(ps, open, "out of memory");
            goto bad;
        }
    }
    return j;
bad:
    json_free(j);
    return NULL;
}

static struct json *parse_value(struct parser *ps, int depth)
{
    skip_space(ps);
    if (ps->pos >= ps->len)
        return fail(ps, ps->pos, "unexpected end of input");
    size_t at = ps->pos;
    unsigned char c = ps->text[at];
    switch (c) {
    case '{':
    case '[':
        return parse_container(ps, depth);
    case '"': {
        char *s = parse_string(ps);
        if (!s)
            return NULL;
        struct json *j = new_node(JSON_STRING);
        if (!j) {
            free(s);
            return fail(ps, at, "out of memory");
        }
        j->str = s;
        return j;
    }
    case 't':
    case 'f':
    case 'n': {
        enum json_type type = c == 'n' ? JSON_NULL : JSON_BOOL;
        if (!match_word(ps, c == 't' ? "true" : c == 'f' ? "false" : "null"))
            return fail(ps, at, "invalid literal");
        struct json *j = new_node(type);
        if (!j)
            return fail(ps, at, "out of memory");
        j->b = c == 't';
        return j;
    }
    default:
        if (c == '-' || is_digit(c))
            return parse_number(ps);
        return fail(ps, at, "unexpected character");
    }
}

struct json *json_parse(const char *text, size_t len, char *err, size_t errlen)
{
    struct parser ps = {(const unsigned char *)text, text ? len : 0, 0, err, errlen};
    struct json *j = parse_value(&ps, 0);
    if (!j)
        return NULL;
    skip_space(&ps);
    if (ps.pos != ps.len) {
        json_free(j);
        return fail(&ps, ps.pos, "unexpected data after the value");
    }
    return j;
}

void json_free(struct json *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < j->n; i++) {
        json_free(j->items[i]);
        if (j->keys)
            free(j->keys[i]);
    }
    free(j->items);
    free(j->keys);
    free(j->str);
    free(j);
}

const struct json *json_get(const struct json *j, const char *key)
{
    if (!j || j->type != JSON_OBJECT || !key)
        return NULL;
    for (size_t i = 0; i < j->n; i++)
        if (strcmp(j->keys[i], key) == 0)
            return j->items[i];
    return NULL;
}

const char *json_get_str(const struct json *j, const char *key, const char *def)
{
    const struct json *m = json_get(j, key);
    return m && m->type == JSON_STRING ? m->str : def;
}

/* Beyond 2^53 a double no longer tells which integer the text held. */
#define JSON_MAX_EXACT_INT 9007199254740991.0

bool json_as_int(const struct json *j, int64_t min, int64_t max, int64_t *out)
{
    if (!j || j->type != JSON_NUMBER)
        return false;
    double v = j->num;
    if (!isfinite(v) || v != trunc(v) || fabs(v) > JSON_MAX_EXACT_INT)
        return false;
    int64_t i = (int64_t)v;
    if (i < min || i > max)
        return false;
    if (out)
        *out = i;
    return true;
}

bool json_get_int(const struct json *j, const char *key, int64_t min, int64_t max, int64_t *out)
{
    return json_as_int(json_get(j, key), min, max, out);
}

bool json_get_bool(const struct json *j, const char *key, bool def)
{
    const struct json *m = json_get(j, key);
    return m && m->type == JSON_BOOL ? m->b : def;
}

bool json_equal(const struct json *a, const struct json *b)
{
    if (!a || !b)
        return a == b;
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case JSON_NULL:
        return true;
    case JSON_BOOL:
        return a->b == b->b;
    case JSON_NUMBER:
        return a->num == b->num;
    case JSON_STRING:
        return strcmp(a->str, b->str) == 0;
    case JSON_ARRAY:
    case JSON_OBJECT:
        if (a->n != b->n)
            return false;
        for (size_t i = 0; i < a->n; i++) {
            if (a->type == JSON_OBJECT && strcmp(a->keys[i], b->keys[i]) != 0)
                return false;
            if (!json_equal(a->items[i], b->items[i]))
                return false;
        }
        return true;
    }
    return false;
}

/* ---- writer ---- */

void jw_init(struct jw *w)
{
    memset(w, 0, sizeof(*w));
    w->first[0] = true;
}

void jw_free(struct jw *w)
{
    free(w->tb.buf);
    jw_init(w);
}

static void put(struct jw *w, const char *s, size_t n)
{
    textbuf_put(&w->tb, s, n);
}

static void puts_(struct jw *w, const char *s)
{
    textbuf_puts(&w->tb, s);
}

/* Writes the comma that separates this value from the previous one, if any. */
static void before_value(struct jw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth > 0 && !w->first[w->depth])
        put(w, ",", 1);
    w->first[w->depth] = false;
}

/* Strings are written as valid UTF-8: bytes that do not form UTF-8 become U+FFFD. */
static void put_escaped(struct jw *w, const char *str)
{
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    size_t len = strlen((const char *)s);
    put(w, "\"", 1);
    size_t run = 0; /* bytes at s that need no escaping, written together */
    for (size_t i = 0; i < len;) {
        unsigned char c = s[i];
        char esc[8];
        const char *rep = NULL;
        size_t seq = 1;
        if (c == '"')
            rep = "\\\"";
        else if (c == '\\')
            rep = "\\\\";
        else if (c == '\n')
            rep = "\\n";
        else if (c == '\r')
            rep = "\\r";
        else if (c == '\t')
            rep = "\\t";
        else if (c == '\b')
            rep = "\\b";
        else if (c == '\f')
            rep = "\\f";
        else if (c < 0x20) {
            snprintf(esc, sizeof(esc), "\\u%04x", c);
            rep = esc;
        } else if (c >= 0x80) {
            seq = utf8_seq_len(s + i, len - i);
            if (seq == 0) {
                rep = "\\ufffd";
                seq = 1;
            }
        }
        if (!rep) {
            i += seq;
            run += seq;
            continue;
        }
        put(w, (const char *)s + i - run, run);
        run = 0;
        puts_(w, rep);
        i += seq;
    }
    put(w, (const char *)s + len - run, run);
    put(w, "\"", 1);
}

static void open_container(struct jw *w, char c)
{
    before_value(w);
    if (w->depth >= JSON_MAX_DEPTH) {
        w->tb.oom = true; /* the tracking has no room: the text could not be right */
        return;
    }
    put(w, &c, 1);
    w->depth++;
    w->first[w->depth] = true;
}

static void close_container(struct jw *w, char c)
{
    if (w->depth <= 0) {
        w->tb.oom = true;
        return;
    }
    w->depth--;
    put(w, &c, 1);
}

void jw_obj_begin(struct jw *w)
{
    open_container(w, '{');
}

void jw_obj_end(struct jw *w)
{
    close_container(w, '}');
}

void jw_arr_begin(struct jw *w)
{
    open_container(w, '[');
}

void jw_arr_end(struct jw *w)
{
    close_container(w, ']');
}

void jw_key(struct jw *w, const char *key)
{
    before_value(w);
    put_escaped(w, key);
    put(w, ":", 1);
    w->after_key = true;
}

void jw_str(struct jw *w, const char *s)
{
    before_value(w);
    put_escaped(w, s);
}

void jw_int(struct jw *w, int64_t v)
{
    char tmp[24];
    before_value(w);
    put(w, tmp, (size_t)snprintf(tmp, sizeof(tmp), "%" PRId64, v));
}

void jw_uint(struct jw *w, uint64_t v)
{
    char tmp[24];
    before_value(w);
    put(w, tmp, (size_t)snprintf(tmp, sizeof(tmp), "%" PRIu64, v));
}

/* The shortest of %.15g..%.17g that reads back as the same double; JSON has no NaN or
 * infinity, so those are written as null. */
void jw_double(struct jw *w, double v)
{
    if (!isfinite(v)) {
        jw_null(w);
        return;
    }
    char tmp[40];
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    before_value(w);
    put(w, tmp, (size_t)n);
}

void jw_bool(struct jw *w, bool v)
{
    before_value(w);
    puts_(w, v ? "true" : "false");
}

void jw_null(struct jw *w)
{
    before_value(w);
    puts_(w, "null");
}

void jw_raw(struct jw *w, const char *json_text)
{
    before_value(w);
    puts_(w, json_text ? json_text : "null");
}

void jw_kstr(struct jw *w, const char *key, const char *s)
{
    jw_key(w, key);
    jw_str(w, s);
}

void jw_kint(struct jw *w, const char *key, int64_t v)
{
    jw_key(w, key);
    jw_int(w, v);
}

void jw_kuint(struct jw *w, const char *key, uint64_t v)
{
    jw_key(w, key);
    jw_uint(w, v);
}

void jw_kbool(struct jw *w, const char *key, bool v)
{
    jw_key(w, key);
    jw_bool(w, v);
}

void jw_json(struct jw *w, const struct json *j)
{
    if (!j) {
        jw_null(w);
        return;
    }
    switch (j->type) {
    case JSON_NULL:
        jw_null(w);
        break;
    case JSON_BOOL:
        jw_bool(w, j->b);
        break;
    case JSON_NUMBER:
        jw_double(w, j->num);
        break;
    case JSON_STRING:
        jw_str(w, j->str);
        break;
    case JSON_ARRAY:
    case JSON_OBJECT:
        if (j->type == JSON_OBJECT)
            jw_obj_begin(w);
        else
            jw_arr_begin(w);
        for (size_t i = 0; i < j->n; i++) {
            if (j->type == JSON_OBJECT)
                jw_key(w, j->keys[i]);
            jw_json(w, j->items[i]);
        }
        if (j->type == JSON_OBJECT)
            jw_obj_end(w);
        else
            jw_arr_end(w);
        break;
    }
}

const char *jw_text(const struct jw *w)
{
    if (w->tb.oom)
        return NULL;
    return w->tb.buf ? w->tb.buf : "";
}

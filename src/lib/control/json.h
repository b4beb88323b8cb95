/* json.h - a small JSON reader (to a tree) and writer (to a growing buffer).
 * Used for the control protocol and the stored configuration; input is untrusted and bounded. */
#ifndef SLUICE_JSON_H
#define SLUICE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "textbuf.h"

#define JSON_MAX_DEPTH 32

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
    enum json_type type;
    bool b;
    double num;
    char *str; /* NUL-terminated; strings with an embedded NUL are refused */
    size_t n;  /* items in an array or members in an object */
    struct json **items;
    char **keys; /* object member names, parallel to items */
};

/* Parses exactly one JSON value (surrounding whitespace allowed). Returns NULL and a
 * message naming the byte offset on any error. Depth is limited to JSON_MAX_DEPTH.
 * Strict RFC 8259: no comments or trailing commas; strings must be valid UTF-8; an object
 * with a duplicate member name is refused; numbers that overflow a double or are longer than
 * 128 characters are refused. `text` need not be NUL-terminated. */
struct json *json_parse(const char *text, size_t len, char *err, size_t errlen);
void json_free(struct json *j);

/* Member of an object, or NULL if j is not an object or has no such member. */
const struct json *json_get(const struct json *j, const char *key);
/* String member or `def` if absent or not a string. */
const char *json_get_str(const struct json *j, const char *key, const char *def);
/* Integer member: false if absent, not a number, not integral, or outside [min, max]. */
bool json_get_int(const struct json *j, const char *key, int64_t min, int64_t max, int64_t *out);
bool json_get_bool(const struct json *j, const char *key, bool def);
/* A number that is integral and within [min, max]. Magnitudes above 2^53 - 1 are refused:
 * a double cannot tell which integer such text held. */
bool json_as_int(const struct json *j, int64_t min, int64_t max, int64_t *out);
/* Same types, values, member names and order. */
bool json_equal(const struct json *a, const struct json *b);

/* Writer: commas and nesting are tracked for the caller; strings are escaped (and bytes that
 * are not UTF-8 written as U+FFFD). `oom` is set on an allocation failure, and also on nesting
 * deeper than JSON_MAX_DEPTH or an unmatched end; after it, calls do nothing. */
struct jw {
    struct textbuf tb; /* the text; tb.oom after an allocation failure */
    int depth;
    bool first[JSON_MAX_DEPTH + 1];
    bool after_key;
};

void jw_init(struct jw *w);
void jw_free(struct jw *w);
void jw_obj_begin(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w);
void jw_arr_end(struct jw *w);
void jw_key(struct jw *w, const char *key);
void jw_str(struct jw *w, const char *s);
void jw_int(struct jw *w, int64_t v);
void jw_uint(struct jw *w, uint64_t v);
void jw_double(struct jw *w, double v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
/* Inserts already-encoded JSON text as one value. */
void jw_raw(struct jw *w, const char *json_text);
/* Writes a parsed tree as one value (numbers through jw_double). */
void jw_json(struct jw *w, const struct json *j);
/* Shorthands for a key followed by a value. */
void jw_kstr(struct jw *w, const char *key, const char *s);
void jw_kint(struct jw *w, const char *key, int64_t v);
void jw_kuint(struct jw *w, const char *key, uint64_t v);
void jw_kbool(struct jw *w, const char *key, bool v);
/* The text so far, NUL-terminated, or NULL after an allocation failure. */
const char *jw_text(const struct jw *w);

#endif

/* test_json.c - unit tests of the JSON reader and writer: values, round trips, every
 * rejection of malformed input, writer escaping and integer limits. */
#include "json.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* Parses a copy of exactly strlen(text) bytes, so reading past the end trips ASan. */
static struct json *parse_n(const char *text, size_t len, char *err, size_t errlen)
{
    char *copy = malloc(len ? len : 1);
    memcpy(copy, text, len);
    struct json *j = json_parse(copy, len, err, errlen);
    free(copy);
    return j;
}

static struct json *parse(const char *text)
{
    char err[128];
    struct json *j = parse_n(text, strlen(text), err, sizeof(err));
    if (!j)
        fprintf(stderr, "unexpected parse error for %s: %s\n", text, err);
    return j;
}

/* Expects a rejection whose message contains `what` and names byte `at`. */
static void reject_n(const char *text, size_t len, const char *what, long at, int line)
{
    char err[128] = "";
    struct json *j = parse_n(text, len, err, sizeof(err));
    int shown = len > 80 ? 80 : (int)len; /* failure reports show the start of long texts */
    check_count++;
    if (j) {
        fprintf(stderr, "line %d: accepted %.*s\n", line, shown, text);
        check_failures++;
        json_free(j);
        return;
    }
    char where[40];
    snprintf(where, sizeof(where), "at byte %ld", at);
    if (!strstr(err, what) || (at >= 0 && !strstr(err, where))) {
        fprintf(stderr, "line %d: for %.*s got \"%s\", wanted \"%s\" %s\n", line, shown, text, err,
                what, at >= 0 ? where : "");
        check_failures++;
    }
}
#define REJECT(text, what, at) reject_n(text, strlen(text), what, at, __LINE__)

/* Serializes a tree with the writer. Caller frees. */
static char *dump(const struct json *j)
{
    struct jw w;
    jw_init(&w);
    jw_json(&w, j);
    const char *t = jw_text(&w);
    char *out = t ? strdup(t) : NULL;
    jw_free(&w);
    return out;
}

static void check_round_trip(const char *text, const char *canonical, int line)
{
    struct json *j = parse(text);
    check_count++;
    if (!j) {
        fprintf(stderr, "line %d: parse failed\n", line);
        check_failures++;
        return;
    }
    char *out = dump(j);
    struct json *again = out ? parse(out) : NULL;
    check_count++;
    if (!out || strcmp(out, canonical) != 0 || !json_equal(j, again)) {
        fprintf(stderr, "line %d: %s wrote %s, wanted %s\n", line, text, out ? out : "(null)",
                canonical);
        check_failures++;
    }
    free(out);
    json_free(again);
    json_free(j);
}
#define ROUND_TRIP(text, canonical) check_round_trip(text, canonical, __LINE__)

static void test_values(void)
{
    struct json *j = parse(" {\"a\": [1, -2.5, true, false, null, \"x\"], \"b\": {}}\r\n\t");
    CHECK(j && j->type == JSON_OBJECT && j->n == 2);
    if (j) {
        const struct json *a = json_get(j, "a");
        CHECK(a && a->type == JSON_ARRAY && a->n == 6);
        if (a && a->n == 6) {
            CHECK(a->items[0]->type == JSON_NUMBER && a->items[0]->num == 1);
            CHECK(a->items[1]->num == -2.5);
            CHECK(a->items[2]->type == JSON_BOOL && a->items[2]->b);
            CHECK(a->items[3]->type == JSON_BOOL && !a->items[3]->b);
            CHECK(a->items[4]->type == JSON_NULL);
            CHECK_STR(a->items[5]->str, "x");
        }
        const struct json *b = json_get(j, "b");
        CHECK(b && b->type == JSON_OBJECT && b->n == 0);
        CHECK(json_get(j, "c") == NULL);
        CHECK(json_get(a, "a") == NULL); /* not an object */
        json_free(j);
    }

    j = parse("\"q\\\"b\\\\s\\/n\\nt\\tr\\rb\\bf\\f\"");
    CHECK(j && j->type == JSON_STRING);
    if (j)
        CHECK_STR(j->str, "q\"b\\s/n\nt\tr\rb\bf\f");
    json_free(j);

    j = parse("\"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\"");
    CHECK(j != NULL);
    if (j)
        CHECK_STR(j->str, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    json_free(j);

    j = parse("\"raw \xc3\xa9 \xf0\x9f\x98\x80 \xef\xbf\xbf\"");
    CHECK(j != NULL);
    if (j)
        CHECK_STR(j->str, "raw \xc3\xa9 \xf0\x9f\x98\x80 \xef\xbf\xbf");
    json_free(j);

    const struct {
        const char *text;
        double value;
    } nums[] = {
        {"0", 0},        {"-0", -0.0},     {"1.5e3", 1500}, {"-1E-2", -0.01},         {"1e+2", 100},
        {"2.5E-0", 2.5}, {"1e308", 1e308}, {"1e-400", 0},   {"123456789", 123456789}, {"0.1", 0.1}};
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        j = parse(nums[i].text);
        CHECK(j && j->type == JSON_NUMBER && j->num == nums[i].value);
        json_free(j);
    }
    j = parse("-0");
    CHECK(j && signbit(j->num));
    json_free(j);

    /* A text need not end with NUL: only len bytes count. */
    j = json_parse("123456", 3, NULL, 0);
    CHECK(j && j->num == 123);
    json_free(j);
    j = json_parse("[1]]", 3, NULL, 0);
    CHECK(j && j->n == 1);
    json_free(j);

    /* Exactly the maximum number length is accepted. */
    char longnum[130];
    memset(longnum, '1', 128);
    longnum[128] = '\0';
    j = parse(longnum);
    CHECK(j && j->num > 1e127);
    json_free(j);
}

static void test_rejections(void)
{
    char err[128];
    CHECK(json_parse(NULL, 0, err, sizeof(err)) == NULL);
    REJECT("", "unexpected end of input", 0);
    REJECT("   ", "unexpected end of input", 3);

    /* trailing commas and other structure errors */
    REJECT("[1,]", "unexpected character", 3);
    REJECT("{\"a\":1,}", "member name expected", 7);
    REJECT("[1 2]", "',' or ']' expected", 3);
    REJECT("{\"a\" 1}", "':' expected", 5);
    REJECT("{a:1}", "member name expected", 1);
    REJECT("{1:1}", "member name expected", 1);
    REJECT("{'a':1}", "member name expected", 1);
    REJECT("[,1]", "unexpected character", 1);
    REJECT("[1,,2]", "unexpected character", 3);
    REJECT("{\"a\":1 \"b\":2}", "',' or '}' expected", 7);
    REJECT("{\"a\":1,\"a\":2}", "duplicate member name", 0);
    REJECT("/* c */ 1", "unexpected character", 0);
    REJECT("[1] // c", "unexpected data after the value", 4);
    REJECT("]", "unexpected character", 0);

    /* escapes */
    REJECT("\"\\x\"", "invalid escape", 1);
    REJECT("\"ab\\'\"", "invalid escape", 3);
    REJECT("\"\\u12G4\"", "invalid \\u escape", 1);
    REJECT("\"\\u12\"", "invalid \\u escape", 1);
    REJECT("\"\\u\"", "invalid \\u escape", 1);
    REJECT("\"\\ud800\"", "lone high surrogate", 1);
    REJECT("\"\\ud800x\"", "lone high surrogate", 1);
    REJECT("\"\\ud800\\u0041\"", "lone high surrogate", 1);
    REJECT("\"\\ud800\\ud800\"", "lone high surrogate", 1);
    REJECT("\"\\udc00\"", "lone low surrogate", 1);
    REJECT("\"a\\u0000b\"", "NUL character", 2);

    /* strings */
    REJECT("\"abc", "unterminated string", 0);
    REJECT("\"abc\\\"", "unterminated string", 0);
    REJECT("\"abc\\", "unterminated string", 0);
    REJECT("{\"ab", "unterminated string", 1);
    REJECT("\"a\nb\"", "unescaped control character", 2);
    REJECT("\"a\tb\"", "unescaped control character", 2);
    REJECT("\"\x1f\"", "unescaped control character", 1);
    reject_n("\"a\0b\"", 5, "unescaped control character", 2, __LINE__);
    REJECT("\"\xc0\x80\"", "invalid UTF-8", 1);         /* overlong NUL */
    REJECT("\"\xe0\x80\xaf\"", "invalid UTF-8", 1);     /* overlong '/' */
    REJECT("\"\xed\xa0\x80\"", "invalid UTF-8", 1);     /* encoded surrogate */
    REJECT("\"\xf4\x90\x80\x80\"", "invalid UTF-8", 1); /* above U+10FFFF */
    REJECT("\"\xf5\x80\x80\x80\"", "invalid UTF-8", 1);
    REJECT("\"a\x80\"", "invalid UTF-8", 2); /* lone continuation byte */
    REJECT("\"\xc3\"", "invalid UTF-8", 1);  /* cut short by the quote */
    REJECT("\"\xe2\x82\"", "invalid UTF-8", 1);
    REJECT("\xef\xbb\xbf"
           "1",
           "unexpected character", 0); /* byte order mark */

    /* numbers */
    REJECT("01", "leading zero", 0);
    REJECT("-01", "leading zero", 0);
    REJECT("00", "leading zero", 0);
    REJECT("-", "invalid number", 1);
    REJECT("-a", "invalid number", 1);
    REJECT("+1", "unexpected character", 0);
    REJECT(".5", "unexpected character", 0);
    REJECT("1.", "digit expected after decimal point", 2);
    REJECT("1.e5", "digit expected after decimal point", 2);
    REJECT("1e", "digit expected in exponent", 2);
    REJECT("1e+", "digit expected in exponent", 3);
    REJECT("0x10", "unexpected data after the value", 1);
    REJECT("1e400", "number out of range", 0);
    REJECT("-1e400", "number out of range", 0);
    REJECT("[1e309]", "number out of range", 1);
    REJECT("NaN", "unexpected character", 0);
    REJECT("Infinity", "unexpected character", 0);
    REJECT("-Infinity", "invalid number", 1);
    char longnum[140];
    memset(longnum, '1', 129);
    longnum[129] = '\0';
    REJECT(longnum, "number too long", 0);

    /* literals */
    REJECT("tru", "invalid literal", 0);
    REJECT("nul", "invalid literal", 0);
    REJECT("True", "unexpected character", 0);
    REJECT("falsey", "unexpected data after the value", 5);

    /* garbage after the value */
    REJECT("1 2", "unexpected data after the value", 2);
    REJECT("{} x", "unexpected data after the value", 3);
    REJECT("\"a\"\"b\"", "unexpected data after the value", 3);

    /* truncated input */
    REJECT("{\"a\":", "unexpected end of input", 5);
    REJECT("{\"a\"", "':' expected", 4);
    REJECT("{\"a\":1", "unexpected end of input", 6);
    REJECT("[1,", "unexpected end of input", 3);
    REJECT("[", "unexpected end of input", 1);
    REJECT("{", "member name expected", 1);
    REJECT("[1", "unexpected end of input", 2);
    REJECT("-1.5e", "digit expected in exponent", 5);

    /* errors without room for a message are still errors */
    CHECK(json_parse("[", 1, NULL, 0) == NULL);
    CHECK(json_parse("[", 1, err, 1) == NULL && err[0] == '\0');
}

static void test_depth(void)
{
    char text[2 * (JSON_MAX_DEPTH + 1) + 1];
    /* JSON_MAX_DEPTH nested containers are accepted, one more is not. */
    for (int d = JSON_MAX_DEPTH; d <= JSON_MAX_DEPTH + 1; d++) {
        for (int i = 0; i < d; i++) {
            text[i] = '[';
            text[d + i] = ']';
        }
        text[2 * d] = '\0';
        char err[128] = "";
        struct json *j = parse_n(text, strlen(text), err, sizeof(err));
        if (d == JSON_MAX_DEPTH) {
            CHECK(j != NULL);
            char *out = j ? dump(j) : NULL;
            CHECK_STR(out, text);
            free(out);
        } else {
            CHECK(j == NULL);
            CHECK(strstr(err, "nesting too deep at byte 32") != NULL);
        }
        json_free(j);
    }
    /* Objects count too, and a long run of openers fails fast. */
    REJECT("{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":"
           "{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":"
           "{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}"
           "}}}",
           "nesting too deep", -1);
    size_t big = 256 * 1024;
    char *deep = malloc(big);
    memset(deep, '[', big);
    reject_n(deep, big, "nesting too deep", 32, __LINE__);
    free(deep);
}

static void test_large(void)
{
    /* 256 KiB of array items: the reader's work and memory stay proportional. */
    size_t big = 256 * 1024;
    char *text = malloc(big);
    text[0] = '[';
    size_t len = 1;
    size_t count = 0;
    while (len + 3 < big) {
        text[len++] = '7';
        text[len++] = ',';
        count++;
    }
    text[len - 1] = ']';
    struct json *j = json_parse(text, len, NULL, 0);
    CHECK(j && j->type == JSON_ARRAY && j->n == count);
    json_free(j);

    /* Many distinct member names are fine, one repeated far apart is not. */
    struct jw w;
    jw_init(&w);
    jw_obj_begin(&w);
    for (int i = 0; i < 5000; i++) {
        char key[16];
        snprintf(key, sizeof(key), "k%d", i);
        jw_kint(&w, key, i);
    }
    jw_obj_end(&w);
    const char *t = jw_text(&w);
    j = parse(t);
    CHECK(j && j->n == 5000);
    int64_t v = -1;
    CHECK(json_get_int(j, "k4999", 0, 10000, &v) && v == 4999);
    json_free(j);
    /* Append a duplicate of the first member. */
    size_t tl = strlen(t);
    char *dup = malloc(tl + 16);
    memcpy(dup, t, tl - 1);
    strcpy(dup + tl - 1, ",\"k0\":1}");
    REJECT(dup, "duplicate member name", 0);
    free(dup);
    jw_free(&w);
    free(text);
}

static void test_round_trips(void)
{
    ROUND_TRIP(" { \"a\" : [ 1 , 2 ] , \"b\" : { \"c\" : null } } ",
               "{\"a\":[1,2],\"b\":{\"c\":null}}");
    ROUND_TRIP("[]", "[]");
    ROUND_TRIP("{}", "{}");
    ROUND_TRIP("[[],{},[{}]]", "[[],{},[{}]]");
    ROUND_TRIP("[true,false,null]", "[true,false,null]");
    ROUND_TRIP("[0.1,-0,1e300,1.5E-7,123456789012]", "[0.1,-0,1e+300,1.5e-07,123456789012]");
    ROUND_TRIP("\"\\u00e9\\ud83d\\ude00\"", "\"\xc3\xa9\xf0\x9f\x98\x80\"");
    ROUND_TRIP("\"\\u001f\\b\\\"\\\\\\/\"", "\"\\u001f\\b\\\"\\\\/\"");
    ROUND_TRIP("{\"\\n\":\"\\t\"}", "{\"\\n\":\"\\t\"}");
    ROUND_TRIP("[0.30000000000000004,2.2250738585072014e-308,5e-324]",
               "[0.30000000000000004,2.2250738585072014e-308,4.94065645841247e-324]");
}

static char *write_one(void (*fn)(struct jw *, const void *), const void *arg)
{
    struct jw w;
    jw_init(&w);
    fn(&w, arg);
    const char *t = jw_text(&w);
    char *out = t ? strdup(t) : NULL;
    jw_free(&w);
    return out;
}

static void w_str(struct jw *w, const void *s)
{
    jw_str(w, s);
}

static void w_double(struct jw *w, const void *d)
{
    jw_double(w, *(const double *)d);
}

static void test_writer(void)
{
    char *s = write_one(w_str, "q\"b\\c\nr\rt\tb\bf\f\x01\x1f\x7f/");
    CHECK_STR(s, "\"q\\\"b\\\\c\\nr\\rt\\tb\\bf\\f\\u0001\\u001f\x7f/\"");
    free(s);
    s = write_one(w_str, "\xc3\xa9 ok \xf0\x9f\x98\x80");
    CHECK_STR(s, "\"\xc3\xa9 ok \xf0\x9f\x98\x80\"");
    free(s);
    /* Bytes that are not UTF-8 become U+FFFD, so the output always parses. */
    s = write_one(w_str, "a\xff"
                         "b\xc3"
                         "c\xed\xa0\x80");
    CHECK_STR(s, "\"a\\ufffdb\\ufffdc\\ufffd\\ufffd\\ufffd\"");
    struct json *j = s ? parse(s) : NULL;
    CHECK(j && strcmp(j->str, "a\xef\xbf\xbd"
                              "b\xef\xbf\xbd"
                              "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd") == 0);
    json_free(j);
    free(s);

    const struct {
        double v;
        const char *text;
    } dbl[] = {{0.1, "0.1"},       {1.0 / 3, "0.3333333333333333"},
               {-2.5, "-2.5"},     {1e21, "1e+21"},
               {100, "100"},       {NAN, "null"},
               {INFINITY, "null"}, {-0.0, "-0"}};
    for (size_t i = 0; i < sizeof(dbl) / sizeof(dbl[0]); i++) {
        s = write_one(w_double, &dbl[i].v);
        CHECK_STR(s, dbl[i].text);
        free(s);
    }

    struct jw w;
    jw_init(&w);
    CHECK_STR(jw_text(&w), "");
    jw_obj_begin(&w);
    jw_kint(&w, "min", INT64_MIN);
    jw_kint(&w, "max", INT64_MAX);
    jw_kuint(&w, "umax", UINT64_MAX);
    jw_kbool(&w, "t", true);
    jw_kstr(&w, "s", "v");
    jw_key(&w, "arr");
    jw_arr_begin(&w);
    jw_int(&w, 0);
    jw_null(&w);
    jw_arr_begin(&w);
    jw_arr_end(&w);
    jw_obj_begin(&w);
    jw_obj_end(&w);
    jw_raw(&w, "{\"r\":1}");
    jw_bool(&w, false);
    jw_double(&w, 1.5);
    jw_arr_end(&w);
    jw_key(&w, "o");
    jw_obj_begin(&w);
    jw_kstr(&w, "k\"", "v");
    jw_obj_end(&w);
    jw_obj_end(&w);
    CHECK_STR(jw_text(&w), "{\"min\":-9223372036854775808,\"max\":9223372036854775807,"
                           "\"umax\":18446744073709551615,\"t\":true,\"s\":\"v\","
                           "\"arr\":[0,null,[],{},{\"r\":1},false,1.5],\"o\":{\"k\\\"\":\"v\"}}");
    j = parse(jw_text(&w));
    CHECK(j && j->n == 7);
    json_free(j);
    jw_free(&w);
    CHECK_STR(jw_text(&w), "");

    /* Top-level sequence of values: no commas outside containers. */
    jw_init(&w);
    jw_int(&w, 1);
    CHECK_STR(jw_text(&w), "1");
    jw_free(&w);

    /* Nesting past the limit or an unmatched end fails the writer, and it stays failed. */
    jw_init(&w);
    for (int i = 0; i < JSON_MAX_DEPTH; i++)
        jw_arr_begin(&w);
    CHECK(!w.tb.oom && jw_text(&w) != NULL);
    jw_arr_begin(&w);
    CHECK(w.tb.oom && jw_text(&w) == NULL);
    jw_int(&w, 1);
    CHECK(jw_text(&w) == NULL);
    jw_free(&w);
    jw_init(&w);
    jw_arr_end(&w);
    CHECK(jw_text(&w) == NULL);
    jw_free(&w);
}

static void test_get(void)
{
    struct json *j = parse("{\"i\":42,\"neg\":-7,\"f\":1.5,\"s\":\"str\",\"b\":true,\"big\":1e20,"
                           "\"safe\":9007199254740991,\"unsafe\":9007199254740992,"
                           "\"nsafe\":-9007199254740991,\"z\":-0,\"e\":4.2e1}");
    CHECK(j != NULL);
    if (!j)
        return;
    int64_t v = 0;
    CHECK(json_get_int(j, "i", 0, 100, &v) && v == 42);
    CHECK(json_get_int(j, "i", 42, 42, &v) && v == 42);
    v = 5;
    CHECK(!json_get_int(j, "i", 0, 41, &v) && v == 5);
    CHECK(!json_get_int(j, "i", 43, 100, &v));
    CHECK(json_get_int(j, "neg", -7, 0, &v) && v == -7);
    CHECK(!json_get_int(j, "neg", -6, 0, &v));
    CHECK(!json_get_int(j, "f", INT64_MIN, INT64_MAX, &v));
    CHECK(!json_get_int(j, "s", INT64_MIN, INT64_MAX, &v));
    CHECK(!json_get_int(j, "b", INT64_MIN, INT64_MAX, &v));
    CHECK(!json_get_int(j, "absent", INT64_MIN, INT64_MAX, &v));
    CHECK(!json_get_int(j, "big", INT64_MIN, INT64_MAX, &v));
    CHECK(json_get_int(j, "safe", INT64_MIN, INT64_MAX, &v) && v == 9007199254740991LL);
    CHECK(!json_get_int(j, "unsafe", INT64_MIN, INT64_MAX, &v));
    CHECK(json_get_int(j, "nsafe", INT64_MIN, INT64_MAX, &v) && v == -9007199254740991LL);
    CHECK(json_get_int(j, "z", 0, 0, &v) && v == 0);
    CHECK(json_get_int(j, "e", 0, 100, &v) && v == 42);
    CHECK(!json_get_int(NULL, "i", 0, 100, &v));
    CHECK(json_as_int(json_get(j, "i"), 0, 100, NULL));
    CHECK(!json_as_int(NULL, 0, 100, &v));
    CHECK(!json_as_int(j, 0, 100, &v)); /* an object */

    CHECK_STR(json_get_str(j, "s", "d"), "str");
    CHECK_STR(json_get_str(j, "i", "d"), "d");
    CHECK_STR(json_get_str(j, "absent", "d"), "d");
    CHECK(json_get_str(j, "absent", NULL) == NULL);
    CHECK(json_get_bool(j, "b", false) == true);
    CHECK(json_get_bool(j, "i", false) == false);
    CHECK(json_get_bool(j, "absent", true) == true);
    json_free(j);

    struct json *a = parse("{\"x\":[1,\"a\"]}"), *b = parse("{\"x\":[1,\"a\"]}");
    struct json *c = parse("{\"x\":[1,\"b\"]}"), *d = parse("{\"y\":[1,\"a\"]}");
    CHECK(json_equal(a, b));
    CHECK(!json_equal(a, c));
    CHECK(!json_equal(a, d));
    CHECK(!json_equal(a, NULL));
    json_free(a);
    json_free(b);
    json_free(c);
    json_free(d);
    json_free(NULL);
}

int main(void)
{
    test_values();
    test_rejections();
    test_depth();
    test_large();
    test_round_trips();
    test_writer();
    test_get();
    return check_exit();
}

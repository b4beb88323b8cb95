/* fuzz_json.c - libFuzzer target for the JSON reader: any input either is refused or parses,
 * and a parsed tree written back by the writer parses again to an equal tree and same text. */
#include "json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char *write_tree(const struct json *j)
{
    struct jw w;
    jw_init(&w);
    jw_json(&w, j);
    const char *t = jw_text(&w);
    char *out = t ? strdup(t) : NULL;
    jw_free(&w);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[128];
    /* A copy of exactly `size` bytes, so any read past the end is caught. */
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    struct json *j = json_parse(text, size, err, sizeof(err));
    free(text);
    if (!j) {
        if (!strstr(err, " at byte "))
            abort();
        return 0;
    }
    /* The accessors must cope with any tree. */
    int64_t v;
    (void)json_as_int(j, INT64_MIN, INT64_MAX, &v);
    (void)json_get_int(j, "id", 0, 100, &v);
    (void)json_get_str(j, "method", NULL);
    (void)json_get_bool(j, "x", false);

    char *out = write_tree(j);
    if (!out)
        abort();
    struct json *again = json_parse(out, strlen(out), err, sizeof(err));
    if (!again || !json_equal(j, again))
        abort();
    char *out2 = write_tree(again);
    if (!out2 || strcmp(out, out2) != 0)
        abort();
    free(out2);
    free(out);
    json_free(again);
    json_free(j);
    return 0;
}

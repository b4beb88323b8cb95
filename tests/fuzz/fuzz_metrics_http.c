/* fuzz_metrics_http.c - the metrics endpoint's untrusted inputs: request heads from clients,
 * and label values (port names) written into the exposition text. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httpreq.h"
#include "promtext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    struct http_request rq;
    size_t max = size > 16 ? size - (data[0] % 16) : size;
    enum http_parse st = http_request_parse(buf, size, max, &rq);
    if (st == HTTP_OK) {
        if (rq.head_len == 0 || rq.head_len > size || rq.path[0] != '/' || !rq.method[0] ||
            strlen(rq.path) >= HTTP_TARGET_MAX || rq.minor < 0 || rq.minor > 9)
            __builtin_trap();
        /* The same head alone parses the same way. */
        struct http_request again;
        if (http_request_parse(buf, rq.head_len, max, &again) != HTTP_OK ||
            strcmp(again.path, rq.path) != 0 || again.head_len != rq.head_len)
            __builtin_trap();
    }

    /* Any bytes as a label value: one line, no raw newline, quotes always escaped. */
    char *value = malloc(size + 1);
    memcpy(value, data, size);
    value[size] = '\0';
    struct promtext pt;
    pt_init(&pt);
    struct pt_label l[] = {{"port", value}};
    pt_sample(&pt, "m_total", l, 1, 1);
    if (!pt.tb.oom) {
        char *nl = strchr(pt.tb.buf, '\n');
        if (!nl || nl[1] != '\0' || strncmp(pt.tb.buf, "m_total{port=\"", 14) != 0 ||
            strcmp(nl - 4, "\"} 1\n") != 0)
            __builtin_trap();
        for (const char *p = pt.tb.buf + 14; p < nl - 4; p++) {
            if (*p == '\\')
                p++;
            else if (*p == '"')
                __builtin_trap();
        }
    }
    pt_free(&pt);
    free(value);
    return 0;
}

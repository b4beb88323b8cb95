/* httpreq.h - checks an HTTP/1.x request head received from an untrusted client: the
 * request line (method, target, version) and that header lines are well formed. */
#ifndef SLUICE_HTTPREQ_H
#define SLUICE_HTTPREQ_H

#include <stddef.h>

#define HTTP_METHOD_MAX 16
#define HTTP_TARGET_MAX 256

enum http_parse {
    HTTP_INCOMPLETE, /* no complete head yet, and nothing wrong so far */
    HTTP_OK,         /* a complete, well-formed head */
    HTTP_BAD,        /* malformed: answer 400 */
    HTTP_TOO_LARGE,  /* no end of head within the limit: answer 431 */
};

struct http_request {
    char method[HTTP_METHOD_MAX]; /* upper-case letters */
    char path[HTTP_TARGET_MAX];   /* the target's path, without its query */
    int minor;                    /* HTTP/1.minor */
    size_t head_len;              /* bytes up to and including the blank line */
};

/* Examines the bytes received so far. max bounds the head; a malformed request line is
 * reported as soon as it is complete (or as soon as it can no longer become valid). */
enum http_parse http_request_parse(const char *buf, size_t len, size_t max,
                                   struct http_request *req);

#endif

/* httpreq.c - validates an HTTP/1.x request head: "METHOD SP /target SP HTTP/1.d" then
 * header lines "name: value" up to an empty line. Line ends may be CRLF or a bare LF. */
#include "httpreq.h"

#include <stdbool.h>
#include <string.h>

static bool is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* The request line without its line end. */
static bool request_line(const char *s, size_t n, struct http_request *req)
{
    size_t i = 0, m = 0;
    while (i < n && s[i] >= 'A' && s[i] <= 'Z' && m < HTTP_METHOD_MAX - 1)
        req->method[m++] = s[i++];
    req->method[m] = '\0';
    if (m == 0 || i >= n || s[i] != ' ')
        return false;
    i++;
    size_t t = i;
    while (i < n && (unsigned char)s[i] > 0x20 && (unsigned char)s[i] < 0x7f)
        i++;
    size_t tlen = i - t;
    if (tlen == 0 || tlen >= HTTP_TARGET_MAX || s[t] != '/' || i >= n || s[i] != ' ')
        return false;
    size_t plen = 0;
    while (plen < tlen && s[t + plen] != '?')
        plen++;
    memcpy(req->path, s + t, plen);
    req->path[plen] = '\0';
    i++;
    if (n - i != 8 || memcmp(s + i, "HTTP/1.", 7) != 0 || s[i + 7] < '0' || s[i + 7] > '9')
        return false;
    req->minor = s[i + 7] - '0';
    return true;
}

/* A header line without its line end: a token, a colon, then visible characters, spaces or
 * tabs. Folded continuation lines (leading white space) are refused. */
static bool header_line(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && is_tchar((unsigned char)s[i]))
        i++;
    if (i == 0 || i >= n || s[i] != ':')
        return false;
    for (i++; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c != '\t' && (c < 0x20 || c == 0x7f))
            return false;
    }
    return true;
}

enum http_parse http_request_parse(const char *buf, size_t len, size_t max,
                                   struct http_request *req)
{
    memset(req, 0, sizeof(*req));
    size_t scan = len < max ? len : max;
    size_t start = 0;
    bool first = true;
    while (start < scan) {
        const char *nl = memchr(buf + start, '\n', scan - start);
        if (!nl)
            break;
        size_t end = (size_t)(nl - buf); /* index of the LF */
        size_t n = end - start;
        if (n && buf[end - 1] == '\r')
            n--;
        if (memchr(buf + start, '\0', n) || memchr(buf + start, '\r', n))
            return HTTP_BAD;
        if (first) {
            if (!request_line(buf + start, n, req))
                return HTTP_BAD;
            first = false;
        } else if (n == 0) {
            req->head_len = end + 1;
            return HTTP_OK;
        } else if (!header_line(buf + start, n)) {
            return HTTP_BAD;
        }
        start = end + 1;
    }
    /* An unfinished request line that already cannot be valid is refused now. */
    if (first) {
        size_t n = scan;
        if (memchr(buf, '\0', n))
            return HTTP_BAD;
        size_t m = 0;
        while (m < n && buf[m] >= 'A' && buf[m] <= 'Z')
            m++;
        if (m >= HTTP_METHOD_MAX || (m < n && (buf[m] != ' ' || m == 0)))
            return HTTP_BAD;
        if (n > HTTP_METHOD_MAX + HTTP_TARGET_MAX + 12)
            return HTTP_BAD;
    }
    return len >= max ? HTTP_TOO_LARGE : HTTP_INCOMPLETE;
}

/* test_metrics_http.c - the metrics endpoint's request checks: accepted request heads, each
 * kind of refusal, incomplete heads at every length, the size limit, and ADDR:PORT parsing. */
#include "check.h"
#include "httpreq.h"
#include "metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>

static enum http_parse parse(const char *s, struct http_request *rq)
{
    return http_request_parse(s, strlen(s), 4096, rq);
}

static void bad(const char *s)
{
    struct http_request rq;
    enum http_parse st = parse(s, &rq);
    if (st != HTTP_BAD)
        fprintf(stderr, "expected a refusal of \"%s\", got %d\n", s, (int)st);
    CHECK_EQ(st, HTTP_BAD);
}

int main(void)
{
    struct http_request rq;
    CHECK_EQ(parse("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n", &rq), HTTP_OK);
    CHECK_STR(rq.method, "GET");
    CHECK_STR(rq.path, "/metrics");
    CHECK_EQ(rq.minor, 1);
    CHECK_EQ(rq.head_len, strlen("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n"));
    CHECK_EQ(parse("HEAD /metrics?x=1&y HTTP/1.0\n\n", &rq), HTTP_OK);
    CHECK_STR(rq.method, "HEAD");
    CHECK_STR(rq.path, "/metrics");
    CHECK_EQ(rq.minor, 0);
    CHECK_EQ(parse("POST /other HTTP/1.0\r\nX-Empty:\r\n\r\nbody", &rq), HTTP_OK);
    CHECK_STR(rq.path, "/other");
    CHECK_EQ(parse("GET /metrics HTTP/1.1\r\nUser-Agent: a\tb\r\n\r\n", &rq), HTTP_OK);

    /* Every prefix of a valid head is incomplete, never refused. */
    const char *full = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9470\r\n\r\n";
    for (size_t n = 0; n < strlen(full); n++)
        CHECK_EQ(http_request_parse(full, n, 4096, &rq), HTTP_INCOMPLETE);

    /* Refusals: request line. */
    bad("get /metrics HTTP/1.1\r\n\r\n");                 /* method not upper case */
    bad("GET  /metrics HTTP/1.1\r\n\r\n");                /* two spaces */
    bad("GET metrics HTTP/1.1\r\n\r\n");                  /* target not a path */
    bad("GET /metrics\r\n\r\n");                          /* HTTP/0.9 form */
    bad("GET /metrics HTTP/2.0\r\n\r\n");                 /* not HTTP/1.x */
    bad("GET /metrics HTTP/1.x\r\n\r\n");                 /* version digit */
    bad("GET /metrics HTTP/1.1 \r\n\r\n");                /* trailing space */
    bad("GET /met\x01rics HTTP/1.1\r\n\r\n");             /* control byte in the target */
    bad("GET /met\xc3\xa9 HTTP/1.1\r\n\r\n");             /* non-ASCII in the target */
    bad("GETTTTTTTTTTTTTTTTT /metrics HTTP/1.1\r\n\r\n"); /* method too long */
    bad("\r\n\r\n");                                      /* empty request line */
    bad("GET /metrics HTTP/1.1\rX\r\n\r\n");              /* bare CR */
    /* Refusals: header lines. */
    bad("GET /metrics HTTP/1.1\r\nNoColon\r\n\r\n");
    bad("GET /metrics HTTP/1.1\r\n: value\r\n\r\n");
    bad("GET /metrics HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n");
    bad("GET /metrics HTTP/1.1\r\nBad Name: x\r\n\r\n");
    bad("GET /metrics HTTP/1.1\r\nX: a\x7f\r\n\r\n");
    {
        static const char nul[] = "GET /metrics HTTP/1.1\r\nX: a\0b\r\n\r\n";
        CHECK_EQ(http_request_parse(nul, sizeof(nul) - 1, 4096, &rq), HTTP_BAD);
    }
    /* A target longer than the limit. */
    char *longt = malloc(400);
    memcpy(longt, "GET /", 5);
    memset(longt + 5, 'a', 300);
    strcpy(longt + 305, " HTTP/1.1\r\n\r\n");
    bad(longt);
    /* An unfinished request line that can no longer be valid is refused before its end. */
    CHECK_EQ(http_request_parse("get", 3, 4096, &rq), HTTP_BAD);
    CHECK_EQ(http_request_parse("GET\t", 4, 4096, &rq), HTTP_BAD);
    memset(longt, 'A', 399);
    CHECK_EQ(http_request_parse(longt, 30, 4096, &rq), HTTP_BAD);
    memcpy(longt, "GET /", 5);
    memset(longt + 5, 'a', 394);
    CHECK_EQ(http_request_parse(longt, 399, 4096, &rq), HTTP_BAD);
    free(longt);

    /* The head limit: headers that never end. */
    char big[300];
    strcpy(big, "GET /metrics HTTP/1.1\r\n");
    size_t l = strlen(big);
    while (l < sizeof(big) - 8) {
        memcpy(big + l, "A: b\r\n", 6);
        l += 6;
    }
    CHECK_EQ(http_request_parse(big, l, l, &rq), HTTP_TOO_LARGE);
    CHECK_EQ(http_request_parse(big, l, l + 1, &rq), HTTP_INCOMPLETE);

    /* ADDR:PORT. */
    struct sockaddr_storage ss;
    socklen_t sl;
    char err[128];
    CHECK_EQ(metrics_parse_addr("127.0.0.1:9470", &ss, &sl, err, sizeof(err)), 0);
    CHECK_EQ(ss.ss_family, AF_INET);
    CHECK_EQ(ntohs(((struct sockaddr_in *)&ss)->sin_port), 9470);
    CHECK_EQ(ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr), 0x7f000001);
    CHECK_EQ(metrics_parse_addr("localhost:1", &ss, &sl, err, sizeof(err)), 0);
    CHECK_EQ(ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr), 0x7f000001);
    CHECK_EQ(metrics_parse_addr("[::1]:65535", &ss, &sl, err, sizeof(err)), 0);
    CHECK_EQ(ss.ss_family, AF_INET6);
    CHECK_EQ(sl, sizeof(struct sockaddr_in6));
    CHECK_EQ(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 65535);
    static const char *const bad_addrs[] = {
        "127.0.0.1",    "127.0.0.1:",     ":9470",           "127.0.0.1:0", "127.0.0.1:65536",
        "127.0.0.1:-1", "127.0.0.1:+80",  "127.0.0.1:8x",    "::1:9470",    "[::1:9470",
        "[]:9470",      "[127.0.0.1]:80", "host.example:80", "1.2.3:80",    "127.0.0.1: 80",
    };
    for (size_t i = 0; i < sizeof(bad_addrs) / sizeof(bad_addrs[0]); i++) {
        int rc = metrics_parse_addr(bad_addrs[i], &ss, &sl, err, sizeof(err));
        if (rc == 0)
            fprintf(stderr, "accepted %s\n", bad_addrs[i]);
        CHECK_EQ(rc, -1);
    }
    return check_exit();
}

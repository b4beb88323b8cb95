/* udp_rr.c - UDP request/response with one request outstanding: `udp_rr server PORT` echoes
 * every datagram back; `udp_rr client IP PORT SECONDS [SIZE]` prints transactions/s, p50, p99. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAMPLES (1u << 22)

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Checksums are left to the sender's CPU: with the veths' checksum offload a datagram would
 * leave with a partial checksum, which a switch that drops the virtio-net header (Open
 * vSwitch's userspace datapath) delivers broken. The same for every switch measured. */
static void no_checksum(int fd)
{
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_NO_CHECK, &one, sizeof(one));
}

static int server(int port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    no_checksum(fd);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        perror("server");
        return 1;
    }
    char buf[2048];
    for (;;) {
        struct sockaddr_in from;
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
        if (n >= 0)
            sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
    }
}

static int client(const char *ip, int port, double secs, size_t size)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    no_checksum(fd);
    if (fd < 0 || inet_pton(AF_INET, ip, &sa.sin_addr) != 1 ||
        connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        perror("client");
        return 1;
    }
    /* A lost datagram costs one timeout and is counted, instead of ending the run. */
    struct timeval tv = {0, 100000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    uint32_t *lat = malloc(MAX_SAMPLES * sizeof(*lat));
    char req[2048] = {0}, rsp[2048];
    if (!lat || size > sizeof(req))
        return 1;
    unsigned n = 0, lost = 0;
    uint64_t seq = 0, start = now_ns(), end = start + (uint64_t)(secs * 1e9), t;
    while ((t = now_ns()) < end && n < MAX_SAMPLES) {
        memcpy(req, &seq, sizeof(seq));
        if (send(fd, req, size, 0) < 0)
            continue;
        for (;;) {
            ssize_t r = recv(fd, rsp, sizeof(rsp), 0);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0) {
                lost++;
                break;
            }
            if ((size_t)r >= sizeof(seq) && memcmp(rsp, &seq, sizeof(seq)) == 0) {
                lat[n++] = (uint32_t)((now_ns() - t) / 1000);
                break;
            }
        }
        seq++;
    }
    double el = (double)(now_ns() - start) / 1e9;
    if (n == 0) {
        printf("tps 0 p50_us 0 p99_us 0 lost %u\n", lost);
        return 0;
    }
    qsort(lat, n, sizeof(*lat), cmp_u32);
    printf("tps %.0f p50_us %u p99_us %u lost %u\n", n / el, lat[n / 2], lat[(size_t)n * 99 / 100],
           lost);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "server") == 0)
        return server(atoi(argv[2]));
    if ((argc == 5 || argc == 6) && strcmp(argv[1], "client") == 0)
        return client(argv[2], atoi(argv[3]), atof(argv[4]),
                      argc == 6 ? (size_t)atoi(argv[5]) : 64);
    fprintf(stderr, "usage: udp_rr server PORT | udp_rr client IP PORT SECONDS [SIZE]\n");
    return 2;
}

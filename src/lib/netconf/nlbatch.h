/* nlbatch.h - batched rtnetlink requests over one socket: many link and address changes per
 * sendmsg, each acknowledged, with the kernel's error (and its extended message) kept per
 * request. */
#ifndef SLUICE_NLBATCH_H
#define SLUICE_NLBATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nlbatch;

/* Uses socket fd (a NETLINK_ROUTE socket, possibly opened in another network namespace;
 * the batch owns it from then on) or, with fd -1, opens one in the caller's namespace.
 * NULL with a one-line error. */
struct nlbatch *nlbatch_open(int fd, char *err, size_t errlen);
void nlbatch_close(struct nlbatch *b);

/* Changes to one link; fields left at their neutral value are not touched. */
struct nl_link_change {
    const uint8_t *mac;     /* new hardware address (6 bytes), or NULL */
    int netns_fd;           /* move into this network namespace, or -1 */
    int up;                 /* 1 up, 0 down, -1 unchanged */
    bool ipv6_no_linklocal; /* addr_gen_mode none: no automatic IPv6 link-local address */
    bool arp_own_address;   /* arp_ignore=1, arp_announce=2: answer and speak only for the
                             * addresses of this link (several links sharing a namespace) */
    bool set_group;         /* put the link in device group `group` */
    uint32_t group;
};
static inline struct nl_link_change nl_link_change_none(void)
{
    return (struct nl_link_change){.mac = NULL, .netns_fd = -1, .up = -1};
}

/* Queue one request; `tag` is the caller's label for it (e.g. which device it is about).
 * Requests run in the order queued. 0, or -1 when out of memory. */
int nlbatch_link_change(struct nlbatch *b, uint32_t tag, int ifindex,
                        const struct nl_link_change *change);
/* Adds IPv4 address addr/prefix (addr in host byte order) with its broadcast address;
 * an address the link already has is an error. */
int nlbatch_addr4_add(struct nlbatch *b, uint32_t tag, int ifindex, uint32_t addr, unsigned prefix);
int nlbatch_link_del(struct nlbatch *b, uint32_t tag, int ifindex);
/* Deletes every link of device group `group` in the socket's namespace at once: the kernel
 * then waits for one grace period for all of them instead of one per link. */
int nlbatch_group_del(struct nlbatch *b, uint32_t tag, uint32_t group);

unsigned nlbatch_queued(const struct nlbatch *b);

/* Sends every queued request (several per sendmsg) and collects an acknowledgement for each.
 * Returns how many requests the kernel refused, or -1 when the socket failed (err says why;
 * the outcome of unacknowledged requests is then unknown and reported as EIO). */
int nlbatch_run(struct nlbatch *b, char *err, size_t errlen);

struct nlbatch_result {
    uint32_t tag;
    int error;        /* 0 or a positive errno */
    const char *what; /* the request, e.g. "adding address" */
    const char *msg;  /* the kernel's extended error message, or "" */
};
/* The outcome of the i-th request queued since the last reset (valid after nlbatch_run). */
struct nlbatch_result nlbatch_result(const struct nlbatch *b, unsigned i);
/* Forgets the queued requests and their results. */
void nlbatch_reset(struct nlbatch *b);

/* Counts the links of device group `group` in the socket's namespace (a dump; nothing may be
 * queued). -1 with an error. */
int nlbatch_count_group(struct nlbatch *b, uint32_t group, unsigned *count, char *err,
                        size_t errlen);

/* Formats the first failure as "what: strerror (kernel message)"; false if none failed. */
bool nlbatch_first_error(const struct nlbatch *b, char *buf, size_t len);

#endif

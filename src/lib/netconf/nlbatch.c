/* nlbatch.c - rtnetlink requests queued in one buffer, sent in chunks with one sendmsg each,
 * and matched to their acknowledgements by sequence number. */
#include "nlbatch.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Acknowledgements wait in the socket's receive queue until the whole chunk has been
 * processed, so a chunk is bounded to what the receive buffer surely holds. */
#define CHUNK_MAX_MSGS 256
#define CHUNK_MAX_BYTES (64 * 1024)
#define RCVBUF_BYTES (4 * 1024 * 1024)
#define MSG_ROOM 512 /* the largest request built here is well below this */
#define RECV_SLOTS 64
#define RECV_SLOT_BYTES 1024

enum req_op { OP_LINK_CHANGE, OP_ADDR_ADD, OP_LINK_DEL };
static const char *const op_names[] = {"changing link", "adding address", "deleting link"};

struct req {
    uint32_t tag;
    uint8_t op;
    int error;
    char *msg;            /* allocated only for a refused request with a message */
    uint32_t offset, len; /* where the message is in buf */
};

struct nlbatch {
    struct mnl_socket *nl;
    uint32_t portid;
    uint32_t seq_base; /* sequence number of reqs[0] */
    uint8_t *buf;
    size_t len, cap;
    struct req *reqs;
    unsigned nreq, reqcap;
    bool ran;
    uint8_t (*slots)[RECV_SLOT_BYTES];
};

struct nlbatch *nlbatch_open(int fd, char *err, size_t errlen)
{
    struct nlbatch *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, errlen, "out of memory");
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    b->nl = fd >= 0 ? mnl_socket_fdopen(fd) : mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
    if (!b->nl) {
        snprintf(err, errlen, "netlink socket: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        free(b);
        return NULL;
    }
    if (fd < 0 && mnl_socket_bind(b->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
        snprintf(err, errlen, "netlink bind: %s", strerror(errno));
        nlbatch_close(b);
        return NULL;
    }
    int sfd = mnl_socket_get_fd(b->nl);
    int one = 1, rcvbuf = RCVBUF_BYTES;
    /* Capped acknowledgements carry only the request's header, not its whole body. */
    setsockopt(sfd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
    setsockopt(sfd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
    if (setsockopt(sfd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
        setsockopt(sfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    /* A socket opened elsewhere is bound here; the kernel picks its port id then. */
    struct sockaddr_nl local;
    socklen_t alen = sizeof local;
    memset(&local, 0, sizeof local);
    local.nl_family = AF_NETLINK;
    if (fd >= 0 && bind(sfd, (struct sockaddr *)&local, sizeof local) < 0 && errno != EINVAL) {
        snprintf(err, errlen, "netlink bind: %s", strerror(errno));
        nlbatch_close(b);
        return NULL;
    }
    if (getsockname(sfd, (struct sockaddr *)&local, &alen) < 0) {
        snprintf(err, errlen, "netlink getsockname: %s", strerror(errno));
        nlbatch_close(b);
        return NULL;
    }
    b->portid = local.nl_pid;
    b->slots = malloc(RECV_SLOTS * sizeof *b->slots);
    if (!b->slots) {
        snprintf(err, errlen, "out of memory");
        nlbatch_close(b);
        return NULL;
    }
    b->seq_base = (uint32_t)time(NULL) << 8;
    return b;
}

static void free_results(struct nlbatch *b)
{
    for (unsigned i = 0; i < b->nreq; i++) {
        free(b->reqs[i].msg);
        b->reqs[i].msg = NULL;
    }
}

void nlbatch_close(struct nlbatch *b)
{
    if (!b)
        return;
    free_results(b);
    if (b->nl)
        mnl_socket_close(b->nl);
    free(b->buf);
    free(b->reqs);
    free(b->slots);
    free(b);
}

unsigned nlbatch_queued(const struct nlbatch *b)
{
    return b->nreq;
}

void nlbatch_reset(struct nlbatch *b)
{
    free_results(b);
    b->seq_base += b->nreq;
    b->nreq = 0;
    b->len = 0;
    b->ran = false;
}

/* Makes room for one more request and starts its message; NULL when out of memory. */
static struct nlmsghdr *begin(struct nlbatch *b, uint16_t type, uint16_t flags, uint32_t tag,
                              enum req_op op)
{
    if (b->ran)
        nlbatch_reset(b);
    if (b->len + MSG_ROOM > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64 * 1024;
        uint8_t *buf = realloc(b->buf, cap);
        if (!buf)
            return NULL;
        b->buf = buf;
        b->cap = cap;
    }
    if (b->nreq == b->reqcap) {
        unsigned cap = b->reqcap ? b->reqcap * 2 : 256;
        struct req *reqs = realloc(b->reqs, cap * sizeof *reqs);
        if (!reqs)
            return NULL;
        b->reqs = reqs;
        b->reqcap = cap;
    }
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(b->buf + b->len);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    nlh->nlmsg_seq = b->seq_base + b->nreq;
    b->reqs[b->nreq] = (struct req){.tag = tag, .op = (uint8_t)op, .offset = (uint32_t)b->len};
    return nlh;
}

static void finish(struct nlbatch *b, struct nlmsghdr *nlh)
{
    b->reqs[b->nreq].len = nlh->nlmsg_len;
    b->len += NLMSG_ALIGN(nlh->nlmsg_len);
    b->nreq++;
}

int nlbatch_link_change(struct nlbatch *b, uint32_t tag, int ifindex,
                        const struct nl_link_change *change)
{
    struct nlmsghdr *nlh = begin(b, RTM_NEWLINK, 0, tag, OP_LINK_CHANGE);
    if (!nlh)
        return -1;
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = ifindex;
    if (change->up >= 0) {
        ifi->ifi_change = IFF_UP;
        ifi->ifi_flags = change->up ? IFF_UP : 0;
    }
    if (change->mac)
        mnl_attr_put(nlh, IFLA_ADDRESS, 6, change->mac);
    if (change->netns_fd >= 0)
        mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)change->netns_fd);
    if (change->set_group)
        mnl_attr_put_u32(nlh, IFLA_GROUP, change->group);
    /* The kernel applies these after a namespace move in the same request, so they hold in
     * the new namespace. */
    if (change->ipv6_no_linklocal || change->arp_own_address) {
        struct nlattr *spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
        if (change->arp_own_address) {
            struct nlattr *inet = mnl_attr_nest_start(nlh, AF_INET);
            struct nlattr *conf = mnl_attr_nest_start(nlh, IFLA_INET_CONF);
            mnl_attr_put_u32(nlh, IPV4_DEVCONF_ARP_IGNORE, 1);
            mnl_attr_put_u32(nlh, IPV4_DEVCONF_ARP_ANNOUNCE, 2);
            mnl_attr_nest_end(nlh, conf);
            mnl_attr_nest_end(nlh, inet);
        }
        if (change->ipv6_no_linklocal) {
            struct nlattr *inet6 = mnl_attr_nest_start(nlh, AF_INET6);
            mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
            mnl_attr_nest_end(nlh, inet6);
        }
        mnl_attr_nest_end(nlh, spec);
    }
    finish(b, nlh);
    return 0;
}

int nlbatch_addr4_add(struct nlbatch *b, uint32_t tag, int ifindex, uint32_t addr, unsigned prefix)
{
    struct nlmsghdr *nlh = begin(b, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, tag, OP_ADDR_ADD);
    if (!nlh)
        return -1;
    struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
    ifa->ifa_family = AF_INET;
    ifa->ifa_prefixlen = (uint8_t)prefix;
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    ifa->ifa_index = (uint32_t)ifindex;
    uint32_t be = htonl(addr);
    mnl_attr_put_u32(nlh, IFA_LOCAL, be);
    mnl_attr_put_u32(nlh, IFA_ADDRESS, be);
    if (prefix < 31) {
        uint32_t host_mask = prefix == 0 ? 0xffffffffu : (0xffffffffu >> prefix);
        mnl_attr_put_u32(nlh, IFA_BROADCAST, htonl(addr | host_mask));
    }
    finish(b, nlh);
    return 0;
}

int nlbatch_link_del(struct nlbatch *b, uint32_t tag, int ifindex)
{
    struct nlmsghdr *nlh = begin(b, RTM_DELLINK, 0, tag, OP_LINK_DEL);
    if (!nlh)
        return -1;
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = ifindex;
    finish(b, nlh);
    return 0;
}

int nlbatch_group_del(struct nlbatch *b, uint32_t tag, uint32_t group)
{
    struct nlmsghdr *nlh = begin(b, RTM_DELLINK, 0, tag, OP_LINK_DEL);
    if (!nlh)
        return -1;
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
    ifi->ifi_family = AF_UNSPEC;
    mnl_attr_put_u32(nlh, IFLA_GROUP, group);
    finish(b, nlh);
    return 0;
}

/* The extended error message of an acknowledgement, if it carries one. */
static const char *ack_message(const struct nlmsghdr *nlh, const struct nlmsgerr *e,
                               size_t payload_len)
{
    if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
        return NULL;
    size_t off = sizeof *e;
    if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
        off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
    if (off >= payload_len)
        return NULL;
    const uint8_t *p = (const uint8_t *)e + off;
    size_t left = payload_len - off;
    while (left >= sizeof(struct nlattr)) {
        const struct nlattr *a = (const struct nlattr *)p;
        if (a->nla_len < sizeof *a || a->nla_len > left)
            break;
        size_t dlen = a->nla_len - sizeof *a;
        if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG && dlen > 0 &&
            memchr(p + sizeof *a, '\0', dlen))
            return (const char *)(p + sizeof *a);
        size_t step = NLA_ALIGN(a->nla_len);
        if (step >= left)
            break;
        p += step;
        left -= step;
    }
    return NULL;
}

/* Records one acknowledgement; returns true if it answered a request of [first, end). */
static bool take_ack(struct nlbatch *b, const uint8_t *data, size_t len, unsigned first,
                     unsigned end)
{
    bool took = false;
    const struct nlmsghdr *nlh = (const struct nlmsghdr *)data;
    int left = (int)len;
    while (mnl_nlmsg_ok(nlh, left)) {
        if (nlh->nlmsg_type == NLMSG_ERROR && nlh->nlmsg_pid == b->portid &&
            nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(struct nlmsgerr)) {
            unsigned i = nlh->nlmsg_seq - b->seq_base;
            if (i >= first && i < end && b->reqs[i].error == EINPROGRESS) {
                const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
                b->reqs[i].error = e->error < 0 ? -e->error : 0;
                const char *msg = ack_message(nlh, e, nlh->nlmsg_len - NLMSG_HDRLEN);
                if (b->reqs[i].error && msg)
                    b->reqs[i].msg = strdup(msg);
                took = true;
            }
        }
        nlh = mnl_nlmsg_next(nlh, &left);
    }
    return took;
}

static int run_chunk(struct nlbatch *b, unsigned first, unsigned end, char *err, size_t errlen)
{
    int fd = mnl_socket_get_fd(b->nl);
    size_t off = b->reqs[first].offset;
    size_t bytes = (size_t)(b->reqs[end - 1].offset + NLMSG_ALIGN(b->reqs[end - 1].len)) - off;
    for (unsigned i = first; i < end; i++)
        b->reqs[i].error = EINPROGRESS;
    if (mnl_socket_sendto(b->nl, b->buf + off, bytes) < 0) {
        snprintf(err, errlen, "netlink send: %s", strerror(errno));
        return -1;
    }
    unsigned waiting = end - first;
    struct mmsghdr msgs[RECV_SLOTS];
    struct iovec iov[RECV_SLOTS];
    while (waiting > 0) {
        for (unsigned s = 0; s < RECV_SLOTS; s++) {
            iov[s] = (struct iovec){.iov_base = b->slots[s], .iov_len = RECV_SLOT_BYTES};
            msgs[s] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[s], .msg_iovlen = 1}};
        }
        unsigned want = waiting < RECV_SLOTS ? waiting : RECV_SLOTS;
        int got = recvmmsg(fd, msgs, want, MSG_WAITFORONE, NULL);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            snprintf(err, errlen, "netlink receive: %s", strerror(errno));
            return -1;
        }
        for (int m = 0; m < got; m++)
            if (take_ack(b, b->slots[m], msgs[m].msg_len, first, end))
                waiting--;
    }
    return 0;
}

int nlbatch_run(struct nlbatch *b, char *err, size_t errlen)
{
    unsigned first = 0;
    int rc = 0;
    while (first < b->nreq) {
        unsigned end = first;
        size_t start = b->reqs[first].offset;
        while (end < b->nreq && end - first < CHUNK_MAX_MSGS &&
               b->reqs[end].offset + b->reqs[end].len - start <= CHUNK_MAX_BYTES)
            end++;
        if (run_chunk(b, first, end, err, errlen) < 0) {
            rc = -1;
            break;
        }
        first = end;
    }
    for (unsigned i = 0; i < b->nreq; i++)
        if (i >= first || b->reqs[i].error == EINPROGRESS)
            b->reqs[i].error = rc < 0 ? EIO : b->reqs[i].error;
    b->ran = true;
    if (rc < 0)
        return -1;
    int refused = 0;
    for (unsigned i = 0; i < b->nreq; i++)
        refused += b->reqs[i].error != 0;
    return refused;
}

struct group_count {
    uint32_t group;
    unsigned count;
};

static int count_link_attr(const struct nlattr *attr, void *data)
{
    struct group_count *gc = data;
    if (mnl_attr_get_type(attr) == IFLA_GROUP && mnl_attr_validate(attr, MNL_TYPE_U32) >= 0 &&
        mnl_attr_get_u32(attr) == gc->group)
        gc->count++;
    return MNL_CB_OK;
}

static int count_link(const struct nlmsghdr *nlh, void *data)
{
    if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct ifinfomsg))
        return MNL_CB_ERROR;
    mnl_attr_parse(nlh, sizeof(struct ifinfomsg), count_link_attr, data);
    return MNL_CB_OK;
}

int nlbatch_count_group(struct nlbatch *b, uint32_t group, unsigned *count, char *err,
                        size_t errlen)
{
    if (b->nreq && !b->ran) {
        snprintf(err, errlen, "requests are queued");
        return -1;
    }
    nlbatch_reset(b);
    uint8_t req[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
    nlh->nlmsg_type = RTM_GETLINK;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    uint32_t seq = b->seq_base++;
    nlh->nlmsg_seq = seq;
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
    ifi->ifi_family = AF_UNSPEC;
    /* Statistics and the like are not needed: keep each message small. */
    mnl_attr_put_u32(nlh, IFLA_EXT_MASK, 0);
    if (mnl_socket_sendto(b->nl, nlh, nlh->nlmsg_len) < 0) {
        snprintf(err, errlen, "netlink send: %s", strerror(errno));
        return -1;
    }
    size_t cap = 64 * 1024;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    struct group_count gc = {group, 0};
    int rc;
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(b->nl, buf, cap);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            snprintf(err, errlen, "netlink receive: %s", strerror(errno));
            rc = -1;
            break;
        }
        rc = mnl_cb_run(buf, (size_t)n, seq, b->portid, count_link, &gc);
        if (rc <= MNL_CB_STOP) {
            if (rc < 0)
                snprintf(err, errlen, "listing links: %s", strerror(errno));
            break;
        }
    }
    free(buf);
    if (rc < 0)
        return -1;
    *count = gc.count;
    return 0;
}

struct nlbatch_result nlbatch_result(const struct nlbatch *b, unsigned i)
{
    if (i >= b->nreq)
        return (struct nlbatch_result){.tag = 0, .error = EINVAL, .what = "", .msg = ""};
    const struct req *r = &b->reqs[i];
    return (struct nlbatch_result){
        .tag = r->tag, .error = r->error, .what = op_names[r->op], .msg = r->msg ? r->msg : ""};
}

bool nlbatch_first_error(const struct nlbatch *b, char *buf, size_t len)
{
    for (unsigned i = 0; i < b->nreq; i++) {
        const struct req *r = &b->reqs[i];
        if (r->error == 0)
            continue;
        if (r->msg)
            snprintf(buf, len, "%s: %s (%s)", op_names[r->op], strerror(r->error), r->msg);
        else
            snprintf(buf, len, "%s: %s", op_names[r->op], strerror(r->error));
        return true;
    }
    return false;
}

/* tapdev.c - creating TAP devices through /dev/net/tun (TUNSETIFF) without attaching to
 * devices that already exist, and finding their interface index. */
#include "tapdev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int tapdev_ifindex(int sock, const char *name)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    if (strlen(name) >= IFNAMSIZ)
        return 0;
    strcpy(ifr.ifr_name, name);
    if (ioctl(sock, SIOCGIFINDEX, &ifr) < 0)
        return 0;
    return ifr.ifr_ifindex;
}

int tapdev_set_persist(int fd, bool persist)
{
    return ioctl(fd, TUNSETPERSIST, persist ? 1L : 0L);
}

int tapdev_create(const char *name, unsigned flags, int *ifindex, char *err, size_t errlen)
{
    if (name[0] == '\0' || strlen(name) >= IFNAMSIZ) {
        snprintf(err, errlen, "interface name '%s' must have 1 to %d characters", name,
                 IFNAMSIZ - 1);
        return -1;
    }
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "/dev/net/tun: %s", strerror(errno));
        return -1;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, name);
    /* IFF_TUN_EXCL: an existing device of that name is an error, never reused. */
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (!(flags & TAPDEV_F_ATTACH))
        ifr.ifr_flags |= IFF_TUN_EXCL;
    if (flags & TAPDEV_F_VNET_HDR)
        ifr.ifr_flags |= IFF_VNET_HDR;
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int e = errno;
        close(fd);
        if (e == EBUSY || e == EEXIST)
            snprintf(err, errlen, "interface %s already exists", name);
        else
            snprintf(err, errlen, "creating TAP device %s: %s", name, strerror(e));
        return -1;
    }
    int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int index = sock >= 0 ? tapdev_ifindex(sock, name) : 0;
    if (sock >= 0)
        close(sock);
    if (index <= 0) {
        close(fd);
        snprintf(err, errlen, "TAP device %s has no interface index", name);
        return -1;
    }
    *ifindex = index;
    return fd;
}

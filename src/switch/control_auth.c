/* control_auth.c - who may call what on the control sockets: the rights a connection gets
 * from the credentials it had when it was accepted, and the check of a method against them. */
#include "control_auth.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "control.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

static bool member(gid_t g, gid_t primary, const gid_t *groups, size_t ngroups)
{
    if (g == (gid_t)-1)
        return false;
    if (primary == g)
        return true;
    for (size_t i = 0; i < ngroups; i++)
        if (groups[i] == g)
            return true;
    return false;
}

unsigned control_rights(const struct peer_creds *c, const gid_t *groups, size_t ngroups,
                        gid_t admin_gid, gid_t capture_gid, bool capture_sock)
{
    unsigned r = 0;
    if (c->uid == 0)
        r |= CONN_ROOT;
    if (member(admin_gid, c->gid, groups, ngroups))
        r |= CONN_ADMIN;
    if (member(capture_gid, c->gid, groups, ngroups))
        r |= CONN_CAPTURE;
    if (capture_sock)
        r |= CONN_CAPTURE_SOCK;
    return r;
}

bool control_allows(unsigned rights, unsigned method_flags)
{
    /* The capture socket is group-owned by the capture group, so whoever reaches it may be
     * no admin at all: it never serves a change, whatever the peer's uid. */
    if ((method_flags & RPC_F_CONFIG) &&
        ((rights & CONN_CAPTURE_SOCK) || !(rights & (CONN_ROOT | CONN_ADMIN))))
        return false;
    if ((method_flags & RPC_F_CAPTURE) && !(rights & (CONN_ROOT | CONN_CAPTURE)))
        return false;
    return true;
}

int control_peer_rights(int fd, gid_t admin_gid, gid_t capture_gid, bool capture_sock,
                        struct peer_creds *creds, unsigned *rights)
{
    struct ucred uc;
    socklen_t len = sizeof(uc);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
        return -1;
    *creds = (struct peer_creds){uc.uid, uc.gid, uc.pid};
    /* The groups the peer had at connect(): unlike /proc/PID, they cannot change later or
     * belong to another process that was given the same pid. */
    gid_t small[64], *groups = small;
    len = sizeof(small);
    int rc = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len);
    if (rc < 0 && errno == ERANGE && len > sizeof(small)) {
        groups = malloc(len);
        if (!groups)
            return -1;
        rc = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len);
    }
    size_t ngroups = rc == 0 ? len / sizeof(gid_t) : 0;
    /* A kernel without SO_PEERGROUPS (before 4.13): only the primary group counts. */
    if (rc < 0 && errno != ENOPROTOOPT) {
        if (groups != small)
            free(groups);
        return -1;
    }
    *rights = control_rights(creds, groups, ngroups, admin_gid, capture_gid, capture_sock);
    if (groups != small)
        free(groups);
    return 0;
}

/* sockpath.c - the socket-directory rule for paths named by non-root clients: resolve the
 * parent as the kernel will, and accept it only inside the directory. */
#include "sockpath.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool has_dot_component(const char *path)
{
    for (const char *s = path; *s;) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
            return true;
        s += n;
        while (*s == '/')
            s++;
    }
    return false;
}

static bool inside(const char *dir, const char *p)
{
    size_t n = strlen(dir);
    if (n == 1 && dir[0] == '/')
        return true;
    return strncmp(dir, p, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

int sockpath_check(const char *dir, const char *path, char *out, size_t outlen, char *err,
                   size_t errlen)
{
    if (!path || !*path) {
        snprintf(err, errlen, "empty socket path");
        return -1;
    }
    /* An abstract socket has no file, so no permission check stands between it and any
     * process: only root may name one. */
    if (path[0] == '@') {
        snprintf(err, errlen,
                 "abstract socket names (%s) are reserved to root: use a path under %s", path, dir);
        return -1;
    }
    if (path[0] != '/') {
        snprintf(err, errlen, "socket path %s must be absolute, under %s", path, dir);
        return -1;
    }
    if (has_dot_component(path)) {
        snprintf(err, errlen, "socket path %s must not contain . or .. components", path);
        return -1;
    }
    const char *slash = strrchr(path, '/');
    const char *base = slash + 1;
    if (!*base) {
        snprintf(err, errlen, "socket path %s names a directory", path);
        return -1;
    }
    char rdir[PATH_MAX], parent[PATH_MAX], rparent[PATH_MAX];
    if (!realpath(dir, rdir)) {
        snprintf(err, errlen, "socket directory %s: %s", dir, strerror(errno));
        return -1;
    }
    size_t plen = slash == path ? 1 : (size_t)(slash - path);
    if (plen >= sizeof(parent)) {
        snprintf(err, errlen, "socket path too long");
        return -1;
    }
    memcpy(parent, path, plen);
    parent[plen] = '\0';
    if (!realpath(parent, rparent)) {
        snprintf(err, errlen, "socket path %s: directory %s: %s", path, parent, strerror(errno));
        return -1;
    }
    if (!inside(rdir, rparent)) {
        /* Name the symbolic link when the path as written looked inside. */
        if (inside(dir, parent) || inside(rdir, parent))
            snprintf(err, errlen, "socket path %s leads outside %s through a symbolic link (to %s)",
                     path, dir, rparent);
        else
            snprintf(err, errlen, "socket path %s is outside the socket directory %s", path, dir);
        return -1;
    }
    int n = snprintf(out, outlen, "%s/%s", strcmp(rparent, "/") ? rparent : "", base);
    if (n < 0 || (size_t)n >= outlen) {
        snprintf(err, errlen, "socket path %s/%s is too long (at most %zu bytes)", rparent, base,
                 outlen - 1);
        return -1;
    }
    struct stat st;
    if (lstat(out, &st) == 0) {
        if (S_ISLNK(st.st_mode)) {
            snprintf(err, errlen, "socket path %s is a symbolic link", path);
            return -1;
        }
        if (!S_ISSOCK(st.st_mode)) {
            snprintf(err, errlen, "socket path %s exists and is not a socket", path);
            return -1;
        }
    } else if (errno != ENOENT) {
        snprintf(err, errlen, "socket path %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

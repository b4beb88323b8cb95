/* test_sockpath.c - unit tests of the socket-directory rule: what a non-root client's socket
 * path may be, and each way out of the directory refused with its own reason. */
#include "sockpath.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"

static char base[64], dir[128];

/* Expects a refusal whose reason contains `why`. */
static void refused(const char *path, const char *why)
{
    char out[108], err[512] = "";
    int rc = sockpath_check(dir, path, out, sizeof(out), err, sizeof(err));
    CHECK_EQ(rc, -1);
    if (rc != -1 || !strstr(err, why))
        fprintf(stderr, "  %s: got \"%s\", wanted \"%s\"\n", path, err, why);
    CHECK(strstr(err, why) != NULL);
}

static void accepted(const char *path, const char *want)
{
    char out[108] = "", err[512] = "";
    int rc = sockpath_check(dir, path, out, sizeof(out), err, sizeof(err));
    if (rc != 0)
        fprintf(stderr, "  %s: refused: %s\n", path, err);
    CHECK_EQ(rc, 0);
    CHECK_STR(out, want);
}

static void make_socket(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    CHECK(strlen(path) < sizeof(sa.sun_path));
    memcpy(sa.sun_path, path, strlen(path) + 1);
    CHECK_EQ(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    close(fd);
}

int main(void)
{
    snprintf(base, sizeof(base), "/tmp/sluice-sockpath.XXXXXX");
    CHECK(mkdtemp(base) != NULL);
    snprintf(dir, sizeof(dir), "%s/allowed", base);
    char p[512], q[256], want[512];
    CHECK_EQ(mkdir(dir, 0755), 0);
    snprintf(p, sizeof(p), "%s/outside", base);
    CHECK_EQ(mkdir(p, 0755), 0);
    snprintf(p, sizeof(p), "%s/sub", dir);
    CHECK_EQ(mkdir(p, 0755), 0);
    snprintf(p, sizeof(p), "%s/linkdir", dir); /* a directory link leading out */
    CHECK_EQ(symlink("../outside", p), 0);
    snprintf(p, sizeof(p), "%s/insidelink", dir); /* one that stays inside */
    CHECK_EQ(symlink("sub", p), 0);
    snprintf(p, sizeof(p), "%s/final", dir); /* the socket's own name is a link */
    CHECK_EQ(symlink("/etc/passwd", p), 0);
    snprintf(p, sizeof(p), "%s/dangling", dir);
    CHECK_EQ(symlink("/nonexistent-sluice-target", p), 0);
    snprintf(p, sizeof(p), "%s/file", dir);
    FILE *f = fopen(p, "w");
    CHECK(f != NULL);
    if (f)
        fclose(f);
    snprintf(p, sizeof(p), "%s/old.sock", dir);
    make_socket(p);

    /* Accepted: new names and existing sockets inside, resolved to the real directory. */
    snprintf(p, sizeof(p), "%s/a.sock", dir);
    accepted(p, p);
    snprintf(p, sizeof(p), "%s/sub/b.sock", dir);
    accepted(p, p);
    snprintf(p, sizeof(p), "%s/old.sock", dir);
    accepted(p, p);
    snprintf(p, sizeof(p), "%s//sub//c.sock", dir);
    snprintf(want, sizeof(want), "%s/sub/c.sock", dir);
    accepted(p, want);
    snprintf(p, sizeof(p), "%s/insidelink/d.sock", dir);
    snprintf(want, sizeof(want), "%s/sub/d.sock", dir);
    accepted(p, want);

    /* Refused. */
    refused("", "empty");
    refused("@memif", "abstract");
    refused("@", "abstract");
    refused("rel.sock", "must be absolute");
    refused("sub/x.sock", "must be absolute");
    snprintf(p, sizeof(p), "%s/../outside/x.sock", dir);
    refused(p, "..");
    snprintf(p, sizeof(p), "%s/sub/../y.sock", dir); /* even when it would stay inside */
    refused(p, "..");
    snprintf(p, sizeof(p), "%s/./z.sock", dir);
    refused(p, ". or ..");
    snprintf(p, sizeof(p), "%s/..", dir);
    refused(p, "..");
    snprintf(p, sizeof(p), "%s/sub/", dir);
    refused(p, "names a directory");
    snprintf(p, sizeof(p), "%s/outside/x.sock", base);
    refused(p, "outside the socket directory");
    refused("/etc/passwd", "outside the socket directory");
    refused("/x.sock", "outside the socket directory");
    snprintf(p, sizeof(p), "%s/linkdir/x.sock", dir);
    refused(p, "symbolic link");
    snprintf(p, sizeof(p), "%s/final", dir);
    refused(p, "is a symbolic link");
    snprintf(p, sizeof(p), "%s/dangling", dir);
    refused(p, "is a symbolic link");
    snprintf(p, sizeof(p), "%s/file", dir);
    refused(p, "not a socket");
    snprintf(p, sizeof(p), "%s/sub", dir);
    refused(p, "not a socket");
    snprintf(p, sizeof(p), "%s/missing/x.sock", dir);
    refused(p, "No such file");
    /* A name that does not fit a socket address once resolved. */
    memset(q, 'n', 120);
    q[120] = '\0';
    snprintf(p, sizeof(p), "%s/%s", dir, q);
    refused(p, "too long");
    /* The allowed directory itself must exist. */
    {
        char out[108], err[256] = "";
        CHECK_EQ(sockpath_check("/nonexistent-sluice-dir", "/nonexistent-sluice-dir/a", out,
                                sizeof(out), err, sizeof(err)),
                 -1);
        CHECK(strstr(err, "socket directory") != NULL);
    }

    snprintf(p, sizeof(p), "rm -rf %s", base);
    CHECK_EQ(system(p), 0);
    return check_exit();
}

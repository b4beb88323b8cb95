/* netns.c - creating, entering and deleting named network namespaces. A helper thread
 * unshares or joins namespaces so that the calling thread stays where it is. */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

bool netns_name_valid(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > NETNS_NAME_MAX || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return false;
    for (const char *c = name; *c; c++) {
        bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || *c == '_' || *c == '-' || *c == '.';
        if (!ok)
            return false;
    }
    return true;
}

static void netns_path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", NETNS_RUN_DIR, name);
}

bool netns_exists(const char *name)
{
    char path[sizeof NETNS_RUN_DIR + NETNS_NAME_MAX + 2];
    netns_path(path, sizeof path, name);
    return access(path, F_OK) == 0;
}

int netns_open(const char *name)
{
    if (!netns_name_valid(name)) {
        errno = EINVAL;
        return -1;
    }
    char path[sizeof NETNS_RUN_DIR + NETNS_NAME_MAX + 2];
    netns_path(path, sizeof path, name);
    return open(path, O_RDONLY | O_CLOEXEC);
}

/* The run directory must be a shared mount point, so that namespace mounts made here are
 * seen from mount namespaces created later (`ip netns exec` makes one). */
static int prepare_run_dir(char *err, size_t errlen)
{
    if (mkdir(NETNS_RUN_DIR, 0755) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "mkdir %s: %s", NETNS_RUN_DIR, strerror(errno));
        return -1;
    }
    if (mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) == 0)
        return 0;
    if (errno != EINVAL ||
        mount(NETNS_RUN_DIR, NETNS_RUN_DIR, "none", MS_BIND | MS_REC, NULL) < 0 ||
        mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) < 0) {
        snprintf(err, errlen, "making %s a shared mount: %s", NETNS_RUN_DIR, strerror(errno));
        return -1;
    }
    return 0;
}

struct ns_job {
    const char *const *names; /* create these, or NULL to enter join_fds */
    const int *join_fds;
    unsigned n;
    int *nsfds;
    netns_inside_fn inside;
    void *arg;
    unsigned done;
    char err[512];
};

static int create_one(struct ns_job *job, unsigned i)
{
    const char *name = job->names[i];
    if (!netns_name_valid(name)) {
        snprintf(job->err, sizeof job->err, "invalid network namespace name '%s'", name);
        return -1;
    }
    char path[sizeof NETNS_RUN_DIR + NETNS_NAME_MAX + 2];
    netns_path(path, sizeof path, name);
    int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (fd < 0) {
        if (errno == EEXIST)
            snprintf(job->err, sizeof job->err, "network namespace %s already exists", name);
        else
            snprintf(job->err, sizeof job->err, "creating %s: %s", path, strerror(errno));
        return -1;
    }
    close(fd);
    const char *what = "unshare";
    if (unshare(CLONE_NEWNET) < 0)
        goto fail;
    what = "bind mount";
    if (mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) < 0)
        goto fail;
    int nsfd = -1;
    if (job->nsfds) {
        what = "open";
        nsfd = open(path, O_RDONLY | O_CLOEXEC);
        if (nsfd < 0)
            goto fail_mounted;
    }
    if (job->inside && job->inside(job->arg, i, job->err, sizeof job->err) < 0) {
        if (nsfd >= 0)
            close(nsfd);
        umount2(path, MNT_DETACH);
        unlink(path);
        return -1;
    }
    if (job->nsfds)
        job->nsfds[i] = nsfd;
    return 0;
fail_mounted:;
    int e = errno;
    umount2(path, MNT_DETACH);
    errno = e;
fail:
    snprintf(job->err, sizeof job->err, "network namespace %s: %s: %s", name, what,
             strerror(errno));
    unlink(path);
    return -1;
}

static int enter_one(struct ns_job *job, unsigned i)
{
    if (setns(job->join_fds[i], CLONE_NEWNET) < 0) {
        snprintf(job->err, sizeof job->err, "entering network namespace: %s", strerror(errno));
        return -1;
    }
    return job->inside(job->arg, i, job->err, sizeof job->err);
}

static void *ns_thread(void *arg)
{
    struct ns_job *job = arg;
    for (unsigned i = 0; i < job->n; i++) {
        if ((job->names ? create_one(job, i) : enter_one(job, i)) < 0)
            break;
        job->done++;
    }
    return NULL;
}

static unsigned run_job(struct ns_job *job, char *err, size_t errlen)
{
    pthread_t thread;
    int rc = pthread_create(&thread, NULL, ns_thread, job);
    if (rc != 0) {
        snprintf(err, errlen, "starting a namespace thread: %s", strerror(rc));
        return 0;
    }
    pthread_join(thread, NULL);
    if (job->done < job->n)
        snprintf(err, errlen, "%s", job->err);
    return job->done;
}

unsigned netns_create_many(const char *const *names, unsigned n, int *nsfds, netns_inside_fn inside,
                           void *arg, char *err, size_t errlen)
{
    if (n == 0)
        return 0;
    if (prepare_run_dir(err, errlen) < 0)
        return 0;
    struct ns_job job = {.names = names, .n = n, .nsfds = nsfds, .inside = inside, .arg = arg};
    return run_job(&job, err, errlen);
}

unsigned netns_enter_many(const int *nsfds, unsigned n, netns_inside_fn inside, void *arg,
                          char *err, size_t errlen)
{
    if (n == 0)
        return 0;
    struct ns_job job = {.join_fds = nsfds, .n = n, .inside = inside, .arg = arg};
    return run_job(&job, err, errlen);
}

int netns_delete(const char *name, char *err, size_t errlen)
{
    if (!netns_name_valid(name)) {
        snprintf(err, errlen, "invalid network namespace name '%s'", name);
        return -1;
    }
    char path[sizeof NETNS_RUN_DIR + NETNS_NAME_MAX + 2];
    netns_path(path, sizeof path, name);
    /* Not mounted (EINVAL) still lets the stale file be removed. */
    if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT) {
        snprintf(err, errlen, "unmounting %s: %s", path, strerror(errno));
        return -1;
    }
    if (unlink(path) < 0 && errno != ENOENT) {
        snprintf(err, errlen, "removing %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

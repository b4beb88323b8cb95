/* port_client.c - the rules for files and sockets a port uses on behalf of the client that
 * added it: files are opened by the client, sockets of non-root clients stay in one directory. */
#include "port_client.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "ports.h"
#include "sockpath.h"

static char socket_dir[4096] = PORT_CLIENT_DEFAULT_SOCKET_DIR;
static char control_sock[4096];

static int mkdirs(char *path)
{
    for (char *s = path + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        int rc = mkdir(path, 0755);
        *s = '/';
        if (rc < 0 && errno != EEXIST)
            return -1;
    }
    return mkdir(path, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

int port_client_set_socket_dir(const char *dir, const char *control_path)
{
    snprintf(control_sock, sizeof(control_sock), "%s", control_path ? control_path : "");
    if (!dir || dir[0] != '/' || strlen(dir) >= sizeof(socket_dir)) {
        log_err("--socket-dir must be an absolute path");
        return -1;
    }
    snprintf(socket_dir, sizeof(socket_dir), "%s", dir);
    /* Anyone who can write there can swap what the switch binds or removes. */
    struct stat st;
    if (stat(dir, &st) == 0 && (st.st_mode & (S_IWGRP | S_IWOTH)))
        log_warn("socket directory %s is writable by others than its owner", dir);
    return 0;
}

const char *port_client_socket_dir(void)
{
    return socket_dir;
}

int port_client_args(const struct rpc_ctx *ctx, const char *type, const struct json *params,
                     struct port_args *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (ctx->uid != 0) {
        char uid[24];
        snprintf(uid, sizeof(uid), "%u", (unsigned)ctx->uid);
        port_args_set(out, "_uid", uid);
    }
    const struct json *fds = json_get(params, "fds");
    if (!fds)
        return 0;
    if (fds->type != JSON_OBJECT) {
        snprintf(err, errlen, "fds must be an object of option name to descriptor index");
        return -1;
    }
    const struct json *opts = json_get(params, "options");
    bool used[RPC_MAX_FDS] = {false};
    for (size_t i = 0; i < fds->n; i++) {
        const char *key = fds->keys[i];
        int64_t idx;
        if (strcmp(type, "pcap") != 0 || (strcmp(key, "in") != 0 && strcmp(key, "out") != 0)) {
            snprintf(err, errlen, "a descriptor can be passed for pcap in= and out= only, not %s",
                     key);
            return -1;
        }
        if (!json_as_int(fds->items[i], 0, RPC_MAX_FDS - 1, &idx) ||
            (unsigned)idx >= ctx->req_nfds || used[idx]) {
            snprintf(err, errlen, "fds.%s: no such descriptor with the request (%u passed)", key,
                     ctx->req_nfds);
            return -1;
        }
        if (!json_get_str(opts, key, NULL)) {
            snprintf(err, errlen, "fds.%s needs option %s (the file's name, for display)", key,
                     key);
            return -1;
        }
        used[idx] = true;
        char name[32], val[24];
        snprintf(name, sizeof(name), "_fd_%s", key);
        snprintf(val, sizeof(val), "%d", ctx->req_fds[idx]);
        port_args_set(out, name, val);
    }
    return 0;
}

void port_client_save(struct jw *w, const struct port *p)
{
    const char *uid = port_arg(&p->args, "_uid");
    if (uid)
        jw_kstr(w, "client_uid", uid);
}

void port_client_restore(const struct json *saved, struct port_args *out)
{
    memset(out, 0, sizeof(*out));
    int64_t uid;
    const char *s = json_get_str(saved, "client_uid", NULL);
    char *end;
    /* An unreadable owner is not root: the stricter rules apply. */
    if (s) {
        uid = strtoll(s, &end, 10);
        port_args_set(out, "_uid", (*end || uid <= 0) ? "4294967294" : s);
    }
}

bool port_client_is_root(const struct port *p)
{
    return port_arg(&p->args, "_uid") == NULL;
}

static void args_del(struct port_args *a, const char *key)
{
    for (unsigned i = 0; i < a->n; i++) {
        if (strcmp(a->key[i], key) != 0)
            continue;
        memmove(&a->key[i], &a->key[i + 1], (a->n - i - 1) * sizeof(a->key[0]));
        memmove(&a->val[i], &a->val[i + 1], (a->n - i - 1) * sizeof(a->val[0]));
        a->n--;
        return;
    }
}

int port_client_take_fd(struct port *p, const char *key, int *fd, char *err, size_t errlen)
{
    char name[32];
    snprintf(name, sizeof(name), "_fd_%s", key);
    const char *v = port_arg(&p->args, name);
    *fd = -1;
    if (!v)
        return 0;
    /* The number is only valid while the request is handled: never keep it in the port. */
    int passed = atoi(v);
    args_del(&p->args, name);
    *fd = fcntl(passed, F_DUPFD_CLOEXEC, 3);
    if (*fd < 0) {
        snprintf(err, errlen, "%s=: the passed descriptor: %s", key, strerror(errno));
        return -1;
    }
    return 0;
}

int port_client_socket_path(const struct port *p, const char *path, char *out, size_t outlen,
                            char *err, size_t errlen)
{
    if (port_client_is_root(p)) {
        if (strlen(path) >= outlen) {
            snprintf(err, errlen, "socket path too long (at most %zu bytes)", outlen - 1);
            return -1;
        }
        snprintf(out, outlen, "%s", path);
        return 0;
    }
    /* Made when first needed, so a switch that never serves such a client leaves no trace. */
    char tmp[sizeof(socket_dir)];
    snprintf(tmp, sizeof(tmp), "%s", socket_dir);
    if (mkdirs(tmp) < 0) {
        snprintf(err, errlen, "socket directory %s: %s", socket_dir, strerror(errno));
        return -1;
    }
    if (sockpath_check(socket_dir, path, out, outlen, err, errlen) < 0)
        return -1;
    /* Taking the control socket's name would keep the switch from starting again. */
    char parent[4096], rparent[4096], ctl[4096 + 2];
    const char *slash = strrchr(control_sock, '/');
    if (slash && slash != control_sock) {
        snprintf(parent, sizeof(parent), "%.*s", (int)(slash - control_sock), control_sock);
        if (realpath(parent, rparent)) {
            snprintf(ctl, sizeof(ctl), "%s%s", rparent, slash);
            if (strcmp(ctl, out) == 0) {
                snprintf(err, errlen, "socket path %s is the switch's control socket", path);
                return -1;
            }
        }
    }
    return 0;
}

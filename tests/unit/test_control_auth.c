/* test_control_auth.c - unit tests of the control socket's permission decision: rights from
 * peer credentials, methods against rights, and credentials read once at accept. */
#include "control_auth.h"

#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "control.h"
#include "rpc_request.h"

#define ADM 4201
#define CAP 4202
#define NOBODY 65534

static void test_rights(void)
{
    struct peer_creds root = {0, 0, 1}, user = {1000, 1000, 2};
    gid_t adm[] = {7, ADM}, cap[] = {CAP}, both[] = {CAP, ADM};
    CHECK_EQ(control_rights(&root, NULL, 0, ADM, CAP, false), CONN_ROOT);
    CHECK_EQ(control_rights(&user, NULL, 0, ADM, CAP, false), 0);
    CHECK_EQ(control_rights(&user, adm, 2, ADM, CAP, false), CONN_ADMIN);
    CHECK_EQ(control_rights(&user, cap, 1, ADM, CAP, false), CONN_CAPTURE);
    CHECK_EQ(control_rights(&user, both, 2, ADM, CAP, true),
             CONN_ADMIN | CONN_CAPTURE | CONN_CAPTURE_SOCK);
    struct peer_creds primary = {1000, ADM, 3};
    CHECK_EQ(control_rights(&primary, NULL, 0, ADM, ADM, false), CONN_ADMIN | CONN_CAPTURE);
    /* No group configured: nobody is a member, not even of gid (gid_t)-1. */
    struct peer_creds odd = {1000, (gid_t)-1, 4};
    gid_t none[] = {(gid_t)-1};
    CHECK_EQ(control_rights(&odd, none, 1, (gid_t)-1, (gid_t)-1, false), 0);
}

static void test_allows(void)
{
    CHECK(control_allows(0, 0));
    CHECK(!control_allows(0, RPC_F_CONFIG));
    CHECK(!control_allows(0, RPC_F_CAPTURE));
    CHECK(!control_allows(CONN_CAPTURE, RPC_F_CONFIG));
    CHECK(control_allows(CONN_CAPTURE, RPC_F_CAPTURE));
    CHECK(control_allows(CONN_ADMIN, RPC_F_CONFIG));
    CHECK(!control_allows(CONN_ADMIN, RPC_F_CAPTURE));
    CHECK(control_allows(CONN_ROOT, RPC_F_CONFIG | RPC_F_CAPTURE));
    CHECK(!control_allows(CONN_ROOT | CONN_CAPTURE_SOCK, RPC_F_CONFIG));
    CHECK(!control_allows(CONN_ADMIN | CONN_CAPTURE_SOCK, RPC_F_CONFIG));
    CHECK(control_allows(CONN_CAPTURE | CONN_CAPTURE_SOCK, RPC_F_CAPTURE));
    CHECK(control_allows(CONN_CAPTURE_SOCK, 0));
}

static void test_route(void)
{
    static const char add[] =
        "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"flows.add\",\"params\":{\"flows\":[]}}";
    static const char list[] = "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"port.list\"}";
    struct rpc_request req;
    struct rpc_ctx ctx = {0};
    CHECK(control_route(add, strlen(add), false, 0, &req, &ctx) == NULL);
    CHECK_EQ(ctx.err_code, RPC_ERR_PERM);
    CHECK_STR(req.id_json, "3");
    rpc_request_free(&req);
    memset(&ctx, 0, sizeof(ctx));
    const struct rpc_method *m = control_route(add, strlen(add), false, CONN_ADMIN, &req, &ctx);
    CHECK(m && strcmp(m->name, "flows.add") == 0);
    CHECK_EQ(ctx.err_code, 0);
    rpc_request_free(&req);
    memset(&ctx, 0, sizeof(ctx));
    CHECK(control_route(add, strlen(add), false, CONN_ROOT | CONN_CAPTURE_SOCK, &req, &ctx) ==
          NULL);
    CHECK(strstr(ctx.err, "capture socket") != NULL);
    rpc_request_free(&req);
    memset(&ctx, 0, sizeof(ctx));
    CHECK(control_route(list, strlen(list), false, CONN_CAPTURE_SOCK, &req, &ctx) != NULL);
    rpc_request_free(&req);
    memset(&ctx, 0, sizeof(ctx));
    CHECK(control_route(list, strlen(list), true, CONN_ROOT, &req, &ctx) == NULL);
    CHECK_EQ(ctx.err_code, RPC_ERR_INVALID);
    CHECK_STR(req.id_json, "null");
    rpc_request_free(&req);
}

/* A child connects as uid NOBODY with no groups, then (being root underneath, with only its
 * effective ids dropped) takes the admin group: the accepted socket still says no groups. */
static void test_creds_from_connect(void)
{
    char dir[] = "/tmp/test_control_auth.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/s", dir);
    int lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    CHECK(lfd >= 0);
    CHECK_EQ(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    CHECK_EQ(chmod(sa.sun_path, 0666), 0);
    CHECK_EQ(chmod(dir, 0711), 0);
    CHECK_EQ(listen(lfd, 4), 0);
    int ready[2], done[2]; /* child to parent, parent to child */
    CHECK_EQ(pipe(ready), 0);
    CHECK_EQ(pipe(done), 0);
    pid_t pid = fork();
    if (pid == 0) {
        gid_t adm = ADM;
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (setgroups(0, NULL) < 0 || setegid(NOBODY) < 0 || seteuid(NOBODY) < 0 ||
            connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || seteuid(0) < 0 ||
            setgroups(1, &adm) < 0 || seteuid(NOBODY) < 0)
            _exit(1);
        char c = 'x';
        close(ready[0]);
        close(done[1]);
        if (write(ready[1], &c, 1) != 1 || read(done[0], &c, 1) < 0)
            _exit(1);
        _exit(0);
    }
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    CHECK(fd >= 0);
    char c;
    close(ready[1]);
    close(done[0]);
    CHECK_EQ(read(ready[0], &c, 1), 1); /* the child now has the admin group */
    struct peer_creds pc;
    unsigned rights = 99;
    CHECK_EQ(control_peer_rights(fd, ADM, CAP, false, &pc, &rights), 0);
    CHECK_EQ(pc.uid, NOBODY);
    CHECK_EQ(pc.gid, NOBODY);
    CHECK_EQ(pc.pid, pid);
    CHECK_EQ(rights, 0);
    CHECK(!control_allows(rights, RPC_F_CONFIG));
    close(done[1]);
    int st = -1;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(ready[0]);
    close(fd);

    /* A peer that is in the group when it connects has its rights. */
    pid = fork();
    if (pid == 0) {
        gid_t g[] = {CAP, ADM};
        int cfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (setgroups(2, g) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
            setresuid(NOBODY, NOBODY, NOBODY) < 0 ||
            connect(cfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
            _exit(1);
        _exit(0);
    }
    fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    CHECK(fd >= 0);
    CHECK_EQ(control_peer_rights(fd, ADM, CAP, true, &pc, &rights), 0);
    CHECK_EQ(rights, CONN_ADMIN | CONN_CAPTURE | CONN_CAPTURE_SOCK);
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(fd);
    close(lfd);
    unlink(sa.sun_path);
    rmdir(dir);
}

int main(void)
{
    test_rights();
    test_allows();
    test_route();
    test_creds_from_connect();
    return check_exit();
}

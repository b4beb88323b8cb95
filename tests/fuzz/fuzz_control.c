/* fuzz_control.c - the control socket's receive path on arbitrary bytes: peer credentials
 * (uid, gid, supplementary groups, which socket) from the input's first bytes, then the
 * message through decoding, method lookup and the permission decision, and for capture.open
 * its parameters. Nothing may crash, leak or read out of bounds, and no method may be let
 * through to a peer its flags do not allow. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "capreq.h"
#include "capture.h"
#include "control.h"
#include "control_auth.h"
#include "flows.h"
#include "log.h"
#include "rpc_request.h"

#define ADMIN_GID 1
#define CAPTURE_GID 2
#define HEADER 4 /* uid, gid, flags, group count; then the groups, one byte each */

static const struct rpc_method *lookup(const char *name)
{
    SLUICE_FOREACH(sluice_rpc, struct rpc_method, it)
    {
        if (strcmp((*it)->name, name) == 0)
            return *it;
    }
    return NULL;
}

static bool member(gid_t g, gid_t primary, const gid_t *groups, size_t n)
{
    if (primary == g)
        return true;
    for (size_t i = 0; i < n; i++)
        if (groups[i] == g)
            return true;
    return false;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    log_threshold = LOG_LVL_ERR;
    /* Link in methods of each kind (read, config, capture) for the lookup to find. */
    if (!lookup("flows.add") || !lookup("flows.stats") || !lookup("capture.open"))
        __builtin_trap();
    return 0;
}

/* Referenced so that the linker keeps the files that register those methods. */
void (*const fuzz_keep_capture)(void) = capture_close_all;
size_t (*const fuzz_keep_flows)(void) = flows_rule_count;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HEADER)
        return 0;
    struct peer_creds pc = {data[0] ? 1000u + data[0] : 0, data[1], 1};
    bool capture_sock = data[2] & 1;
    bool truncated = data[2] & 2;
    size_t ngroups = data[3] & 15;
    if (size < HEADER + ngroups)
        return 0;
    gid_t groups[16];
    for (size_t i = 0; i < ngroups; i++)
        groups[i] = data[HEADER + i];
    data += HEADER + ngroups;
    size -= HEADER + ngroups;

    unsigned rights = control_rights(&pc, groups, ngroups, ADMIN_GID, CAPTURE_GID, capture_sock);
    bool root = pc.uid == 0;
    bool admin = member(ADMIN_GID, pc.gid, groups, ngroups);
    bool capture = member(CAPTURE_GID, pc.gid, groups, ngroups);
    struct rpc_request req;
    struct rpc_ctx ctx = {0};
    const struct rpc_method *m =
        control_route((const char *)data, size, truncated, rights, &req, &ctx);
    const struct rpc_method *named = req.method ? lookup(req.method) : NULL;
    unsigned flags = named ? named->flags : 0;
    bool may = !((flags & RPC_F_CONFIG) && (capture_sock || !(root || admin))) &&
               !((flags & RPC_F_CAPTURE) && !(root || capture));
    if (m && (m != named || !may || ctx.err_code))
        __builtin_trap();
    if (ctx.err_code == RPC_ERR_PERM && (!named || may))
        __builtin_trap();
    bool decoded = m || ctx.err_code == RPC_ERR_PERM || ctx.err_code == RPC_ERR_NO_METHOD;
    if (decoded) {
        struct capture_request cr;
        char err[256];
        if (capreq_parse(req.params, &cr, err, sizeof(err)) == 0 && cr.ninsns == 0)
            __builtin_trap();
        capreq_free(&cr);
    }
    rpc_request_free(&req);
    return 0;
}

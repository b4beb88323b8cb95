/* rpc.h - framing of the control protocol: JSON-RPC 2.0 messages over a UNIX
 * SOCK_SEQPACKET socket, one message per packet, descriptors passed with SCM_RIGHTS. */
#ifndef SLUICE_RPC_H
#define SLUICE_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "json.h"

#define RPC_MAX_MSG (256 * 1024)
#define RPC_MAX_FDS 4
#define RPC_DEFAULT_SOCK "/run/sluice/sluiced.sock"

/* JSON-RPC error codes used by the switch. */
#define RPC_ERR_PARSE -32700
#define RPC_ERR_INVALID -32600
#define RPC_ERR_NO_METHOD -32601
#define RPC_ERR_PARAMS -32602
#define RPC_ERR_INTERNAL -32603
#define RPC_ERR_PERM -32001
#define RPC_ERR_NOT_FOUND -32002
#define RPC_ERR_EXISTS -32003
#define RPC_ERR_FAILED -32004

/* Sends one message (1..RPC_MAX_MSG bytes) with up to RPC_MAX_FDS descriptors; raises the
 * socket's send buffer when a message needs it. Returns 0 or -1 (errno set). */
int rpc_send(int fd, const char *msg, size_t len, const int *fds, unsigned nfds);
/* Receives one message into buf (cap bytes, NUL-terminated, so cap-1 usable). Returns its
 * length, 0 on orderly close, -1 on error. *truncated is set when the message was larger
 * than the buffer; received descriptors beyond *nfds (in: room, out: count) are closed.
 * A truncated message keeps none of its descriptors; one carrying more than RPC_MAX_FDS
 * is refused whole (-1, errno EPROTO). fds, nfds and truncated may be NULL. */
ssize_t rpc_recv(int fd, char *buf, size_t cap, int *fds, unsigned *nfds, bool *truncated);

/* With a capture group other than its admin group, the switch also listens on the main
 * socket's path with this suffix: group-owned by the capture group, it serves the methods that
 * read state and those that capture, never a configuration change. */
#define RPC_CAPTURE_SOCK_SUFFIX ".capture"

/* Client side. rpc_connect returns a connected socket or -1 with a one-line message
 * ("switch not running (no socket at PATH)", "permission denied on PATH"). A caller who may
 * not open PATH is connected to PATH.capture instead when that socket lets them in. */
int rpc_connect(const char *path, char *err, size_t errlen);
/* Calls `method` with `params_json` (an encoded JSON object, or NULL for none).
 * Returns 0 with *result owned by the caller (free with json_free), 1 when the switch
 * answered with an error (its message in err), -1 on a transport error (err says which).
 * Descriptors sent with the reply are stored in fds (room for *nfds, count returned). */
int rpc_call(int fd, const char *method, const char *params_json, struct json **result, int *fds,
             unsigned *nfds, char *err, size_t errlen);
/* rpc_call that also sends up to RPC_MAX_FDS descriptors with the request (the caller keeps
 * its copies; the switch receives its own). */
int rpc_call_fds(int fd, const char *method, const char *params_json, const int *send_fds,
                 unsigned nsend, struct json **result, int *fds, unsigned *nfds, char *err,
                 size_t errlen);

#endif

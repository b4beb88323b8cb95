/* sockpath.h - where a non-root client may have the switch create a UNIX socket: a path
 * inside one configured directory, reached without `..` or symbolic links leading out. */
#ifndef SLUICE_SOCKPATH_H
#define SLUICE_SOCKPATH_H

#include <stddef.h>

/* Checks `path`, a socket the switch is to bind for a non-root client, against the allowed
 * directory `dir`. Refused: abstract names ('@'), relative paths, `.` or `..` components, a
 * directory that resolves outside `dir`, and a final component that exists and is not a
 * socket (symbolic links included). On success writes the path with its directory resolved
 * to out and returns 0; otherwise returns -1 with a one-line reason in err. */
int sockpath_check(const char *dir, const char *path, char *out, size_t outlen, char *err,
                   size_t errlen);

#endif

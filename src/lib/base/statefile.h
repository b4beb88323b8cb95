/* statefile.h - files that must survive a crash whole: written to a temporary name, synced,
 * renamed over the old one, and the directory synced, so a reader finds old or new. */
#ifndef SLUICE_STATEFILE_H
#define SLUICE_STATEFILE_H

#include <stddef.h>

/* Creates dir (mode 0750) if missing. Returns 0 or -1 with err. */
int statefile_dir(const char *dir, char *err, size_t errlen);
int statefile_write(const char *dir, const char *name, const char *data, size_t len, char *err,
                    size_t errlen);
/* Reads the whole file (at most max bytes) into a NUL-terminated malloc'd buffer.
 * Returns 1 if the file does not exist, 0 with *data set, -1 with err. */
int statefile_read(const char *dir, const char *name, size_t max, char **data, size_t *len,
                   char *err, size_t errlen);

#endif

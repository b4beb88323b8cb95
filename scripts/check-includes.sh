#!/usr/bin/env bash
# check-includes.sh - rejects #include lines that name a path (../x.h, dir/x.h, /abs/x.h) in the
# C files below the given folders: only bare names keep the Makefile's per-folder include lists.
set -u
export LC_ALL=C
status=0
for dir in "$@"; do
    # A path in quotes, or one that climbs or starts at / in angle brackets (system headers such
    # as <linux/if.h> are fine: they cannot reach the tree).
    while IFS= read -r hit; do
        echo "$hit: name the header alone; which folders a file may use is set in the Makefile" >&2
        status=1
    done < <(find "$dir" -name '*.[ch]' -print0 | xargs -0 -r grep -HnE \
        '^[[:space:]]*#[[:space:]]*include[[:space:]]*("[^"]*/[^"]*"|<(\.\.|/)[^>]*>|<[^>]*/\.\.[^>]*>)')
done
exit $status

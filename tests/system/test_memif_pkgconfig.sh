#!/usr/bin/env bash
# test_memif_pkgconfig.sh - a program built outside the tree against libsluice-memif, with only
# the header and the flags from sluice-memif.pc, exchanges a frame through sluiced.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/memif_lib.sh"

PC="$BUILD/sluice-memif.pc"
check "pkg-config file present" test -f "$PC"
SANFLAGS=
case "$BUILD" in *asan*) SANFLAGS="-fsanitize=address,undefined" ;; esac
cat >"$WORK/client.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <sluice_memif.h>
int main(int argc, char **argv)
{
    char err[256];
    struct sluice_memif_config a = {.socket_path = argv[1], .id = 0, .name = "outside-a"};
    struct sluice_memif_config b = {.socket_path = argv[1], .id = 1, .name = "outside-b",
                                    .rx_interrupts = 1};
    struct sluice_memif *ma = sluice_memif_open(&a, err, sizeof(err));
    struct sluice_memif *mb = ma ? sluice_memif_open(&b, err, sizeof(err)) : NULL;
    if (!mb || sluice_memif_wait_connected(ma, 5000) || sluice_memif_wait_connected(mb, 5000)) {
        fprintf(stderr, "connect: %s\n", mb ? sluice_memif_last_error(mb) : err);
        return 1;
    }
    struct sluice_memif_buf buf;
    if (sluice_memif_buf_get(ma, 0, &buf, 1) != 1)
        return 1;
    /* broadcast, so the switch floods it to the other interface */
    memset(buf.data, 0xff, 6);
    memcpy(buf.data + 6, "\x02\x00\x00\x00\x00\x01\x88\xb5", 8);
    for (int i = 14; i < 100; i++)
        buf.data[i] = (unsigned char)i;
    buf.len = 100;
    sluice_memif_tx_burst(ma, 0, &buf, 1);
    for (int tries = 0; tries < 50; tries++) {
        struct sluice_memif_buf in;
        if (sluice_memif_rx_burst(mb, 0, &in, 1) == 1) {
            int same = in.len == 100 && in.data[99] == 99 && in.data[0] == 0xff;
            sluice_memif_buf_put(mb, 0, 1);
            printf("received %u bytes, %s\n", in.len, same ? "as sent" : "different");
            sluice_memif_close(ma);
            sluice_memif_close(mb);
            return same ? 0 : 1;
        }
        /* wait for the switch's signal on the caller's own poll */
        struct pollfd { int fd; short events, revents; } p = {sluice_memif_fd(mb), 1, 0};
        extern int poll(struct pollfd *, unsigned long, int);
        poll(&p, 1, 100);
        sluice_memif_handle_events(mb);
    }
    fprintf(stderr, "nothing received\n");
    sluice_memif_close(ma);
    sluice_memif_close(mb);
    return 1;
}
C
check "builds with pkg-config's flags alone" \
    cc -std=c11 $SANFLAGS -o "$WORK/client" "$WORK/client.c" $(pkg-config --cflags --libs "$PC")

start_sluiced
ctl add-port m0 type=memif socket="$MSOCK" id=0
ctl add-port m1 type=memif socket="$MSOCK" id=1
check "exchanges a frame through the switch" "$WORK/client" "$MSOCK"
finish

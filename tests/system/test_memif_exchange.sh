#!/usr/bin/env bash
# test_memif_exchange.sh - two client processes exchange traffic through sluiced over memif:
# every frame from 60 to 9000 bytes arrives byte for byte, chained over 2 KiB buffers and in
# single 9 KiB buffers; interface ids share one socket; counters agree.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/memif_lib.sh"

start_sluiced
ctl add-port m0 type=memif socket="$MSOCK" id=0
ctl add-port m1 type=memif socket="$MSOCK" id=1
check "one socket for both interface ids" test -S "$MSOCK"
check "ports are down without a client" link_is m0 false
check "an id already used on the socket is refused" bash -c "! $SLUICECTL --sock $SOCK add-port m2 type=memif socket=$MSOCK id=1"

# (Before any reflector runs, so that nothing else learns the receiver's address.)
# Frames changed on the way (an access port's frames tagged for a trunk) leave tagged; the
# client's buffers are never written by the switch.
ctl add-port v0 type=memif socket="$MSOCK" id=10 tag=10
ctl add-port v1 type=memif socket="$MSOCK" id=11 trunks=10
timeout 60 "$PKTGEN" --tx "$MSOCK:10" --rx "$MSOCK:11" --size 64,1500 --count 1000 --rate 10000 \
    --wait-ms 1000 >"$WORK/gv.log" 2>&1
cat "$WORK/gv.log"
check "switch alive after tagging memif frames" kill -0 "$SLUICED_PID"
check "all 1000 left the trunk port" test "$(port_stat v1 tx_packets)" -ge 1000
check "each 4 bytes longer: tagged" \
    test "$(port_stat v1 tx_bytes)" -eq $(($(port_stat v0 rx_bytes) + 4 * 1000))
check "so not byte-identical at the receiver (counted as not ours)" \
    grep -q "not ours 1000" "$WORK/gv.log"
ctl del-port v0
ctl del-port v1

# Process two: a reflector on m1 sends every frame back with the addresses swapped.
"$PKTGEN" --echo "$MSOCK:1" --ring-size 4096 >"$WORK/echo.log" 2>&1 &
BG_PIDS+=($!)
check "reflector connects: m1 up" wait_link m1 true

# Process one sends on m0 and receives the reflected frames on m0. Frames of up to five 2 KiB
# buffers: the largest ring lets the receiver be descheduled for a while on a loaded machine
# without the switch finding its ring empty.
check "60..9000 bytes, chained 2 KiB buffers, byte-exact both ways" \
    pktgen_ok "$WORK/g1.log" --tx "$MSOCK:0" --rx "$MSOCK:0" --no-announce \
    --size 60-9000 --count 8941 --rate 10000 --ring-size 16384 --wait-ms 3000
check "m0 went down after its client exited" wait_link m0 false
check "60..9000 bytes in 9216-byte buffers (one descriptor a frame)" \
    pktgen_ok "$WORK/g2.log" --tx "$MSOCK:0" --rx "$MSOCK:0" --no-announce --buffer-size 9216 \
    --size 60-9000 --size-step 3 --count 2981 --rate 10000 --ring-size 4096 --wait-ms 3000
check "several flows and sizes" \
    pktgen_ok "$WORK/g3.log" --tx "$MSOCK:0" --rx "$MSOCK:0" --no-announce --flows 16 \
    --size 60,64,128,1500,1514 --count 20000 --rate 20000 --ring-size 4096 --wait-ms 3000

# The abstract namespace (DPDK's default): a socket named "@name" has no file.
ctl add-port a0 type=memif socket="@sluice-test-$T" id=0
ctl add-port a1 type=memif socket="@sluice-test-$T" id=1
check "abstract socket: traffic between its two interfaces" \
    pktgen_ok "$WORK/ga.log" --tx "@sluice-test-$T:0" --rx "@sluice-test-$T:1" \
    --size 60-1514 --size-step 7 --count 2000 --rate 10000 --ring-size 4096 --wait-ms 3000
ctl del-port a0
ctl del-port a1

rx0=$(port_stat m0 rx_packets)
tx0=$(port_stat m0 tx_packets)
echo "m0 rx $rx0 tx $tx0"
check "switch received every frame from process one" test "$rx0" -ge $((8941 + 2981 + 20000))
check "and delivered every reflected frame to it" test "$tx0" -ge $((8941 + 2981 + 20000))
check "no protocol violations" test "$(port_stat m0 rx_drops.peer_error)" -eq 0
check "no protocol violations on m1" test "$(port_stat m1 tx_drops.peer_error)" -eq 0
check "connects counted" test "$(memif_json m0 connects)" -eq 3
finish

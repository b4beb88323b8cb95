#!/usr/bin/env bash
# test_memif_testpmd.sh - interoperation with DPDK's net_memif: dpdk-testpmd (Debian's dpdk-dev,
# no hugepages, no PCI) connects two memif client ports to sluiced and forwards between them;
# sluice-pktgen's frames cross the switch twice and testpmd once, byte for byte.
#
#   pktgen g0 --(VLAN 10)--> m0 -> testpmd port 0 ==io==> port 1 -> m1 --(VLAN 20)--> g1 pktgen
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/memif_lib.sh"

TESTPMD=$(command -v dpdk-testpmd || true)
if [ -z "$TESTPMD" ]; then
    fail "dpdk-testpmd not found (Debian package dpdk-dev; scripts/install-deps.sh installs it)"
    finish
fi

start_sluiced
# testpmd's forwarding core polls without pause: keep the switch and the generator off it.
taskset -apc 0 "$SLUICED_PID" >/dev/null
ctl add-port m0 type=memif socket="$MSOCK" id=0 tag=10
ctl add-port m1 type=memif socket="$MSOCK" id=1 tag=20
ctl add-port g0 type=memif socket="$MSOCK" id=2 tag=10
ctl add-port g1 type=memif socket="$MSOCK" id=3 tag=20

# testpmd runs until its standard input ends; a fifo held open by a sleeper keeps it running
# until the test closes it. Its memory is plain pages (--no-huge), its devices virtual.
# Deep rings and a modest rate ride out the pauses of a busy-polling testpmd on a loaded
# 2-core machine.
mkfifo "$WORK/testpmd.in"
sleep 120 >"$WORK/testpmd.in" &
HOLDER=$!
BG_PIDS+=($HOLDER)
"$TESTPMD" -l 0-1 --no-huge -m 512 --no-pci --file-prefix="sluice$T" --log-level=pmd.net.memif:info \
    --vdev="net_memif0,role=client,id=0,socket=$MSOCK,socket-abstract=no,rsize=14" \
    --vdev="net_memif1,role=client,id=1,socket=$MSOCK,socket-abstract=no,rsize=14" \
    -- --forward-mode=io --auto-start --stats-period 0 --total-num-mbufs=40000 \
    <"$WORK/testpmd.in" >"$WORK/testpmd.log" 2>&1 &
TESTPMD_PID=$!
BG_PIDS+=($TESTPMD_PID)
check "testpmd's net_memif connects to m0" wait_link m0 true 20
check "and to m1" wait_link m1 true 5
check "testpmd still running" kill -0 "$TESTPMD_PID"
check "remote name is DPDK's" grep -qi "dpdk" <<<"$(memif_json m0 remote_name)"

PKTGEN_PREFIX="taskset -c 0"
check "frames 60..1514 through testpmd, byte-exact" \
    pktgen_ok "$WORK/g.log" --tx "$MSOCK:2" --rx "$MSOCK:3" --size 60-1514 --count 14550 \
    --rate 5000 --ring-size 4096 --wait-ms 5000
check "64-byte frames, 8 flows" \
    pktgen_ok "$WORK/g64.log" --tx "$MSOCK:2" --rx "$MSOCK:3" --size 64 --flows 8 --count 20000 \
    --rate 5000 --ring-size 4096 --wait-ms 5000
check "frames crossed testpmd (m0 sent them, m1 received them)" \
    test "$(port_stat m1 rx_packets)" -ge 34550
check "no protocol violations from DPDK" test "$(port_stat m0 rx_drops.peer_error)" -eq 0

ctl port-stats --detail
kill "$HOLDER" 2>/dev/null # end of input: testpmd stops its ports and exits
for _ in $(seq 1 100); do
    kill -0 "$TESTPMD_PID" 2>/dev/null || break
    sleep 0.1
done
check "testpmd exited on its own" bash -c "! kill -0 $TESTPMD_PID 2>/dev/null"
check "m0 down after testpmd left" wait_link m0 false 5
tail -n 30 "$WORK/testpmd.log"
finish

#!/usr/bin/env bash
# test_memif_lifecycle.sh - a memif client killed with SIGKILL turns its port down and leaves
# the switch unharmed; a new client connects to the same port; when the switch restarts, a
# connected client reconnects by itself and traffic flows again.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/memif_lib.sh"

start_sluiced
ctl add-port m0 type=memif socket="$MSOCK" id=0
ctl add-port m1 type=memif socket="$MSOCK" id=1
"$PKTGEN" --echo "$MSOCK:1" >"$WORK/echo.log" 2>&1 &
ECHO_PID=$!
BG_PIDS+=($ECHO_PID)
check "reflector up" wait_link m1 true

# A sender killed in the middle of its traffic.
"$PKTGEN" --tx "$MSOCK:0" --rx "$MSOCK:0" --no-announce --rate 20000 --duration 60 \
    >"$WORK/victim.log" 2>&1 &
VICTIM=$!
BG_PIDS+=($VICTIM)
check "sender connected" wait_link m0 true
sleep 0.5
before=$(port_stat m0 rx_packets)
check "traffic was flowing before the kill" test "$before" -gt 0
kill -9 "$VICTIM"
wait "$VICTIM" 2>/dev/null
check "port goes down after SIGKILL of its client" wait_link m0 false 3
check "switch still running" kill -0 "$SLUICED_PID"
check "switch still answers" ctl show
check "last error names the cause" grep -q "client went away" <<<"$(ctl --json show m0)"
check "a new client connects to the same port and traffic flows" \
    pktgen_ok "$WORK/after-kill.log" --tx "$MSOCK:0" --rx "$MSOCK:0" --no-announce \
    --size 64,1500 --count 5000 --rate 20000 --wait-ms 3000

# The switch restarts; the reflector (same process) reconnects without being restarted.
stop_sluiced
check "reflector survived the switch going away" kill -0 "$ECHO_PID"
start_sluiced
check "memif ports restored" ctl show m0
check "reflector reconnected by itself" wait_link m1 true 10
check "reflector is the same process" kill -0 "$ECHO_PID"
check "traffic flows after the restart" \
    pktgen_ok "$WORK/after-restart.log" --tx "$MSOCK:0" --rx "$MSOCK:0" --no-announce \
    --size 60-1514 --size-step 13 --count 5000 --rate 20000 --wait-ms 3000
finish

#!/usr/bin/env bash
# test_memif_lifecycle.sh - a memif client killed with SIGKILL turns its port down and leaves
# the switch unharmed; a new client connects to the same port; when the switch restarts, a
# connected client reconnects by itself and traffic flows again.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/memif_lib.sh"

start_sluiced
ctl add-port m0 type=memif socket="$MSOCK" id=0
ctl add-port m1 type=memif socket="$MSOCK" id=1
"$PKTGEN" --echo "$MSOCK:1" --ring-size 4096 >"$WORK/echo.log" 2>&1 &
ECHO_PID=$!
BG_PIDS+=($ECHO_PID)
check "reflector up" wait_link m1 true

# A sender killed in the middle of its traffic.
"$PKTGEN" --tx "$MSOCK:0" --rx "$MSOCK:0" --no-announce --rate 10000 --ring-size 4096 --duration 60 \
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
    --size 64,1500 --count 5000 --rate 10000 --ring-size 4096 --wait-ms 3000

# A client that connects and then says nothing is refused after the handshake time (5 s).
check "a silent client is disconnected after the handshake time" python3 - "$MSOCK" <<'PY'
import socket, struct, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
hello = s.recv(256)
assert len(hello) == 128 and struct.unpack_from("<H", hello)[0] == 2, "no hello"
s.settimeout(10)
start = time.time()
msg = s.recv(256)
waited = time.time() - start
kind = struct.unpack_from("<H", msg)[0]
reason = msg[6:102].split(b"\0")[0].decode()
print("after %.1f s: type %d %r" % (waited, kind, reason))
assert kind == 8 and reason == "refused: timeout" and 3 < waited < 9
assert s.recv(256) == b""  # closed
PY
check "counted as a timeout on the socket" grep -q '"timeout": 1' <<<"$(ctl --json show m0)"

# The switch restarts; the reflector (same process) reconnects without being restarted.
stop_sluiced
check "reflector survived the switch going away" kill -0 "$ECHO_PID"
start_sluiced
check "memif ports restored" ctl show m0
check "reflector reconnected by itself" wait_link m1 true 10
check "reflector is the same process" kill -0 "$ECHO_PID"
check "traffic flows after the restart" \
    pktgen_ok "$WORK/after-restart.log" --tx "$MSOCK:0" --rx "$MSOCK:0" --no-announce \
    --size 60-1514 --size-step 13 --count 5000 --rate 10000 --ring-size 4096 --wait-ms 3000
finish

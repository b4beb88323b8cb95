#!/usr/bin/env bash
# test_memif_unbound.sh - connections that have not named an interface: a uid that keeps 100
# idle connections open on a socket holds at most 8 of them, cannot keep a client of another
# uid (or of its own) from connecting to another interface of the socket, and its idle
# connections are closed after the handshake time.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/memif_lib.sh"

# Abstract, so that clients of any uid can reach it whatever the test directory's mode.
ASOCK="@sluice-unbound-$T-$$"
SQUAT_UID=65534
OTHER_UID=65533
as_uid() { # as_uid UID COMMAND... &: runs COMMAND as that uid (in place of the background
    # subshell, so that $! is its pid), with no supplementary groups
    local uid=$1
    shift
    exec setpriv --reuid="$uid" --regid="$uid" --clear-groups "$@"
}

start_sluiced
ctl add-port m0 type=memif socket="$ASOCK" id=0
ctl add-port m1 type=memif socket="$ASOCK" id=1

# The squatter: every 100 ms it tops its connections back up to 70 (more than the socket's 64)
# and says nothing on them,
# until told to stop (SIGUSR1); then it waits for the switch to close what it still holds.
# (The system's python: the test's uids may not reach a per-user installation.)
squat_start=$(date +%s%N)
as_uid "$SQUAT_UID" /usr/bin/python3 - "$ASOCK" >"$WORK/squat.json" <<'PY' &
import json, select, signal, socket, struct, sys, time
addr = "\0" + sys.argv[1][1:]
stopping = False
def stop(*_):
    global stopping
    stopping = True
signal.signal(signal.SIGUSR1, stop)
conns = {}  # socket -> [opened at, greeted]
t_start = time.time()
timeouts_at = set()  # seconds after the start when connections timed out
opened = refused = 0
reasons = {}
most_live = 0
def poll(conns, reasons):
    """Reads what the switch sent; returns the sockets it closed."""
    gone = []
    for s, st in conns.items():
        while True:
            try:
                m = s.recv(256, socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
            except OSError:
                m = b""
            if not m:
                gone.append(s)
                break
            kind = struct.unpack_from("<H", m)[0]
            if kind == 2:
                st[1] = True
            elif kind == 8:
                r = m[6:102].split(b"\0")[0].decode()
                reasons[r] = reasons.get(r, 0) + 1
                if r == "refused: timeout":
                    timeouts_at.add(round(time.time() - t_start, 1))
    return gone
while not stopping:
    while len(conns) < 70:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            s.connect(addr)
        except OSError:
            s.close()
            break
        conns[s] = [time.time(), False]
        opened += 1
    time.sleep(0.1)
    for s in poll(conns, reasons):
        refused += 1
        del conns[s]
        s.close()
    most_live = max(most_live, sum(1 for st in conns.values() if st[1]))
# Stopped: how long until the switch closes what is left, and why.
time.sleep(0.2)
for s in poll(conns, reasons):
    del conns[s]
    s.close()
t_stop = time.time()
last_open = max(st[0] for st in conns.values()) if conns else t_stop
left = len(conns)
final = {}
while conns and time.time() - t_stop < 10:
    select.select(list(conns), [], [], 0.2)
    for s in poll(conns, final):
        del conns[s]
        s.close()
json.dump({"opened": opened, "refused": refused, "most_live": most_live, "left": left,
           "still_open": len(conns), "closed_after": time.time() - last_open,
           "reasons": reasons, "final": final, "ran": time.time() - t_start,
           "timeouts_at": sorted(timeouts_at)}, sys.stdout)
PY
SQUAT=$!
BG_PIDS+=($SQUAT)
sleep 1

# While the squatter is at work, a client of another uid connects to the second interface,
# and one of the squatter's own uid to the first (it displaces the squatter's oldest idle
# connection instead of being turned away). Both before the squatter's first connections
# time out (5 s after it started), which would let anyone in for a moment.
as_uid "$OTHER_UID" "$PKTGEN" --echo "$ASOCK:1" --ring-size 1024 >"$WORK/other.log" 2>&1 &
BG_PIDS+=($!)
as_uid "$SQUAT_UID" "$PKTGEN" --echo "$ASOCK:0" --ring-size 1024 >"$WORK/same.log" 2>&1 &
BG_PIDS+=($!)
both_up() { link_is m0 true && link_is m1 true; }
since_squat() { echo $((($(date +%s%N) - squat_start) / 1000000)); }
while ! both_up && [ "$(since_squat)" -lt 4500 ]; do sleep 0.05; done
elapsed=$(since_squat)
check "a client of another uid connects despite the squatter" link_is m1 true
check "a client of the squatter's own uid connects too" link_is m0 true
check "both within 4.5 s of the squatter's start (${elapsed} ms)" test "$elapsed" -lt 4500
check "the squatter's refusals are counted on the socket" \
    python3 -c "import json,sys; e=json.loads(sys.argv[1]); sys.exit(0 if e.get('unbound_limit',0) > 0 else 1)" \
    "$(memif_json m0 socket_errors)"

kill -USR1 "$SQUAT"
wait "$SQUAT"
cat "$WORK/squat.json"
echo
squat() { python3 -c "import json,sys; d=json.load(open('$WORK/squat.json')); sys.exit(0 if ($1) else 1)"; }
check "the squatter kept trying (over 200 connections opened)" squat "d['opened'] > 200"
check "it never held more than 8 greeted connections at once" squat "0 < d['most_live'] <= 8"
check "the others were refused as over the limit" squat "d['reasons'].get('refused: unbound_limit', 0) > 0"
check "its idle connections were closed by the switch" squat "d['left'] > 0 and d['still_open'] == 0"
check "after the handshake time (5 s), not before" squat "4.0 <= d['closed_after'] <= 7.5"
check "with the reason timeout" squat "d['final'].get('refused: timeout', 0) == d['left']"
check "both clients still connected" link_is m1 true
check "(and the first)" link_is m0 true
check "sluiced still running" kill -0 "$SLUICED_PID"
finish

#!/usr/bin/env bash
# test_capture_basic.sh - sluicedump on a running switch: what it writes and prints equals what
# tcpdump sees on the veth inside the namespace; -D, -c, -w -, -i any (pcapng with one
# interface per port and directions), the counters it reports, its one-line errors, captures
# closing with the connection, and the switch going away under it.
source "$(dirname "$0")/lib.sh"

command -v tcpdump >/dev/null || {
    echo "tcpdump is needed (apt-get install tcpdump)"
    exit 1
}

add_host a 10.78.0.1/24 02:00:00:00:0b:01
add_host b 10.78.0.2/24 02:00:00:00:0b:02
start_sluiced
check "add port pa" ctl add-port pa type=afpacket dev="$(veth a)"
check "add port pb" ctl add-port pb type=afpacket dev="$(veth b)"
# Neighbour entries first, so that the compared captures hold ICMP only.
check "warm-up ping" in_ns a ping -c 1 -W 2 10.78.0.2 >/dev/null

# wait_for FILE PATTERN: up to 5 s for a line to appear (a file written by another process).
wait_for() {
    for _ in $(seq 1 100); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "timed out waiting for '$2' in $1" >&2
    cat "$1" >&2
    return 1
}

# count_lines FILE N: up to 5 s for FILE to have at least N lines.
wait_lines() {
    for _ in $(seq 1 100); do
        [ "$(wc -l <"$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
        sleep 0.05
    done
    echo "timed out waiting for $2 lines in $1:" >&2
    cat "$1" >&2
    return 1
}

# wait_pid PID: its exit status, waiting at most 10 s (then it is killed and 255 returned).
wait_pid() {
    for _ in $(seq 1 200); do
        if ! kill -0 "$1" 2>/dev/null; then
            wait "$1" 2>/dev/null
            return $?
        fi
        sleep 0.05
    done
    echo "process $1 did not exit" >&2
    kill -9 "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    return 255
}

stop_bg() { # stop_bg PID...: SIGINT (sluicedump ends a capture on it), then wait for each
    for p in "$@"; do kill -INT "$p" 2>/dev/null; done
    for p in "$@"; do wait_pid "$p"; done
}

# --- -D ---
listing=$("$SLUICEDUMP" -D)
echo "$listing"
check "-D lists pa first" grep -qx "1.pa (afpacket) \[Up\]" <<<"$listing"
check "-D lists pb second" grep -qx "2.pb (afpacket) \[Up\]" <<<"$listing"

# --- -w FILE against tcpdump inside namespace a ---
# tcpdump runs as root (-Z root) to write into the test's private directory; it is started
# without a shell in between so that its pid is the one signalled.
ip netns exec "$(ns a)" tcpdump -Z root -i eth0 -n -U -w "$WORK/ref.pcap" icmp 2>"$WORK/td.err" &
TD=$!
BG_PIDS+=("$TD")
"$SLUICEDUMP" -i pa -w "$WORK/sd.pcap" icmp 2>"$WORK/sd.err" &
SD=$!
BG_PIDS+=("$SD")
wait_for "$WORK/td.err" "listening on"
wait_for "$WORK/sd.err" "listening on pa"
check "ping a -> b (5)" in_ns a ping -c 5 -i 0.2 -W 2 10.78.0.2 >/dev/null
# tcpdump writes every packet (-U): once it has all ten, the switch has seen them too.
for _ in $(seq 1 100); do
    [ "$(tcpdump -r "$WORK/ref.pcap" 2>/dev/null | wc -l)" -ge 10 ] && break
    sleep 0.05
done
kill -TERM "$TD"
wait_pid "$TD"
stop_bg "$SD"
cat "$WORK/sd.err"
tcpdump -n -t -e -r "$WORK/sd.pcap" 2>/dev/null >"$WORK/sd.txt"
tcpdump -n -t -e -r "$WORK/ref.pcap" 2>/dev/null >"$WORK/ref.txt"
check "sluicedump wrote 10 packets" test "$(wc -l <"$WORK/sd.txt")" -eq 10
check "same frames as tcpdump on the veth (headers)" diff "$WORK/ref.txt" "$WORK/sd.txt"
check "same frames as tcpdump on the veth (bytes)" \
    diff <(tcpdump -n -t -xx -r "$WORK/ref.pcap" 2>/dev/null) \
    <(tcpdump -n -t -xx -r "$WORK/sd.pcap" 2>/dev/null)
check "nanosecond pcap magic" test "$(od -An -tx4 -N4 "$WORK/sd.pcap" | tr -d ' ')" = a1b23c4d
check "snaplen 262144 in the header" \
    test "$(od -An -tu4 -j16 -N4 "$WORK/sd.pcap" | tr -d ' ')" = 262144
check "10 packets captured" grep -qx "10 packets captured" "$WORK/sd.err"
check "10 packets received by filter" grep -qx "10 packets received by filter" "$WORK/sd.err"
check "0 packets dropped by switch" grep -qx "0 packets dropped by switch" "$WORK/sd.err"
# Time stamps are the switch's receive times: within a second of the namespace's own.
ts_close() {
    paste <(tcpdump -tt -n -r "$WORK/ref.pcap" 2>/dev/null | cut -d' ' -f1) \
        <(tcpdump -tt -n -r "$WORK/sd.pcap" 2>/dev/null | cut -d' ' -f1) |
        awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > 1) bad++ } END { exit bad ? 1 : NR != 10 }'
}
check "time stamps agree within a second" ts_close

# --- printing with -c, -Q and -v: the same text as tcpdump's on the veth inside b ---
# What the switch sends out of pb is what b's eth0 receives.
ip netns exec "$(ns b)" tcpdump -Z root -i eth0 -n -t -v -l -Q in -c 3 icmp >"$WORK/tdb.txt" \
    2>"$WORK/tdb.err" &
TD=$!
BG_PIDS+=("$TD")
"$SLUICEDUMP" -i pb -Q out -c 3 -v -t icmp >"$WORK/sdb.txt" 2>"$WORK/sdb.err" &
SD=$!
BG_PIDS+=("$SD")
wait_for "$WORK/tdb.err" "listening on"
wait_for "$WORK/sdb.err" "listening on pb"
in_ns a ping -c 3 -i 0.2 -W 2 10.78.0.2 >/dev/null
wait_pid "$SD"
check "sluicedump -c 3 exits 0" test $? -eq 0
wait_pid "$TD"
cat "$WORK/sdb.txt"
check "printed 3 packets, 2 lines each with -v" test "$(wc -l <"$WORK/sdb.txt")" -eq 6
check "-Q out on pb holds only requests" test "$(grep -c 'ICMP echo request' "$WORK/sdb.txt")" -eq 3
check "printed exactly as tcpdump prints them in b" diff "$WORK/tdb.txt" "$WORK/sdb.txt"
check "-c: 3 packets captured" grep -qx "3 packets captured" "$WORK/sdb.err"

# --- -w - streams: packets reach the reader while the capture runs ---
"$SLUICEDUMP" -i pa -w - icmp 2>"$WORK/st.err" > >(tcpdump -l -n -r - >"$WORK/st.txt" 2>/dev/null) &
SD=$!
BG_PIDS+=("$SD")
wait_for "$WORK/st.err" "listening on pa"
in_ns a ping -c 3 -i 0.2 -W 2 10.78.0.2 >/dev/null
check "tcpdump -r - gets packets before sluicedump exits" wait_lines "$WORK/st.txt" 6
check "sluicedump still running" kill -0 "$SD"
stop_bg "$SD"
check "stream: 6 packets captured" grep -qx "6 packets captured" "$WORK/st.err"

# --- -i any: pcapng, one interface per port, directions ---
"$SLUICEDUMP" -i any -w "$WORK/any.pcapng" icmp 2>"$WORK/any.err" &
SD=$!
BG_PIDS+=("$SD")
wait_for "$WORK/any.err" "listening on pb"
in_ns a ping -c 2 -i 0.2 -W 2 10.78.0.2 >/dev/null
sleep 0.2
stop_bg "$SD"
cat "$WORK/any.err"
check "any: 8 packets captured (each crosses two ports)" grep -qx "8 packets captured" "$WORK/any.err"
check "any: tcpdump reads the pcapng" test "$(tcpdump -n -r "$WORK/any.pcapng" 2>/dev/null | wc -l)" -eq 8
pcapng_summary() {
    python3 - "$1" <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
off, names, pkts, isb = 0, [], [], 0
while off + 12 <= len(data):
    btype, blen = struct.unpack_from("<II", data, off)
    body = data[off + 8: off + blen - 4]
    assert struct.unpack_from("<I", data, off + blen - 4)[0] == blen
    if btype == 1:
        o = 8
        while o + 4 <= len(body):
            code, olen = struct.unpack_from("<HH", body, o)
            if code == 0:
                break
            if code == 2:
                names.append(body[o + 4:o + 4 + olen].decode())
            o += 4 + (olen + 3) // 4 * 4
    elif btype == 6:
        ifid, _, _, caplen = struct.unpack_from("<IIII", body, 0)
        o = 20 + (caplen + 3) // 4 * 4
        flags = 0
        while o + 4 <= len(body):
            code, olen = struct.unpack_from("<HH", body, o)
            if code == 0:
                break
            if code == 2:
                flags = struct.unpack_from("<I", body, o + 4)[0]
            o += 4 + (olen + 3) // 4 * 4
        pkts.append((ifid, flags & 3))
    elif btype == 5:
        isb += 1
    off += blen
print(",".join(names), isb,
      sum(1 for p in pkts if p == (0, 1)), sum(1 for p in pkts if p == (0, 2)),
      sum(1 for p in pkts if p == (1, 1)), sum(1 for p in pkts if p == (1, 2)))
EOF
}
summary=$(pcapng_summary "$WORK/any.pcapng")
echo "pcapng: $summary"
# Requests enter at pa and leave at pb; replies enter at pb and leave at pa: 2 of each.
check "pcapng: interfaces pa,pb, statistics, 2 packets per port and direction" \
    test "$summary" = "pa,pb 2 2 2 2 2"

# --- -C/-W: rotation over two files of 1 MB ---
"$SLUICEDUMP" -i pa -w "$WORK/rot.pcap" -C 1 -W 2 icmp 2>"$WORK/rot.err" &
SD=$!
BG_PIDS+=("$SD")
wait_for "$WORK/rot.err" "listening on pa"
# 2 x 700 frames of 1442 bytes: about 2 MB, so the first file is written twice.
in_ns a ping -q -f -c 700 -s 1400 -W 2 10.78.0.2 >/dev/null
stop_bg "$SD"
cat "$WORK/rot.err"
check "rotation: rot.pcap0 and rot.pcap1, nothing else" \
    test "$(cd "$WORK" && ls rot.pcap* | tr '\n' ' ')" = "rot.pcap0 rot.pcap1 "
rot_total=$(($(tcpdump -r "$WORK/rot.pcap0" 2>/dev/null | wc -l) + $(tcpdump -r "$WORK/rot.pcap1" 2>/dev/null | wc -l)))
check "rotation: both files readable, the older packets overwritten" \
    test "$rot_total" -gt 0 -a "$rot_total" -lt 1400
check "rotation: rot.pcap1 just over 1 MB" \
    test "$(stat -c %s "$WORK/rot.pcap1")" -gt 1000000 -a "$(stat -c %s "$WORK/rot.pcap1")" -lt 1002000

# --- errors: one line each, status 1 ---
msg=$("$SLUICEDUMP" -i px 2>&1)
rc=$?
check "no such port: status 1" test "$rc" -eq 1
check "no such port: one line" test "$msg" = "sluicedump: no such port: px"
msg=$("$SLUICEDUMP" -i pa 'tcp port' 2>&1)
rc=$?
check "filter syntax error: status 1" test "$rc" -eq 1
check "filter syntax error: libpcap's message" grep -qx "sluicedump: .*syntax error.*" <<<"$msg"
msg=$("$SLUICEDUMP" --sock "$WORK/none.sock" -i pa 2>&1)
rc=$?
check "switch not running: status 1" test "$rc" -eq 1
check "switch not running: message" \
    test "$msg" = "sluicedump: switch not running (no socket at $WORK/none.sock)"

# --- a capture dies with its connection ---
"$SLUICEDUMP" -i pa >/dev/null 2>"$WORK/k.err" &
SD=$!
wait_for "$WORK/k.err" "listening on pa"
check "capture listed while running" grep -q " pa " <<<"$(ctl capture-list)"
kill -9 "$SD"
wait_pid "$SD"
gone() {
    for _ in $(seq 1 100); do
        ! grep -q " pa " <<<"$(ctl capture-list)" && return 0
        sleep 0.05
    done
    return 1
}
check "capture closed when sluicedump was killed" gone

# --- the switch stops under a running capture ---
"$SLUICEDUMP" -i pa -w "$WORK/last.pcap" icmp 2>"$WORK/last.err" &
SD=$!
BG_PIDS+=("$SD")
wait_for "$WORK/last.err" "listening on pa"
in_ns a ping -c 2 -i 0.2 -W 2 10.78.0.2 >/dev/null
stop_sluiced
wait_pid "$SD"
rc=$?
cat "$WORK/last.err"
check "switch gone: status 1" test "$rc" -eq 1
check "switch gone: message" grep -qx "sluicedump: the switch closed the connection" "$WORK/last.err"
check "switch gone: counters still reported" grep -qx "4 packets captured" "$WORK/last.err"
check "switch gone: the file holds what was captured" \
    test "$(tcpdump -r "$WORK/last.pcap" 2>/dev/null | wc -l)" -eq 4

# --- permission: a client that may connect but not capture gets the switch's refusal ---
chmod 711 "$WORK"
start_sluiced --group nogroup --capture-group root
msg=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$SLUICEDUMP" -i pa 2>&1)
rc=$?
check "permission denied: status 1" test "$rc" -eq 1
check "permission denied: one line from the switch" \
    grep -qx "sluicedump: permission denied: capture.open needs root or the capture group" <<<"$msg"
check "permission denied: -D still allowed" \
    grep -qx "1.pa (afpacket) \[Up\]" <<<"$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$SLUICEDUMP" -D 2>&1)"
finish

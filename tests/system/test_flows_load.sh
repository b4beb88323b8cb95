#!/usr/bin/env bash
# test_flows_load.sh - 100,000 rules load with add-flows while pings run through the switch
# every 10 ms: no ping is lost and the replies never pause long (the new table version is built
# off the data plane and published at once); the rules are all there and in force afterwards.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/flows_lib.sh"

RULES=${RULES:-100000}
MAX_GAP_MS=${MAX_GAP_MS:-500}
add_host a 10.65.0.1/24 02:00:00:00:65:01
add_host b 10.65.0.2/24 02:00:00:00:65:02
neigh a 10.65.0.2 02:00:00:00:65:02
neigh b 10.65.0.1 02:00:00:00:65:01
start_sluiced
ctl add-port pa type=afpacket dev="$(veth a)"
ctl add-port pb type=afpacket dev="$(veth b)"

# Four shapes of rule (four subtables), none matching the pings, and one last rule that does:
# it takes effect only if the whole file did.
python3 - "$RULES" >"$WORK/rules.txt" <<'EOF'
import sys
n = int(sys.argv[1])
for i in range(n - 1):
    a, b, c = (i >> 16) & 255, (i >> 8) & 255, i & 255
    k = i % 4
    if k == 0:
        print("priority=100,tcp,nw_dst=10.%d.%d.%d,tp_dst=80,actions=drop" % (100 + a, b, c))
    elif k == 1:
        print("priority=200,udp,nw_src=172.%d.%d.%d,tp_dst=53,actions=mod_nw_tos:32,output:1" % (16 + a, b, c))
    elif k == 2:
        print("priority=150,ip,nw_dst=10.%d.%d.%d,actions=dec_ttl,output:1" % (150 + a, b, c))
    else:
        print("priority=120,dl_dst=02:aa:%02x:%02x:%02x:01,actions=mod_vlan_vid:%d,output:1" % (a, b, c, i % 4000 + 1))
print("priority=300,icmp,in_port=pa,nw_dst=10.65.0.2,actions=dec_ttl,output:pb")
EOF

ip netns exec "$(ns a)" ping -D -i 0.01 -W 1 10.65.0.2 >"$WORK/ping.txt" 2>&1 &
PING_PID=$!
BG_PIDS+=("$PING_PID")
sleep 1
t0=$(date +%s.%N)
check "add-flows of $RULES rules" ctl add-flows "$WORK/rules.txt"
t1=$(date +%s.%N)
echo "add-flows of $RULES rules took $(echo "$t1 - $t0" | bc) s"
sleep 1
kill -TERM "$PING_PID"
wait "$PING_PID" 2>/dev/null
python3 - "$WORK/ping.txt" "$t0" "$t1" >"$WORK/gaps.txt" <<'EOF'
import re, sys
replies = []
for line in open(sys.argv[1]):
    m = re.match(r"\[(\d+\.\d+)\] .* icmp_seq=(\d+) ttl=(\d+)", line)
    if m:
        replies.append((float(m.group(1)), int(m.group(2)), int(m.group(3))))
t0, t1 = float(sys.argv[2]), float(sys.argv[3])
seqs = [s for _, s, _ in replies]
missing = (max(seqs) - min(seqs) + 1 - len(set(seqs))) if seqs else -1
gaps = [(b[0] - a[0], a[0]) for a, b in zip(replies, replies[1:])]
gap, at = max(gaps, default=(99, 0))
gap *= 1000
print("longest pause starts %.3f s after add-flows began (which took %.3f s)" % (at - t0, t1 - t0), file=sys.stderr)
during = sum(1 for t, _, _ in replies if t0 <= t <= t1)
ttls = sorted(set(t for _, _, t in replies))
print(len(replies), missing, int(gap), during, ",".join(map(str, ttls)))
EOF
read -r n missing gap during ttls <"$WORK/gaps.txt"
echo "pings answered: $n, lost: $missing, longest pause between replies: $gap ms, answered while loading: $during, TTLs seen: $ttls"
check "pings answered throughout" test "$n" -gt 100
check "no ping lost while the rules loaded" test "$missing" -eq 0
check "replies kept coming while loading ($during)" test "$during" -gt 0
check "longest pause between replies ${gap} ms < ${MAX_GAP_MS} ms" test "$gap" -lt "$MAX_GAP_MS"
stats=$(ctl flow-stats)
echo "$stats"
check "all $RULES rules and NORMAL in the table" grep -q "flow table: $((RULES + 1)) rules" <<<"$stats"
# The last rule of the file (dec_ttl on a's requests) is in force: b's replies are untouched,
# so the TTLs seen by ping before and after the load are the same (64), but b now sees 63.
capture tb b -v icmp
in_ns a ping -c 2 -i 0.2 -W 2 10.65.0.2 >/dev/null
stop_capture tb
check "the file's last rule is in force (requests arrive with TTL 63)" test "$(grep -c 'ttl 63, .*proto ICMP' "$WORK/tb.txt")" -eq 2
check "dump-flows lists every rule" test "$(ctl dump-flows | wc -l)" -eq $((RULES + 1))
finish

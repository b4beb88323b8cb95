#!/usr/bin/env bash
# test_analyze.sh - sluicedump --analyze: on a capture file (pcap and pcapng) its protocol
# distribution equals tshark's protocol hierarchy, its sizes tcpdump's lengths, its top
# talkers tshark's per-conversation sums; the filter applies; intervals add up; and live on
# one and on two ports of a switch, known frames give exactly the expected report.
source "$(dirname "$0")/lib.sh"
CHECK_PY="$ROOT/tests/system/analyze_check.py"
FRAMES="$ROOT/tests/system/traffic_frames.py"

python3 "$ROOT/tests/system/analyze_pcap.py" "$WORK/mix.pcap" 20000 7 5
"$SLUICEDUMP" --analyze=0 -r "$WORK/mix.pcap" >"$WORK/total.txt" 2>"$WORK/err.txt"
check "--analyze -r runs" test $? -eq 0
sed -n '/^=== total/,/^top talkers by IP/p' "$WORK/total.txt"
check "protocols, sizes and talkers equal tshark's and tcpdump's" \
    python3 "$CHECK_PY" file "$WORK/total.txt" "$WORK/mix.pcap"

editcap -F pcapng "$WORK/mix.pcap" "$WORK/mix.pcapng"
"$SLUICEDUMP" --analyze=0 -r "$WORK/mix.pcapng" >"$WORK/total_ng.txt" 2>/dev/null
check "pcapng gives the same report" cmp -s "$WORK/total.txt" "$WORK/total_ng.txt"

"$SLUICEDUMP" --analyze=0 -r "$WORK/mix.pcap" udp >"$WORK/udp.txt" 2>/dev/null
want=$(tcpdump -nn -r "$WORK/mix.pcap" udp 2>/dev/null | wc -l)
check "the filter applies: as many packets as tcpdump's" \
    grep -q "^packets $want bytes" "$WORK/udp.txt"
check "the filter applies: only UDP counted" python3 -c "
import re, sys
t = open('$WORK/udp.txt').read()
udp = sum(int(x) for x in re.findall(r'^  udp +(\d+)', t, re.M))
other = sum(int(x) for x in re.findall(r'^  (?:tcp|icmp6?|other) +(\d+)', t, re.M))
sys.exit(0 if udp == $want and other == 0 and $want > 0 else 1)"

"$SLUICEDUMP" --analyze=1 -r "$WORK/mix.pcap" >"$WORK/intervals.txt" 2>/dev/null
n=$(python3 "$CHECK_PY" intervals "$WORK/intervals.txt")
check "five 1-second intervals in a 5-second file, adding up to the total" test "$n" = 5
check "--analyze -w refused" test "$("$SLUICEDUMP" --analyze -w "$WORK/x.pcap" 2>&1 | grep -c exclusive)" = 1
check "bad interval refused" test "$("$SLUICEDUMP" --analyze=-1 -r "$WORK/mix.pcap" 2>&1 | grep -c 'invalid --analyze')" = 1

# Live: known frames through the switch, analysed on one port, then on two.
quiet_host() {
    local name=$1 mac=$2 ns="sl$T$1" outer="v$T$1"
    ip netns add "$ns" && CREATED_NS+=("$ns")
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip link add "$outer" type veth peer name eth0 netns "$ns" && CREATED_LINKS+=("$outer")
    sysctl -qw "net.ipv6.conf.$outer.disable_ipv6=1"
    ip -n "$ns" link set eth0 address "$mac" mtu 2000
    ip link set "$outer" mtu 2000
    ip -n "$ns" link set eth0 up
    ip link set "$outer" up
}
quiet_host a 02:00:00:00:0c:01
quiet_host b 02:00:00:00:0c:02
start_sluiced
ctl add-port pa type=afpacket dev="$(veth a)"
ctl add-port pb type=afpacket dev="$(veth b)"
python3 "$FRAMES" expect >"$WORK/expect.json"

live() { # live PORTS OUT: analyse PORTS while the known frames pass, then stop with SIGINT
    "$SLUICEDUMP" --sock "$SOCK" -i "$1" --analyze=1 >"$2" 2>"$2.err" &
    local pid=$! nports
    BG_PIDS+=($pid)
    nports=$(tr ',' '\n' <<<"$1" | wc -l)
    for _ in $(seq 50); do
        [ "$(ctl capture-list | tail -n +2 | wc -l)" -ge "$nports" ] && break
        sleep 0.1
    done
    ctl capture-list >"$2.caps"
    sleep 0.3
    in_ns a python3 "$FRAMES" send eth0
    sleep 2.5 # idle: the interval must be reported by the clock, before the end
    cp "$2" "$2.before-end"
    kill -INT $pid
    wait $pid
}
live pa "$WORK/live1.txt"
cat "$WORK/live1.txt.caps"
check "headers only: snaplen 128 by default" grep -Eq '^ +[0-9]+ pa +inout +[0-9]+ +128 ' "$WORK/live1.txt.caps"
check "an interval was reported while idle" grep -q "^=== interval 1:" "$WORK/live1.txt.before-end"
sed -n '/^=== total/,/^size/p' "$WORK/live1.txt"
check "live on pa: every class and size exact" python3 "$CHECK_PY" expect "$WORK/live1.txt" "$WORK/expect.json" 1
top_pair() { sed -n '/^=== total/,$p' "$1" | grep -A1 "^top talkers by IP pair" | tail -1; }
check "live on pa: top talker is a<->b, 20 packets, 7166 bytes" \
    grep -Eq "^ +1 10.79.0.1 +<-> 10.79.0.2 +packets +20 bytes +7166$" <(top_pair "$WORK/live1.txt")
live pa,pb "$WORK/live2.txt"
check "live on pa,pb: each frame seen twice (in on pa, out on pb)" \
    python3 "$CHECK_PY" expect "$WORK/live2.txt" "$WORK/expect.json" 2
finish

#!/usr/bin/env bash
# test_restart.sh - the configuration survives a restart: ports come back and traffic flows;
# a half-written configuration file from a crash is ignored in favour of the last good one.
source "$(dirname "$0")/lib.sh"

add_host a 10.81.0.1/24
add_host b 10.81.0.2/24
start_sluiced
ctl add-port pa type=afpacket dev="$(veth a)"
ctl add-port pb type=afpacket dev="$(veth b)"
ctl add-port pt type=tap dev="t$T" tag=5
CREATED_LINKS+=("t$T")
check "ping before restart" in_ns a ping -c 2 -i 0.2 -W 2 10.81.0.2
stop_sluiced
check "tap device removed with the daemon" bash -c "! ip link show t$T >/dev/null 2>&1"
# A crash in the middle of a write leaves only a temporary file behind.
echo '{"format":1,"sections":{"ports":[{"name":"broken"' >"$STATE/.config.json.tmp"
start_sluiced
out=$(ctl show)
echo "$out"
check "ports restored" test "$(grep -cE '^(pa|pb|pt) ' <<<"$out")" -eq 3
check "tag restored" grep -q "^pt .*tag=5" <<<"$out"
check "tap recreated" ip link show "t$T"
check "ping after restart" in_ns a ping -c 2 -i 0.2 -W 2 10.81.0.2
check "stored file is valid JSON" python3 -c "import json; json.load(open('$STATE/config.json'))"
finish

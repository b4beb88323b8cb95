#!/usr/bin/env bash
# scripts/install-deps.sh - installs what building and testing sluice needs on Debian 12
# (compilers, libpcap, libmnl, and the peers the system tests talk to). Run as root.
set -eu
pkgs=(build-essential clang libclang-rt-14-dev libpcap-dev libmnl-dev pkg-config
      iproute2 iputils-ping arping ethtool tcpdump tshark iperf3 python3 curl netsniff-ng
      tcpreplay util-linux procps dpdk-dev prometheus tmux)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

#!/usr/bin/env bash
# Remove the testbed built by setup.sh (same XLATD_NS_PREFIX). Idempotent:
# stops an xlatd started by demo.sh, deletes the namespaces (their veths
# go with them) and the run directory.
set -eu

P=${XLATD_NS_PREFIX:-xl}
RUN=${XLATD_RUN_DIR:-/run/xlatd-netns/$P}

if [ "$(id -u)" != 0 ]; then
	echo "$0: must run as root" >&2
	exit 1
fi

if [ -f "$RUN/xlatd.pid" ]; then
	pid=$(cat "$RUN/xlatd.pid")
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$RUN/xlatd.pid"
fi

for ns in "$P-h6" "$P-box" "$P-h4" "$P-sw"; do
	if ip netns list | awk '{print $1}' | grep -qx -- "$ns"; then
		# Kill whatever still runs inside (listeners of the demo).
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -TERM "$pid" 2>/dev/null || true
		done
		ip netns delete "$ns"
	fi
done
# The resolver file scripts/netns/dns64.sh gave the IPv6 host.
if grep -qs 'scripts/netns/dns64.sh' "/etc/netns/$P-h6/resolv.conf"; then
	rm -f "/etc/netns/$P-h6/resolv.conf"
	rmdir "/etc/netns/$P-h6" 2>/dev/null || true
fi
rm -rf "$RUN"
echo "testbed $P down"

#!/usr/bin/env bash
# The visible demonstration behind `make demo`: build the two-armed testbed,
# run xlatd in the box namespace, and show ICMP echo, UDP and TCP going
# through it in both directions, then xlatd's counters.
#
#   scripts/netns/demo.sh            # leaves the testbed and xlatd running
#   DEMO_DOWN=1 scripts/netns/demo.sh   # tears everything down at the end
#   TOPOLOGY=one-armed scripts/netns/demo.sh
#
# XLATD (default bin/xlatd) is the binary; XLATD_NS_PREFIX as for setup.sh.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
XLATD=${XLATD:-$root/bin/xlatd}
P=${XLATD_NS_PREFIX:-xl}
RUN=${XLATD_RUN_DIR:-/run/xlatd-netns/$P}
PY=/usr/bin/python3
export XLATD_NS_PREFIX=$P XLATD_RUN_DIR=$RUN

bold() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() {
	printf '$ %s\n' "$*"
	"$@"
}

[ -x "$XLATD" ] || {
	echo "$0: $XLATD not built (make build)" >&2
	exit 1
}

ok=0
finish() {
	if [ "$ok" != 1 ] || [ "${DEMO_DOWN:-0}" = 1 ]; then
		if [ "$ok" != 1 ]; then
			echo
			echo "demo FAILED; last lines of the xlatd log:" >&2
			tail -n 20 "$RUN/xlatd.log" 2>/dev/null >&2 || true
		fi
		"$here/teardown.sh" >/dev/null 2>&1 || true
	fi
}
trap finish EXIT
trap 'exit 1' INT TERM

TOPO=${TOPOLOGY:-two-armed}
bold "Building the $TOPO testbed (docs/TESTBED.md)"
"$here/setup.sh" "$TOPO"
. "$RUN/env"
if [ "$TOPO" = two-armed ]; then
	cat <<PIC

   [$NS6]  $H6 (also $H6_EAM)
        | to-xl
        | to-h6  $BOX6
   [$NSX]  xlatd, pool6 $POOL6, EAMT $EAM6 <-> $EAM4
        | to-h4  $BOX4
        | to-xl
   [$NS4]  $H4
PIC
else
	cat <<PIC

   [$NS6] $H6          [$NS4] $H4
        \\                         /
         +------ [$NSW] bridge ------+
                      |
                      | lan  $BOX6, $BOX4
   [$NSX]  xlatd one-armed, pool6 $POOL6, EAMT $EAM6 <-> $EAM4
PIC
fi
cat <<PIC

   IPv6 host sees the IPv4 host as $H4_AS6 (pool6 + 198.51.100.2)
   IPv4 host sees the IPv6 host as $H6_AS4 (and $H6_EAM as $H6_EAM_AS4 through the EAMT)
PIC

bold "Config ($CONFIG)"
grep -v '^#' "$CONFIG" | sed '/^$/d'
run ip netns exec "$NSX" "$XLATD" -config "$CONFIG" -check

bold "Starting xlatd in namespace $NSX"
ip netns exec "$NSX" "$XLATD" -config "$CONFIG" >"$RUN/xlatd.log" 2>&1 &
echo $! >"$RUN/xlatd.pid"
pid=$!
ready=0
for _ in $(seq 100); do
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "xlatd exited:" >&2
		cat "$RUN/xlatd.log" >&2
		exit 1
	fi
	if ip netns exec "$NSX" "$XLATD" stats -json -socket "$SOCKET" >/dev/null 2>&1; then
		ready=1
		break
	fi
	sleep 0.1
done
[ "$ready" = 1 ] || echo "(xlatd stats does not answer yet; carrying on)"
sed 's/^/  log: /' "$RUN/xlatd.log" | head -n 15
run ip -n "$NSX" link show "$IF6" | grep -o 'xdp[a-z]*.*' | head -n 2 || true

bold "ICMP echo, IPv6 host -> IPv4 host ($H4_AS6 is 198.51.100.2)"
run ip netns exec "$NS6" ping -c 3 -i 0.2 -W 2 "$H4_AS6"

bold "ICMP echo, IPv4 host -> IPv6 host ($H6_AS4 is $H6)"
run ip netns exec "$NS4" ping -c 3 -i 0.2 -W 2 "$H6_AS4"

bold "ICMP echo through the EAMT, IPv4 host -> $H6_EAM_AS4 ($H6_EAM)"
run ip netns exec "$NS4" ping -c 2 -i 0.2 -W 2 "$H6_EAM_AS4"

exchange() { # proto server-ns client-ns addr-as-seen-by-client
	local proto=$1 sns=$2 cns=$3 addr=$4 port=7000
	ip netns exec "$sns" $PY "$here/echo.py" serve "$proto" $port 1 &
	local spid=$!
	sleep 0.3
	printf '$ ip netns exec %s echo.py send %s %s %s ...\n' "$cns" "$proto" "$addr" $port
	ip netns exec "$cns" $PY "$here/echo.py" send "$proto" "$addr" $port "hello over $proto from $cns"
	wait "$spid"
}

bold "UDP, IPv6 host -> IPv4 host (the server sees the IPv6 host as $H6_AS4)"
exchange udp "$NS4" "$NS6" "$H4_AS6"
bold "UDP, IPv4 host -> IPv6 host (the server sees the IPv4 host as $H4_AS6)"
exchange udp "$NS6" "$NS4" "$H6_AS4"
bold "TCP, IPv6 host -> IPv4 host"
exchange tcp "$NS4" "$NS6" "$H4_AS6"
bold "TCP, IPv4 host -> IPv6 host"
exchange tcp "$NS6" "$NS4" "$H6_AS4"

bold "The kernel keeps its own traffic: ping the box itself"
run ip netns exec "$NS6" ping -c 1 -W 2 "$BOX6"
run ip netns exec "$NS4" ping -c 1 -W 2 "$BOX4"

bold "xlatd stats"
run ip netns exec "$NSX" "$XLATD" stats -config "$CONFIG" || true

ok=1
bold "Demo passed"
if [ "${DEMO_DOWN:-0}" = 1 ]; then
	echo "tearing down (DEMO_DOWN=1)"
	# finish() stops xlatd (SIGTERM) and removes the namespaces.
else
	cat <<MSG
xlatd is still running (pid $pid, log $RUN/xlatd.log). Try:
  ip netns exec $NS6 ping $H4_AS6
  ip netns exec $NSX $XLATD stats -config $CONFIG
  make testbed-down        # stops xlatd and removes the namespaces
MSG
fi

#!/usr/bin/env bash
# The visible demonstration behind `make demo`: build the two-armed testbed,
# run xlatd in the box namespace, and show ICMP echo, UDP and TCP going
# through it in both directions, then xlatd's counters.
#
#   scripts/netns/demo.sh            # leaves the testbed and xlatd running
#   DEMO_DOWN=1 scripts/netns/demo.sh   # tears everything down at the end
#   TOPOLOGY=one-armed scripts/netns/demo.sh
#   MODE=nat64 scripts/netns/demo.sh    # stateful NAT64 + DNS64 (make demo MODE=nat64)
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
MODE=${MODE:-siit}
case "$MODE" in
siit) ;;
nat64)
	[ "$TOPO" = two-armed ] || {
		echo "$0: MODE=nat64 runs on the two-armed testbed only" >&2
		exit 2
	}
	;;
*)
	echo "$0: MODE=$MODE: want siit or nat64" >&2
	exit 2
	;;
esac
bold "Building the $TOPO testbed (docs/TESTBED.md)"
"$here/setup.sh" "$TOPO"
. "$RUN/env"

# demo_nat64: the IPv6-only host reaches a web server on the IPv4-only host
# by name: DNS64 (unbound) synthesizes the AAAA from the A record, xlatd in
# NAT64 mode maps the IPv6 host to pool4, then xlatd's BIB, sessions and
# mapping log show what it did.
demo_nat64() {
	local POOL4=203.0.113.128/28 cfg=$RUN/xlatd-nat64.toml www=$RUN/www
	cat <<PIC

   [$NS6]  $H6  (IPv6 only; resolver: DNS64 on $BOX6)
        |
   [$NSX]  unbound DNS64 on [$BOX6]:53, prefix $POOL6
           xlatd NAT64: pool6 $POOL6, pool4 $POOL4
        |
   [$NS4]  $H4  (IPv4 only) http://www.example/ (www.example. A $H4, no AAAA)
PIC

	bold "DNS64: unbound in $NSX (scripts/netns/dns64.sh)"
	DNS64_PREFIX=$POOL6 "$here/dns64.sh" start
	run ip netns exec "$NS6" dig +short A www.example "@$BOX6"
	run ip netns exec "$NS6" dig +short AAAA www.example "@$BOX6"
	echo "(the AAAA is synthesized: $H4 embedded in $POOL6)"
	run ip netns exec "$NS6" getent ahostsv6 www.example

	bold "A web server on the IPv4 host ($H4:80)"
	mkdir -p "$www"
	echo "hello from the IPv4-only host $H4" >"$www/index.html"
	ip netns exec "$NS4" $PY -m http.server 80 --bind "$H4" --directory "$www" >"$RUN/http.log" 2>&1 &
	for _ in $(seq 50); do
		ip netns exec "$NS4" $PY -c "import socket; socket.create_connection(('$H4', 80), 1).close()" 2>/dev/null && break
		sleep 0.1
	done
	echo "python3 -m http.server 80 --bind $H4 in $NS4"

	bold "xlatd NAT64 config ($cfg)"
	cat >"$cfg" <<TOML
# xlatd NAT64 for the two-armed testbed (written by scripts/netns/demo.sh MODE=nat64).
[interfaces]
ipv6 = "$IF6"
ipv4 = "$IF4"
xdp_mode = "auto"

[translate]
mode = "nat64"
pool6 = "$POOL6"          # the DNS64 prefix; 64:ff9b::/96 would need global IPv4 addresses (RFC 6052 3.1)

[nat64]
pool4 = ["$POOL4"]
ports = "1024-65535"
port_block_size = 128
max_blocks_per_subscriber = 8
[nat64.timeouts]
udp = "2m"

[log]
mappings = "$RUN/mappings.log"
mappings_format = "text"

[metrics]
listen = "127.0.0.1:9464"

[control]
socket = "$SOCKET"
TOML
	grep -v '^#' "$cfg" | sed '/^$/d'
	printf '$ %s\n' "ip netns exec $NSX $XLATD -config $cfg -check"
	if ! ip netns exec "$NSX" "$XLATD" -config "$cfg" -check >"$RUN/check.log" 2>&1; then
		sed 's/^/  /' "$RUN/check.log"
		echo
		echo "demo (MODE=nat64) STOPS HERE: xlatd -check refuses the NAT64 config (above)." >&2
		echo "DNS64 and the IPv4 web server work (above)." >&2
		exit 1
	fi
	cat "$RUN/check.log"

	bold "Starting xlatd (NAT64) in namespace $NSX"
	ip netns exec "$NSX" "$XLATD" -config "$cfg" >"$RUN/xlatd.log" 2>&1 &
	echo $! >"$RUN/xlatd.pid"
	pid=$!
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || {
			echo "xlatd exited:" >&2
			cat "$RUN/xlatd.log" >&2
			exit 1
		}
		ip netns exec "$NSX" "$XLATD" stats -json -socket "$SOCKET" >/dev/null 2>&1 && break
		sleep 0.1
	done
	sed 's/^/  log: /' "$RUN/xlatd.log" | head -n 10

	bold "curl http://www.example/ from the IPv6-only host (by name, through DNS64 and NAT64)"
	run ip netns exec "$NS6" curl -sS --max-time 5 http://www.example/
	echo "the web server saw the client as (pool4 $POOL4):"
	tail -n 1 "$RUN/http.log"

	bold "UDP, IPv6 host -> www.example (the server sees a pool4 address and port)"
	ip netns exec "$NS4" $PY "$here/echo.py" serve udp 7000 1 &
	local spid=$!
	sleep 0.3
	run ip netns exec "$NS6" $PY "$here/echo.py" send udp "$(ip netns exec "$NS6" dig +short AAAA www.example "@$BOX6")" 7000 "hello over NAT64"
	wait "$spid"

	bold "xlatd nat64 bib"
	run ip netns exec "$NSX" "$XLATD" nat64 bib -config "$cfg"
	bold "xlatd nat64 sessions"
	run ip netns exec "$NSX" "$XLATD" nat64 sessions -config "$cfg"
	bold "Mapping log ($RUN/mappings.log)"
	cat "$RUN/mappings.log" 2>/dev/null || echo "(empty)"
	run ip netns exec "$NSX" "$XLATD" nat64 lookup -config "$cfg" "$H6" || true

	ok=1
	bold "Demo (NAT64) passed"
	if [ "${DEMO_DOWN:-0}" != 1 ]; then
		cat <<MSG
xlatd (pid $pid), unbound and the web server keep running. Try:
  ip netns exec $NS6 curl http://www.example/
  ip netns exec $NSX $XLATD nat64 sessions -config $cfg
  make testbed-down        # stops everything and removes the namespaces
MSG
	fi
}

if [ "$MODE" = nat64 ]; then
	demo_nat64
	exit 0
fi
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

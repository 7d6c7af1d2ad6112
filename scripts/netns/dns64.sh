#!/usr/bin/env bash
# DNS64 (RFC 6147) for the testbed: Debian's unbound with its dns64 module in
# the box namespace, answering on the box's IPv6 address, with an
# authoritative zone "example." in which www.example has only an A record,
# the IPv4 host's address. A query for AAAA from the IPv6-only host gets the
# address synthesized from DNS64_PREFIX and that A record.
#
#   scripts/netns/dns64.sh start     # after setup.sh (same XLATD_NS_PREFIX)
#   scripts/netns/dns64.sh stop
#   scripts/netns/dns64.sh status    # exit 0 when unbound answers
#
# DNS64_PREFIX (default: the testbed's pool6, so that the synthesized
# addresses are the ones the translator serves; e.g. 64:ff9b::/96 for the
# Well-Known Prefix). Note that xlatd drops the Well-Known Prefix combined
# with non-global IPv4 addresses such as the documentation ones (RFC 6052
# section 3.1), so a demo that sends traffic uses a network-specific prefix.
#
# Start also writes /etc/netns/<IPv6 host namespace>/resolv.conf, which
# `ip netns exec` mounts over /etc/resolv.conf inside that namespace, so that
# getent, curl and the like resolve through DNS64 there; stop removes it.
# Nothing listens outside the testbed's namespaces.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
P=${XLATD_NS_PREFIX:-xl}
RUN=${XLATD_RUN_DIR:-/run/xlatd-netns/$P}
UNBOUND=${UNBOUND:-/usr/sbin/unbound}
DIR=$RUN/dns64

if [ "$(id -u)" != 0 ]; then
	echo "$0: must run as root" >&2
	exit 1
fi
[ -f "$RUN/env" ] || {
	echo "$0: no testbed $P ($RUN/env missing): run scripts/netns/setup.sh first" >&2
	exit 1
}
. "$RUN/env"
PREFIX=${DNS64_PREFIX:-$POOL6}
RESOLV=/etc/netns/$NS6/resolv.conf

stop() {
	if [ -f "$DIR/unbound.pid" ]; then
		pid=$(cat "$DIR/unbound.pid")
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 30); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	if [ -f "$RESOLV" ] && grep -q 'scripts/netns/dns64.sh' "$RESOLV"; then
		rm -f "$RESOLV"
		rmdir "/etc/netns/$NS6" 2>/dev/null || true
	fi
	rm -rf "$DIR"
}

status() {
	command -v dig >/dev/null || {
		echo "$0: dig not installed (apt-get install dnsutils)" >&2
		return 1
	}
	ip netns exec "$NS6" dig +time=1 +tries=1 +short AAAA www.example "@$BOX6" | grep -q :
}

start() {
	[ -x "$UNBOUND" ] || {
		echo "$0: $UNBOUND not installed (apt-get install unbound)" >&2
		exit 1
	}
	stop
	mkdir -p "$DIR"
	# The zone: www.example has an A record only (the IPv4 host), so its
	# AAAA is synthesized; v6only.example has a real AAAA (not synthesized).
	cat >"$DIR/example.zone" <<ZONE
\$ORIGIN example.
\$TTL 60
@        IN SOA ns.example. hostmaster.example. 1 3600 600 86400 60
@        IN NS  ns.example.
ns       IN AAAA $BOX6
www      IN A   $H4
v6only   IN AAAA $H6
ZONE
	cat >"$DIR/unbound.conf" <<CONF
# Written by scripts/netns/dns64.sh for testbed $P.
server:
	interface: $BOX6
	port: 53
	do-ip4: no
	do-ip6: yes
	access-control: ::/0 refuse
	access-control: 2001:db8::/32 allow
	access-control: ::1 allow
	username: ""
	chroot: ""
	directory: "$DIR"
	pidfile: "$DIR/unbound.pid"
	use-syslog: no
	logfile: "$DIR/unbound.log"
	verbosity: 1
	do-daemonize: no
	num-threads: 1
	# dns64 before the iterator; no validator (the zone is not signed).
	module-config: "dns64 iterator"
	dns64-prefix: $PREFIX
	# Only the testbed's own zone: nothing is ever asked of the Internet.
	do-not-query-localhost: no
	harden-referral-path: no
	qname-minimisation: no
	local-zone: "." refuse
	local-zone: "example." transparent

auth-zone:
	name: "example."
	zonefile: "$DIR/example.zone"
	for-downstream: no
	for-upstream: yes
	fallback-enabled: no

remote-control:
	control-enable: no
CONF
	if command -v unbound-checkconf >/dev/null; then
		unbound-checkconf "$DIR/unbound.conf" >"$DIR/checkconf.log" 2>&1 || {
			cat "$DIR/checkconf.log" >&2
			exit 1
		}
	fi
	ip netns exec "$NSX" "$UNBOUND" -d -c "$DIR/unbound.conf" >>"$DIR/unbound.log" 2>&1 &
	echo $! >"$DIR/unbound.pid"
	mkdir -p "/etc/netns/$NS6"
	printf '# scripts/netns/dns64.sh: DNS64 on the box\nnameserver %s\noptions timeout:1 attempts:2\n' "$BOX6" >"$RESOLV"
	for _ in $(seq 50); do
		if ! kill -0 "$(cat "$DIR/unbound.pid")" 2>/dev/null; then
			echo "$0: unbound exited:" >&2
			cat "$DIR/unbound.log" >&2
			exit 1
		fi
		if status 2>/dev/null; then
			echo "dns64: unbound on [$BOX6]:53 in $NSX, prefix $PREFIX, zone example. (www.example A $H4)"
			return 0
		fi
		sleep 0.1
	done
	echo "$0: unbound does not answer; log:" >&2
	tail -n 20 "$DIR/unbound.log" >&2
	exit 1
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
*)
	echo "usage: $0 start|stop|status" >&2
	exit 2
	;;
esac

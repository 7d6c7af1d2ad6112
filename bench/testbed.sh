#!/usr/bin/env bash
# Benchmark testbed: three namespaces and the devices under test.
#
#   bench/testbed.sh up              build namespaces, veths, addresses
#   bench/testbed.sh start CASE      start a DUT (xlatd | afxdp_fwd | kernel | tayga | generator)
#   bench/testbed.sh stop CASE       stop it
#   bench/testbed.sh down            remove everything (also run by `up`'s caller on exit)
#   bench/testbed.sh env             print the namespace names
#   bench/testbed.sh conf CASE       print the xlatd config of CASE (xlatd | afxdp_fwd)
#   bench/testbed.sh sink-napi       threaded NAPI for the hosts' veths (after the sinks attached)
#
#   [$P-gen]  g6 ======== d6 [$P-dut] d4 ======== s4  [$P-sink]
#   IPv6 host 2001:db8:1::2       translator      198.51.100.2  IPv4 host
#             203.0.113.2 (kernel IPv4 case)      2001:db8:2::2 (kernel IPv6 case)
#             gx ============================================ sx   (generator straight into the sink)
#
# SIIT (xlatd, TAYGA): pool6 2001:db8:64::/96, EAM 2001:db8:1::2 <-> 192.0.2.2,
# so the IPv6 host talks to 198.51.100.2 as 2001:db8:64::c633:6402 and the
# IPv4 host to the IPv6 host as 192.0.2.2.
#
# MAC addresses are fixed and neighbours static, so the generators can build
# frames without ARP/ND and the sinks may take every frame of their interface.
# The DUT runs pinned to DUT_CPU (default 1) with taskset, at nice -20 so that
# other work on a shared box does not take its core (kernel forwarding runs in
# softirq and has that precedence anyway); for xlatd only its worker thread
# is pinned there ([datapath] cpus), the rest of the process (the Go
# runtime's threads, the netlink mirror) gets the other CPUs
# (XLATD_RUNTIME_CPUS, default every CPU but DUT_CPU); kernel forwarding is steered there
# with RPS, xlatd's veth receive with threaded NAPI. Environment: XB_PREFIX (namespace prefix, default
# xb<pid of the caller>), XLATD (binary), TAYGA (default /usr/sbin/tayga),
# XB_RUN (scratch directory for configs and logs), DUT_CPU.
set -eu

P=${XB_PREFIX:?XB_PREFIX must name the testbed}
NSG=$P-gen
NSD=$P-dut
NSS=$P-sink
XB_RUN=${XB_RUN:-/run/xlatd-bench/$P}
DUT_CPU=${DUT_CPU:-1}
TAYGA=${TAYGA:-/usr/sbin/tayga}
XLATD=${XLATD:-$(cd "$(dirname "$0")/.." && pwd)/bin/xlatd}

MAC_G6=02:00:00:00:01:01
MAC_D6=02:00:00:00:01:02
MAC_D4=02:00:00:00:02:02
MAC_S4=02:00:00:00:02:01
MAC_GX=02:00:00:00:03:01
MAC_SX=02:00:00:00:03:02

nsx() { ip netns exec "$@"; }

up() {
	down >/dev/null 2>&1 || true
	mkdir -p "$XB_RUN"
	for ns in $NSG $NSD $NSS; do
		ip netns add "$ns"
		ip -n "$ns" link set lo up
		nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
		nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0
	done
	ip -n "$NSG" link add name g6 type veth peer name d6 netns "$NSD"
	ip -n "$NSS" link add name s4 type veth peer name d4 netns "$NSD"
	ip -n "$NSG" link add name gx type veth peer name sx netns "$NSS"
	ip -n "$NSG" link set g6 address $MAC_G6
	ip -n "$NSD" link set d6 address $MAC_D6
	ip -n "$NSD" link set d4 address $MAC_D4
	ip -n "$NSS" link set s4 address $MAC_S4
	ip -n "$NSG" link set gx address $MAC_GX
	ip -n "$NSS" link set sx address $MAC_SX
	# Room for a native XDP program on every veth (the MTU must fit a page).
	for l in "$NSG g6" "$NSG gx" "$NSD d6" "$NSD d4" "$NSS s4" "$NSS sx"; do
		set -- $l
		ip -n "$1" link set "$2" mtu 1500 up
		nsx "$1" ethtool -K "$2" gro off tso off gso off >/dev/null 2>&1 || true
	done

	ip -n "$NSG" addr add 2001:db8:1::2/64 dev g6 nodad
	ip -n "$NSG" addr add 203.0.113.2/24 dev g6
	ip -n "$NSD" addr add 2001:db8:1::1/64 dev d6 nodad
	ip -n "$NSD" addr add 203.0.113.1/24 dev d6
	ip -n "$NSD" addr add 198.51.100.1/24 dev d4
	ip -n "$NSD" addr add 2001:db8:2::1/64 dev d4 nodad
	ip -n "$NSS" addr add 198.51.100.2/24 dev s4
	ip -n "$NSS" addr add 2001:db8:2::2/64 dev s4 nodad

	# Hosts: default routes towards the DUT, static neighbours.
	ip -n "$NSG" -6 route add default via 2001:db8:1::1
	ip -n "$NSG" -4 route add default via 203.0.113.1
	ip -n "$NSS" -4 route add default via 198.51.100.1
	ip -n "$NSS" -6 route add default via 2001:db8:2::1
	ip -n "$NSG" neigh replace 2001:db8:1::1 lladdr $MAC_D6 dev g6 nud permanent
	ip -n "$NSG" neigh replace 203.0.113.1 lladdr $MAC_D6 dev g6 nud permanent
	ip -n "$NSS" neigh replace 198.51.100.1 lladdr $MAC_D4 dev s4 nud permanent
	ip -n "$NSS" neigh replace 2001:db8:2::1 lladdr $MAC_D4 dev s4 nud permanent
	# DUT: static neighbours, so no case pays for ARP/ND.
	ip -n "$NSD" neigh replace 2001:db8:1::2 lladdr $MAC_G6 dev d6 nud permanent
	ip -n "$NSD" neigh replace 203.0.113.2 lladdr $MAC_G6 dev d6 nud permanent
	ip -n "$NSD" neigh replace 198.51.100.2 lladdr $MAC_S4 dev d4 nud permanent
	ip -n "$NSD" neigh replace 2001:db8:2::2 lladdr $MAC_S4 dev d4 nud permanent
	# Kernel forwarding (and TAYGA's softirq work) runs on the DUT's CPU.
	mask=$(printf '%x' $((1 << DUT_CPU)))
	for d in d6 d4; do
		nsx "$NSD" sh -c "echo $mask > /sys/class/net/$d/queues/rx-0/rps_cpus" 2>/dev/null || true
	done
	forwarding 0
}

forwarding() {
	nsx "$NSD" sysctl -qw net.ipv6.conf.all.forwarding="$1" net.ipv4.ip_forward="$1"
}

# runtime_cpus: where xlatd's threads other than its worker run: every
# online CPU but DUT_CPU (DUT_CPU itself on a one-CPU machine).
runtime_cpus() {
	if [ -n "${XLATD_RUNTIME_CPUS:-}" ]; then
		echo "$XLATD_RUNTIME_CPUS"
		return
	fi
	c=$(seq 0 $(($(nproc --all) - 1)) | grep -vx "$DUT_CPU" | paste -sd, -)
	echo "${c:-$DUT_CPU}"
}

xlatd_conf() { # $1 = true|false (forward_only); prints the config
	cat <<CONF
[interfaces]
ipv6 = "d6"
ipv4 = "d4"
queues = 1
xdp_mode = "native"
zerocopy = "auto"

[translate]
mode = "siit"
pool6 = "2001:db8:64::/96"
ipv4_address = "198.51.100.1"
ipv6_address = "2001:db8:1::1"

[[eamt]]
ipv6 = "2001:db8:1::2/128"
ipv4 = "192.0.2.2/32"

[datapath]
forward_only = $1
busy_poll = ${XLATD_BUSY_POLL:-true}
cpus = [$DUT_CPU]          # the worker thread only; see runtime_cpus
# Deep rings: on a shared box the DUT's CPU can be taken for a few scheduler
# ticks; 8192 entries hold 10 ms at 800 kpps.
ring_size = ${XLATD_RING_SIZE:-8192}
frames = ${XLATD_FRAMES:-32768}

[metrics]
listen = ""

[control]
socket = "$XB_RUN/xlatd.sock"
CONF
}

wait_xdp() { # wait until both DUT interfaces carry an XDP program
	for _ in $(seq 100); do
		if ip -n "$NSD" link show d6 | grep -q xdp && ip -n "$NSD" link show d4 | grep -q xdp; then
			sleep 0.3
			return 0
		fi
		if [ -f "$XB_RUN/dut.pid" ] && ! kill -0 "$(cat "$XB_RUN/dut.pid")" 2>/dev/null; then
			echo "testbed: DUT exited; log:" >&2
			tail -n 20 "$XB_RUN/dut.log" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "testbed: no XDP program on d6/d4 after 10 s; log:" >&2
	tail -n 20 "$XB_RUN/dut.log" >&2
	return 1
}

# napi_to_dut: with an XDP program attached, veth receives in NAPI, which
# runs on the CPU of whoever transmitted (the generator). Threaded NAPI
# pinned to the DUT's CPU charges the DUT's receive work to the DUT, as
# RPS does for kernel forwarding and TAYGA; SCHED_FIFO gives the thread the
# precedence a softirq has over tasks, as a NIC queue whose IRQ is pinned to
# the worker's core would (docs/BENCHMARKING.md).
napi_pin() { # napi_pin NS DEV CPU: threaded NAPI for DEV, its thread on CPU at SCHED_FIFO 10
	before=$(pgrep "^napi/$2-" | sort)
	nsx "$1" sh -c "echo 0 > /sys/class/net/$2/threaded; echo 1 > /sys/class/net/$2/threaded" 2>/dev/null || return 0
	for pid in $(comm -13 <(echo "$before") <(pgrep "^napi/$2-" | sort)); do
		taskset -pc "$3" "$pid" >/dev/null 2>&1 || true
		[ "${NAPI_FIFO:-1}" = 1 ] && chrt -f -p 10 "$pid" >/dev/null 2>&1 || true
	done
}

napi_to_dut() {
	[ "${DUT_NAPI:-0}" = 1 ] || return 0
	napi_pin "$NSD" d6 "$DUT_CPU"
	napi_pin "$NSD" d4 "$DUT_CPU"
}

# sink_napi: the same for the hosts' veths once the benchmark's sink
# programs are attached (xlatd-bench calls it): their receive work runs on
# the generator's CPU (GEN_CPU), not in the softirq of whoever transmits
# (which a busy box defers to ksoftirqd at normal priority).
sink_napi() {
	c=${SINK_NAPI_CPU:-${GEN_CPU:-0}}
	napi_pin "$NSG" g6 "$c"
	napi_pin "$NSG" gx "$c"
	napi_pin "$NSS" s4 "$c"
	napi_pin "$NSS" sx "$c"
}

# The DUT runs in a session of its own at autogroup nice -20 (`setsid bash
# -c "$DUT_SESSION"`): an autogroup's weight is shared out over the CPUs in
# proportion to its load, so a DUT in the benchmark's group (busy on the
# generator's CPU) would get little of it on its own CPU. Started in the
# background, setsid and bash exec in place: $! is the DUT's pid.
DUT_SESSION='echo -20 >/proc/self/autogroup 2>/dev/null; exec "$@"'

start() {
	mkdir -p "$XB_RUN"
	case "$1" in
	generator) ;;
	kernel) forwarding 1 ;;
	xlatd | afxdp_fwd)
		[ -x "$XLATD" ] || { echo "testbed: $XLATD not built" >&2; return 1; }
		fo=false
		[ "$1" = afxdp_fwd ] && fo=true
		xlatd_conf $fo >"$XB_RUN/xlatd.toml"
		if [ "$fo" = true ]; then
			# Untranslated frames keep their family: route the pool6 and EAM
			# destinations across to the far host's address of that family.
			ip -n "$NSD" -6 route replace 2001:db8:64::/96 via 2001:db8:2::2 dev d4
			ip -n "$NSD" -4 route replace 192.0.2.0/24 via 203.0.113.2 dev d6
		fi
		nsx "$NSD" "$XLATD" -config "$XB_RUN/xlatd.toml" -check >"$XB_RUN/dut.log" 2>&1 || {
			cat "$XB_RUN/dut.log" >&2
			return 1
		}
		# shellcheck disable=SC2086
		setsid bash -c "$DUT_SESSION" dut ip netns exec "$NSD" env ${XLATD_GOMAXPROCS:+GOMAXPROCS=$XLATD_GOMAXPROCS} nice -n -20 taskset -c "$(runtime_cpus)" "$XLATD" -config "$XB_RUN/xlatd.toml" ${XLATD_FLAGS:-} >"$XB_RUN/dut.log" 2>&1 &
		echo $! >"$XB_RUN/dut.pid"
		wait_xdp
		napi_to_dut
		;;
	tayga)
		[ -x "$TAYGA" ] || { echo "testbed: $TAYGA not installed (apt-get install tayga)" >&2; return 1; }
		mkdir -p "$XB_RUN/tayga"
		cat >"$XB_RUN/tayga.conf" <<CONF
tun-device xbtayga
ipv4-addr 192.0.2.1
prefix 2001:db8:64::/96
map 192.0.2.2 2001:db8:1::2
data-dir $XB_RUN/tayga
CONF
		nsx "$NSD" "$TAYGA" -c "$XB_RUN/tayga.conf" --mktun >"$XB_RUN/dut.log" 2>&1
		# A deep TUN queue, like xlatd's deep rings (a stalled TAYGA drops
		# at 500 frames otherwise).
		ip -n "$NSD" link set xbtayga txqueuelen 10000 up
		ip -n "$NSD" route add 2001:db8:64::/96 dev xbtayga
		ip -n "$NSD" route add 192.0.2.0/24 dev xbtayga
		forwarding 1
		setsid bash -c "$DUT_SESSION" dut ip netns exec "$NSD" nice -n -20 taskset -c "$DUT_CPU" "$TAYGA" -c "$XB_RUN/tayga.conf" --nodetach >>"$XB_RUN/dut.log" 2>&1 &
		echo $! >"$XB_RUN/dut.pid"
		sleep 0.3
		kill -0 "$(cat "$XB_RUN/dut.pid")" || { cat "$XB_RUN/dut.log" >&2; return 1; }
		;;
	*)
		echo "testbed: unknown case $1" >&2
		return 2
		;;
	esac
}

stop() {
	if [ -f "$XB_RUN/dut.pid" ]; then
		pid=$(cat "$XB_RUN/dut.pid")
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		rm -f "$XB_RUN/dut.pid"
	fi
	# Anything still running inside the DUT namespace was started by us.
	for pid in $(ip netns pids "$NSD" 2>/dev/null); do
		kill -TERM "$pid" 2>/dev/null || true
	done
	case "${1:-}" in
	tayga)
		ip -n "$NSD" link del xbtayga 2>/dev/null || true
		;;
	afxdp_fwd)
		ip -n "$NSD" -6 route del 2001:db8:64::/96 2>/dev/null || true
		ip -n "$NSD" -4 route del 192.0.2.0/24 2>/dev/null || true
		;;
	esac
	forwarding 0 2>/dev/null || true
}

down() {
	stop "" 2>/dev/null || true
	for ns in $NSG $NSD $NSS; do
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$XB_RUN"
}

env() {
	cat <<ENV
XB_NS_GEN=$NSG
XB_NS_DUT=$NSD
XB_NS_SINK=$NSS
ENV
}

case "${1:-}" in
up) up ;;
down) down ;;
start) start "${2:?case}" ;;
stop) stop "${2:-}" ;;
env) env ;;
sink-napi) sink_napi ;;
conf) xlatd_conf "$([ "${2:-xlatd}" = afxdp_fwd ] && echo true || echo false)" ;;
*)
	echo "usage: $0 up|down|start CASE|stop CASE|env|conf CASE" >&2
	exit 2
	;;
esac

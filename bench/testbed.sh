#!/usr/bin/env bash
# Benchmark testbed: three namespaces and the devices under test.
#
#   bench/testbed.sh up              build namespaces, veths, addresses
#   bench/testbed.sh start CASE      start a DUT (xlatd | afxdp_fwd | kernel | tayga | generator,
#                                    and for RFC 9693: xlatd_nat64 | kernel_nat44 | tayga_nat44)
#   bench/testbed.sh stop CASE       stop it
#   bench/testbed.sh state CASE      print the DUT's number of state entries (NAT cases)
#   bench/testbed.sh clear CASE      empty the DUT's state table (exit 3: the DUT cannot)
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
# Stateful NAT (RFC 9693, xlatd-bench -suite nat64): the IPv6 host sends from
# NAT_SRC6 + 0..NAT_SRC_ADDRS-1 (2001:db8:1::1000 on) to 198.51.100.2 as
# 2001:db8:64::c633:6402; the DUTs map the sources into pool4
# 198.51.100.128/26 on the IPv4 side:
#   xlatd_nat64   xlatd, translate.mode = "nat64" (config: conf xlatd_nat64)
#   kernel_nat44  the kernel's conntrack + nftables snat, IPv4 in and out: the
#                 generator sends from 192.0.2.1 + 0..NAT_SRC_ADDRS-1
#   tayga_nat44   TAYGA, stateless, maps 2001:db8:1::1000+i <-> 192.0.2.(1+i), then
#                 nftables snat to pool4 (stateless 6->4, stateful 4->4)
# pool6 is a network-specific prefix: xlatd refuses the Well-Known Prefix
# 64:ff9b::/96 with non-global IPv4 addresses (RFC 6052 section 3.1), and the
# documentation addresses are not global.
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
# XB_RUN (scratch directory for configs and logs), DUT_CPU,
# NAPI_BUSY_POLL (xlatd and afxdp_fwd: [datapath] napi_busy_poll, the
# budget of preferred busy polling, default 0 = off; when on, d6 and d4 get
# napi_defer_hard_irqs=NAPI_DEFER_HARD_IRQS (2) and
# gro_flush_timeout=GRO_FLUSH_TIMEOUT ns (200000) for the case, as the
# kernel's napi.rst asks; docs/PERFORMANCE.md has what it does on veth),
# DUT_NAPI_DEFER=1 (those two device settings for the xlatd, afxdp_fwd and
# kernel cases alike, with or without NAPI_BUSY_POLL).
set -eu

P=${XB_PREFIX:?XB_PREFIX must name the testbed}
NSG=$P-gen
NSD=$P-dut
NSS=$P-sink
XB_RUN=${XB_RUN:-/run/xlatd-bench/$P}
DUT_CPU=${DUT_CPU:-1}
TAYGA=${TAYGA:-/usr/sbin/tayga}
NAT_POOL6=2001:db8:64::/96
NAT_POOL4=198.51.100.128/26
NAT_POOL4_RANGE=198.51.100.128-198.51.100.191
NAT_SRC_ADDRS=${NAT_SRC_ADDRS:-128} # IPv6 (and kernel_nat44 IPv4) source addresses, <= 128
NAT_UDP_TIMEOUT=${NAT_UDP_TIMEOUT:-120} # s; RFC 4787's minimum, xlatd's too
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
napi_busy_poll = ${NAPI_BUSY_POLL:-0}
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

# xlatd_nat64_conf: the NAT64 config (keys of ../shared/CONTRACT.md). Every
# IPv6 source address is a subscriber holding up to 64 blocks of 128 ports,
# enough for the 8192 source ports the flows of one address use.
# port_reuse_delay is 0 (XLATD_PORT_REUSE_DELAY): `clear` flushes the table
# before every setup-rate trial, and with the default 120 s the blocks a
# trial released would wait out the delay, so that a few trials in two
# minutes exhaust pool4 (conntrack -F frees the kernel's ports at once too).
xlatd_nat64_conf() {
	cat <<CONF
[interfaces]
ipv6 = "d6"
ipv4 = "d4"
queues = 1
xdp_mode = "native"
zerocopy = "auto"
[translate]
mode = "nat64"
pool6 = "$NAT_POOL6"
ipv4_address = "198.51.100.1"
ipv6_address = "2001:db8:1::1"
[nat64]
pool4 = ["$NAT_POOL4"]
ports = "1024-65535"
port_block_size = 128
max_blocks_per_subscriber = 64
max_sessions = ${XLATD_MAX_SESSIONS:-4194304}
port_reuse_delay = "${XLATD_PORT_REUSE_DELAY:-0}s"
[nat64.timeouts]
udp = "${NAT_UDP_TIMEOUT}s"
[log]
mappings = "off"
[datapath]
busy_poll = ${XLATD_BUSY_POLL:-true}
ring_size = ${XLATD_RING_SIZE:-8192}
frames = ${XLATD_FRAMES:-32768}
[metrics]
listen = ""
[control]
socket = "$XB_RUN/xlatd.sock"
CONF
}

# nat44_rules SRC4: nftables source NAT of SRC4 to pool4 on the way out of
# d4, with the UDP conntrack timeouts of RFC 4787 (per namespace).
nat44_rules() {
	nsx "$NSD" sysctl -qw net.netfilter.nf_conntrack_udp_timeout="$NAT_UDP_TIMEOUT" \
		net.netfilter.nf_conntrack_udp_timeout_stream="$NAT_UDP_TIMEOUT" net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 >/dev/null 2>&1 || true
	nsx "$NSD" nft -f - <<NFT
table ip xbnat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "d4" ip saddr $1 snat to $NAT_POOL4_RANGE
	}
}
NFT
}

# nat_neigh6: the DUT reaches the IPv6 sources of the NAT flows without ND
# (the generator host's sink program takes every frame, ND included), for
# the reverse direction.
nat_neigh6() {
	for i in $(seq 0 $((NAT_SRC_ADDRS - 1))); do
		printf 'neigh replace 2001:db8:1::%x lladdr %s dev d6 nud permanent\n' $((0x1000 + i)) "$MAC_G6"
	done | ip -n "$NSD" -batch -
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

# napi_busy: the device settings preferred busy polling needs
# (napi_defer_hard_irqs, gro_flush_timeout) on the DUT's veths while an
# xlatd case runs with NAPI_BUSY_POLL > 0, or any of xlatd, afxdp_fwd and
# kernel with DUT_NAPI_DEFER=1; napi_busy 0 (every stop) puts them back.
napi_busy() {
	if [ "$1" = 1 ]; then
		di=${NAPI_DEFER_HARD_IRQS:-2} gt=${GRO_FLUSH_TIMEOUT:-200000}
	else
		di=0 gt=0
	fi
	for d in d6 d4; do
		nsx "$NSD" sh -c "echo $di > /sys/class/net/$d/napi_defer_hard_irqs; echo $gt > /sys/class/net/$d/gro_flush_timeout" 2>/dev/null || true
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

# run_xlatd: check and start xlatd with $XB_RUN/xlatd.toml, pinned to the
# DUT's CPU in a session of its own; wait for its XDP programs.
run_xlatd() {
	nsx "$NSD" "$XLATD" -config "$XB_RUN/xlatd.toml" -check >"$XB_RUN/dut.log" 2>&1 || {
		echo "testbed: xlatd -check refuses $XB_RUN/xlatd.toml:" >&2
		cat "$XB_RUN/dut.log" >&2
		return 1
	}
	# shellcheck disable=SC2086
	setsid bash -c "$DUT_SESSION" dut ip netns exec "$NSD" env ${XLATD_GOMAXPROCS:+GOMAXPROCS=$XLATD_GOMAXPROCS} nice -n -20 taskset -c "$(runtime_cpus)" "$XLATD" -config "$XB_RUN/xlatd.toml" ${XLATD_FLAGS:-} >"$XB_RUN/dut.log" 2>&1 &
	echo $! >"$XB_RUN/dut.pid"
	wait_xdp
	napi_to_dut
}

# run_tayga: TAYGA with $XB_RUN/tayga.conf (TUN xbtayga, prefix
# 2001:db8:64::/96, IPv4 side 192.0.2.0/24), pinned like xlatd.
run_tayga() {
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
}

start() {
	mkdir -p "$XB_RUN"
	case "$1" in
	generator) ;;
	kernel)
		[ "${DUT_NAPI_DEFER:-0}" = 1 ] && napi_busy 1
		forwarding 1
		;;
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
		if [ "${NAPI_BUSY_POLL:-0}" -gt 0 ] || [ "${DUT_NAPI_DEFER:-0}" = 1 ]; then
			napi_busy 1
		fi
		run_xlatd
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
		run_tayga
		;;
	xlatd_nat64)
		[ -x "$XLATD" ] || { echo "testbed: $XLATD not built" >&2; return 1; }
		xlatd_nat64_conf >"$XB_RUN/xlatd.toml"
		nat_neigh6
		run_xlatd
		;;
	kernel_nat44)
		command -v nft >/dev/null || { echo "testbed: nft not installed (apt-get install nftables)" >&2; return 1; }
		ip -n "$NSD" route replace 192.0.2.0/24 via 203.0.113.2 dev d6
		nat44_rules 192.0.2.0/24
		forwarding 1
		;;
	tayga_nat44)
		[ -x "$TAYGA" ] || { echo "testbed: $TAYGA not installed (apt-get install tayga)" >&2; return 1; }
		command -v nft >/dev/null || { echo "testbed: nft not installed (apt-get install nftables)" >&2; return 1; }
		mkdir -p "$XB_RUN/tayga"
		{
			echo "tun-device xbtayga"
			echo "ipv4-addr 192.0.2.254"
			echo "prefix $NAT_POOL6"
			echo "data-dir $XB_RUN/tayga"
			# Stateless: one static map per IPv6 source address.
			for i in $(seq 0 $((NAT_SRC_ADDRS - 1))); do
				printf 'map 192.0.2.%d 2001:db8:1::%x\n' $((i + 1)) $((0x1000 + i))
			done
		} >"$XB_RUN/tayga.conf"
		nat_neigh6
		nat44_rules 192.0.2.0/24
		run_tayga
		;;
	*)
		echo "testbed: unknown case $1" >&2
		return 2
		;;
	esac
}

# state CASE: how many state entries the DUT holds (conntrack entries of
# the DUT namespace; xlatd's sessions).
state() {
	case "$1" in
	kernel_nat44 | tayga_nat44)
		nsx "$NSD" cat /proc/sys/net/netfilter/nf_conntrack_count
		;;
	xlatd_nat64)
		# The nat64.sessions gauge of `xlatd stats -json` (all workers):
		# cheap at any table size. `xlatd nat64 sessions -json` ({"count":
		# N, "sessions": [...]}, INTERFACE.md) lists every session (and
		# stops at 1M), too slow for the 1M-flow runs; it is the fallback.
		nsx "$NSD" "$XLATD" stats -json -config "$XB_RUN/xlatd.toml" |
			/usr/bin/python3 -c 'import json,sys; n=json.load(sys.stdin).get("counters",{}).get("nat64.sessions"); print(n if n is not None else ""); sys.exit(n is None)' ||
			nsx "$NSD" "$XLATD" nat64 sessions -json -config "$XB_RUN/xlatd.toml" |
			/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d) if isinstance(d, list) else d.get("count", len(d.get("sessions") or [])))'
		;;
	*)
		echo "testbed: $1 keeps no state" >&2
		return 3
		;;
	esac
}

# clear_state CASE: empty the DUT's state table (exit 3: no way to).
clear_state() {
	case "$1" in
	kernel_nat44 | tayga_nat44)
		command -v conntrack >/dev/null || { echo "testbed: conntrack not installed (apt-get install conntrack)" >&2; return 3; }
		nsx "$NSD" conntrack -F >/dev/null 2>&1
		;;
	xlatd_nat64)
		# Every session and dynamic BIB entry of every worker, the port
		# blocks released; returns when the last worker is done.
		nsx "$NSD" "$XLATD" nat64 flush -config "$XB_RUN/xlatd.toml" >/dev/null
		;;
	*)
		echo "testbed: no way to empty the state table of $1" >&2
		return 3
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
	tayga_nat44 | kernel_nat44)
		ip -n "$NSD" link del xbtayga 2>/dev/null || true
		ip -n "$NSD" route del 192.0.2.0/24 2>/dev/null || true
		nsx "$NSD" nft delete table ip xbnat 2>/dev/null || true
		command -v conntrack >/dev/null && nsx "$NSD" conntrack -F >/dev/null 2>&1 || true
		;;
	afxdp_fwd)
		ip -n "$NSD" -6 route del 2001:db8:64::/96 2>/dev/null || true
		ip -n "$NSD" -4 route del 192.0.2.0/24 2>/dev/null || true
		;;
	esac
	napi_busy 0
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
state) state "${2:?case}" ;;
clear) clear_state "${2:?case}" ;;
conf)
	case "${2:-xlatd}" in
	xlatd_nat64) xlatd_nat64_conf ;;
	*) xlatd_conf "$([ "${2:-xlatd}" = afxdp_fwd ] && echo true || echo false)" ;;
	esac
	;;
*)
	echo "usage: $0 up|down|start CASE|stop CASE|state CASE|clear CASE|env|conf CASE" >&2
	exit 2
	;;
esac

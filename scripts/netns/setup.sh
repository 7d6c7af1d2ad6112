#!/usr/bin/env bash
# Build the xlatd testbed out of network namespaces and veth pairs.
#
#   scripts/netns/setup.sh [two-armed|one-armed]
#
# Idempotent: an existing testbed with the same prefix is torn down first.
# Namespaces are named "$XLATD_NS_PREFIX-h6", "-box", "-h4" (and "-sw" for the
# one-armed switch); the default prefix is "xl". Run files (the xlatd config,
# an env file with every address) go to $XLATD_RUN_DIR, default
# /run/xlatd-netns/$XLATD_NS_PREFIX. See docs/TESTBED.md for the picture.
# XLATD_NETNS_STATIC_NEIGH=0: no permanent neighbour entries;
# XLATD_NETNS_QUEUES=N: N queues on the box's veths;
# XLATD_NETNS_OFFLOAD=1: leave checksum/segmentation offloads on.
# XLATD_NETNS_CPUS="0, 1": pin the workers' threads ([datapath] cpus).
# XLATD_NETNS_MTU=N: MTU N on every veth (both ends; e.g. 9000 for jumbo).
#
# Only documentation prefixes are used (RFC 3849, RFC 5737). Nothing is
# attached to the root namespace.
set -eu

topo=${1:-two-armed}
P=${XLATD_NS_PREFIX:-xl}
RUN=${XLATD_RUN_DIR:-/run/xlatd-netns/$P}
here=$(cd "$(dirname "$0")" && pwd)

case "$topo" in
two-armed | one-armed) ;;
*)
	echo "usage: $0 [two-armed|one-armed]" >&2
	exit 2
	;;
esac
if [ "$(id -u)" != 0 ]; then
	echo "$0: must run as root (network namespaces)" >&2
	exit 1
fi
for tool in ip; do
	command -v "$tool" >/dev/null || {
		echo "$0: $tool not found (apt-get install iproute2)" >&2
		exit 1
	}
done

NS6=$P-h6
NSX=$P-box
NS4=$P-h4
NSW=$P-sw

# Addresses (mirror Jool's SIIT graybox topology, test/graybox/test-suite/siit).
BOX6=2001:db8:1c0:2:1::          # xlatd box, IPv6 side
H6=2001:db8:1c0:2:21::           # IPv6 host; = pool6(192.0.2.33)
H6_EAM=2001:db8:6::6             # IPv6 host, second address; EAMT -> 203.0.113.6
BOX4=198.51.100.1                # xlatd box, IPv4 side
H4=198.51.100.2                  # IPv4 host; its IPv6 name is pool6(198.51.100.2)
POOL6=2001:db8:100::/40          # RFC 6052 network-specific prefix
H4_AS6=2001:db8:1c6:3364:2::     # = pool6(198.51.100.2)
H6_AS4=192.0.2.33                # = IPv4 name of H6
H6_EAM_AS4=203.0.113.6
EAM6=2001:db8:6::/124
EAM4=203.0.113.0/28
BOXLO6=2001:db8:ffff::1          # box loopback-ish addresses: not translated,
BOXLO4=203.0.113.254             # the kernel answers them (outside EAM4)

# XLATD_NETNS_QUEUES=N gives the box's veths (and their peers) N RX/TX
# queues, so that xlatd runs one socket and worker per queue.
QUEUES=${XLATD_NETNS_QUEUES:-1}
Q=""
if [ "$QUEUES" != 1 ]; then
	Q="numrxqueues $QUEUES numtxqueues $QUEUES"
fi

MAC_BOX6=02:00:00:00:06:01
MAC_H6=02:00:00:00:06:21
MAC_BOX4=02:00:00:00:04:01
MAC_H4=02:00:00:00:04:02

failed=1
cleanup() {
	if [ "$failed" = 1 ]; then
		echo "$0: setup failed, removing the partial testbed" >&2
		XLATD_NS_PREFIX=$P XLATD_RUN_DIR=$RUN "$here/teardown.sh" >/dev/null 2>&1 || true
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Start from nothing (idempotent).
XLATD_NS_PREFIX=$P XLATD_RUN_DIR=$RUN "$here/teardown.sh" >/dev/null 2>&1 || true
mkdir -p "$RUN"

nsx() { ip netns exec "$@"; }

mkns() {
	ip netns add "$1"
	ip -n "$1" link set lo up
	nsx "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	nsx "$1" sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0
	nsx "$1" sysctl -qw net.ipv6.auto_flowlabels=0
}

# offload_off NS DEV: no checksum/segmentation offload, so frames that reach
# XDP carry complete checksums and are at most one MTU long.
offload_off() {
	if [ "${XLATD_NETNS_OFFLOAD:-0}" = 1 ]; then
		return # keep the kernel's defaults (to reproduce offload problems)
	fi
	if command -v ethtool >/dev/null; then
		nsx "$1" ethtool -K "$2" tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
	fi
}

mkns "$NS6"
mkns "$NSX"
mkns "$NS4"
nsx "$NSX" sysctl -qw net.ipv4.conf.all.forwarding=1 net.ipv6.conf.all.forwarding=1
nsx "$NSX" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0

# The box's addresses that are not on the links, to check the kernel keeps
# its own traffic.
ip -n "$NSX" addr add "$BOXLO6/128" dev lo nodad
ip -n "$NSX" addr add "$BOXLO4/32" dev lo

if [ "$topo" = two-armed ]; then
	IF6=to-h6
	IF4=to-h4
	ip -n "$NSX" link add "$IF6" address "$MAC_BOX6" $Q type veth peer name to-xl address "$MAC_H6" $Q netns "$NS6"
	ip -n "$NSX" link add "$IF4" address "$MAC_BOX4" $Q type veth peer name to-xl address "$MAC_H4" $Q netns "$NS4"
	ip -n "$NSX" addr add "$BOX6/64" dev "$IF6" nodad
	ip -n "$NSX" addr add "$BOX4/24" dev "$IF4"
	for d in "$IF6" "$IF4"; do
		offload_off "$NSX" "$d"
		ip -n "$NSX" link set "$d" up
	done
	CAPTURE4="# capture4 unset: as Jool's SIIT, every IPv4 destination but the box's own"
else
	IF6=lan
	IF4=lan
	mkns "$NSW"
	ip -n "$NSW" link add br0 type bridge
	ip -n "$NSW" link set br0 up
	ip -n "$NSX" link add lan address "$MAC_BOX6" $Q type veth peer name p-box $Q netns "$NSW"
	ip -n "$NS6" link add to-xl address "$MAC_H6" type veth peer name p-h6 netns "$NSW"
	ip -n "$NS4" link add to-xl address "$MAC_H4" type veth peer name p-h4 netns "$NSW"
	for p in p-box p-h6 p-h4; do
		ip -n "$NSW" link set "$p" master br0
		offload_off "$NSW" "$p"
		ip -n "$NSW" link set "$p" up
	done
	ip -n "$NSX" addr add "$BOX6/64" dev lan nodad
	ip -n "$NSX" addr add "$BOX4/24" dev lan
	offload_off "$NSX" lan
	ip -n "$NSX" link set lan up
	MAC_BOX4=$MAC_BOX6
	# One-armed: the box does not own the IPv4 network, so say which IPv4
	# destinations it captures.
	CAPTURE4="capture4 = [\"192.0.2.0/24\", \"$EAM4\"]"
fi

# IPv6 host.
# XLATD_NETNS_MTU: every veth end in every namespace (veth drops what
# exceeds the receiver's MTU).
if [ -n "${XLATD_NETNS_MTU:-}" ]; then
	ip -n "$NSX" link set dev "$IF6" mtu "$XLATD_NETNS_MTU"
	ip -n "$NSX" link set dev "$IF4" mtu "$XLATD_NETNS_MTU"
	ip -n "$NS6" link set dev to-xl mtu "$XLATD_NETNS_MTU"
	ip -n "$NS4" link set dev to-xl mtu "$XLATD_NETNS_MTU"
	if [ "$topo" = one-armed ]; then
		for p in p-box p-h6 p-h4; do
			ip -n "$NSW" link set dev "$p" mtu "$XLATD_NETNS_MTU"
		done
	fi
fi

ip -n "$NS6" addr add "$H6/64" dev to-xl nodad
ip -n "$NS6" addr add "$H6_EAM/128" dev to-xl nodad
offload_off "$NS6" to-xl
ip -n "$NS6" link set to-xl up
ip -n "$NS6" -6 route add "$POOL6" via "$BOX6" dev to-xl
ip -n "$NS6" -6 route add 2001:db8:ffff::/64 via "$BOX6" dev to-xl

# IPv4 host.
ip -n "$NS4" addr add "$H4/24" dev to-xl
offload_off "$NS4" to-xl
ip -n "$NS4" link set to-xl up
ip -n "$NS4" route add 192.0.2.0/24 via "$BOX4" dev to-xl
ip -n "$NS4" route add 203.0.113.0/24 via "$BOX4" dev to-xl

# The box: where translated IPv6 packets go (EAMT IPv6 ranges behind H6).
ip -n "$NSX" -6 route add "$EAM6" via "$H6" dev "$IF6"
# Jool graybox EAMT ranges (corpus replay): 2001:db8:3::/120, 2001:db8:2::/120.
ip -n "$NSX" -6 route add 2001:db8:3::/120 via "$H6" dev "$IF6"
ip -n "$NSX" -6 route add 2001:db8:2::/120 via "$H6" dev "$IF6"

# Permanent neighbours (XLATD_NETNS_STATIC_NEIGH=0 leaves them out): no
# ARP/ND wait for the first packets, and hosts need not answer ARP/ND while
# a test keeps their kernels off the wire. The kernel still does ARP/ND for
# everything else; the e2e tests check that.
if [ "${XLATD_NETNS_STATIC_NEIGH:-1}" = 1 ]; then
	ip -n "$NS6" -6 neigh replace "$BOX6" lladdr "$MAC_BOX6" dev to-xl nud permanent
	ip -n "$NS4" neigh replace "$BOX4" lladdr "$MAC_BOX4" dev to-xl nud permanent
	ip -n "$NSX" -6 neigh replace "$H6" lladdr "$MAC_H6" dev "$IF6" nud permanent
	ip -n "$NSX" neigh replace "$H4" lladdr "$MAC_H4" dev "$IF4" nud permanent
fi

cat >"$RUN/xlatd.toml" <<TOML
# xlatd config for the $topo testbed (written by scripts/netns/setup.sh).
# Run it inside the box namespace:
#   ip netns exec $NSX bin/xlatd -config $RUN/xlatd.toml
[interfaces]
ipv6 = "$IF6"
ipv4 = "$IF4"
xdp_mode = "auto"
$CAPTURE4

[translate]
mode = "siit"
pool6 = "$POOL6"            # 198.51.100.2 <-> $H4_AS6, 192.0.2.33 <-> $H6

[[eamt]]
ipv6 = "$EAM6"
ipv4 = "$EAM4"

$([ -n "${XLATD_NETNS_CPUS:-}" ] && printf '[datapath]\ncpus = [%s]\n' "$XLATD_NETNS_CPUS")

[metrics]
listen = "127.0.0.1:9464"  # inside the box namespace

[control]
socket = "$RUN/xlatd.sock"  # xlatd stats -socket $RUN/xlatd.sock
TOML

cat >"$RUN/env" <<ENV
# Written by scripts/netns/setup.sh; source it.
TOPOLOGY=$topo
NS6=$NS6
NSX=$NSX
NS4=$NS4
$([ "$topo" = one-armed ] && echo "NSW=$NSW")
IF6=$IF6
IF4=$IF4
HOSTIF=to-xl
BOX6=$BOX6
BOX4=$BOX4
H6=$H6
H6_EAM=$H6_EAM
H6_AS4=$H6_AS4
H6_EAM_AS4=$H6_EAM_AS4
H4=$H4
H4_AS6=$H4_AS6
POOL6=$POOL6
EAM6=$EAM6
EAM4=$EAM4
BOXLO6=$BOXLO6
BOXLO4=$BOXLO4
MAC_BOX6=$MAC_BOX6
MAC_BOX4=$MAC_BOX4
MAC_H6=$MAC_H6
MAC_H4=$MAC_H4
CONFIG=$RUN/xlatd.toml
SOCKET=$RUN/xlatd.sock
ENV

failed=0
echo "testbed $topo up: namespaces $NS6 $NSX $NS4$([ "$topo" = one-armed ] && echo " $NSW"); config $RUN/xlatd.toml"

#!/usr/bin/env bash
# Linux in-kernel pktgen (CONFIG_NET_PKTGEN, `modprobe pktgen`) sending the
# RFC 8219 SIIT traffic of bench/trex/siit_udp.py from a Linux box with a
# real NIC: IPv6/UDP to IPv4 hosts embedded in pool6 (6to4), or IPv4/UDP to
# the EAM'd IPv6 hosts (4to6), one kernel thread per TX queue.
#
#   bench/pktgen/siit_udp.sh -i enp1s0f0 -m 02:00:00:00:01:02 -d 6to4 -s 84 -t 4 -n 10000000
#   bench/pktgen/siit_udp.sh -i enp1s0f1 -m 02:00:00:00:02:02 -d 4to6 -s 1518 -r 500000 -D 30
#
#   -i DEV     sending interface (cabled to the translator's IPv6 side for 6to4,
#              its IPv4 side for 4to6)
#   -m MAC     the translator's MAC on that link
#   -d DIR     6to4 | 4to6
#   -s SIZE    IPv6-side frame size incl. FCS (84 128 256 512 1024 1280 1518);
#              4to6 sends SIZE-20 byte IPv4 frames
#   -t N       threads = TX queues used (default 1; thread i runs on CPU i, queue i)
#   -n COUNT   packets per thread (0 = until -D or Ctrl-C; default 0)
#   -D SEC     stop after SEC seconds (default 10)
#   -r PPS     rate per thread in packets/s (default: as fast as possible)
#   -f FLOWS   vary UDP source ports over FLOWS values from 1024 (default 1024)
#   -6 PREFIX  pool6 /96 prefix with trailing :: (default 2001:db8:64::)
#   -b BURST   frames per xmit (xmit_more) (default 32; 1 for drivers without it)
#
# pktgen has no receive side: count what arrives on the far side with the
# receiving NIC's counters (ethtool -S, ip -s link) or TRex/a second box,
# and compare with the "sent" this script prints. pkt_size excludes the FCS.
# Addresses are documentation space: adapt them to the lab.
set -eu

DEV= DST_MAC= DIR=6to4 SIZE=84 THREADS=1 COUNT=0 DURATION=10 RATE=0 FLOWS=1024 POOL6=2001:db8:64:: BURST=32
while getopts "i:m:d:s:t:n:D:r:f:6:b:h" o; do
	case $o in
	i) DEV=$OPTARG ;;
	m) DST_MAC=$OPTARG ;;
	d) DIR=$OPTARG ;;
	s) SIZE=$OPTARG ;;
	t) THREADS=$OPTARG ;;
	n) COUNT=$OPTARG ;;
	D) DURATION=$OPTARG ;;
	r) RATE=$OPTARG ;;
	f) FLOWS=$OPTARG ;;
	6) POOL6=$OPTARG ;;
	b) BURST=$OPTARG ;;
	*) sed -n '2,/^set -eu/p' "$0" | sed 's/^# \{0,1\}//' | head -n -1; exit 2 ;;
	esac
done
[ -n "$DEV" ] && [ -n "$DST_MAC" ] || { echo "$0: -i DEV and -m MAC are required (-h for help)" >&2; exit 2; }
case $SIZE in 84 | 128 | 256 | 512 | 1024 | 1280 | 1518) ;; *) echo "$0: -s must be an RFC 8219 frame size" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "$0: needs root" >&2; exit 1; }
[ -d /proc/net/pktgen ] || modprobe pktgen 2>/dev/null || true
[ -d /proc/net/pktgen ] || { echo "$0: no /proc/net/pktgen (kernel without CONFIG_NET_PKTGEN)" >&2; exit 1; }

pg() { # pg FILE COMMAND: write a pktgen command and check its result
	echo "$2" >"$1"
	if ! grep -q "Result: OK" "$1" 2>/dev/null && [ "$1" != /proc/net/pktgen/pgctrl ]; then
		grep "Result:" "$1" >&2 || true
		echo "$0: pktgen refused: $2 > $1" >&2
		exit 1
	fi
}

case $DIR in
6to4) PKT=$((SIZE - 4)) ;;
4to6) PKT=$((SIZE - 20 - 4)) ;;
*) echo "$0: -d 6to4 or 4to6" >&2; exit 2 ;;
esac

pg /proc/net/pktgen/pgctrl reset
cleanup() { echo reset >/proc/net/pktgen/pgctrl 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM

for ((t = 0; t < THREADS; t++)); do
	th=/proc/net/pktgen/kpktgend_$t
	[ -e "$th" ] || { echo "$0: no $th (only $(ls /proc/net/pktgen | grep -c kpktgend) CPUs?)" >&2; exit 1; }
	name=$DEV@$t
	pg "$th" rem_device_all
	pg "$th" "add_device $name"
	d=/proc/net/pktgen/$name
	pg "$d" "count $COUNT"
	pg "$d" "pkt_size $PKT"
	pg "$d" "clone_skb 0"
	pg "$d" "burst $BURST"
	pg "$d" "queue_map_min $t"
	pg "$d" "queue_map_max $t"
	pg "$d" "dst_mac $DST_MAC"
	pg "$d" "udp_dst_min 9"
	pg "$d" "udp_dst_max 9"
	pg "$d" "udp_src_min 1024"
	pg "$d" "udp_src_max $((1024 + FLOWS - 1))"
	pg "$d" "flag UDPSRC_RND"
	pg "$d" "flag NO_TIMESTAMP"
	if [ "$RATE" != 0 ]; then pg "$d" "ratep $RATE"; else pg "$d" "delay 0"; fi
	if [ "$DIR" = 6to4 ]; then
		# 2001:db8:1::<t+1> (EAM 192.0.2.<t+1>) -> 198.51.100.1 in pool6.
		pg "$d" "src6 2001:db8:1::$((t + 1))"
		pg "$d" "dst6 ${POOL6}c633:6401"
	else
		# 198.51.100.<t+1> -> 192.0.2.1..254 (EAM 2001:db8:1::1..fe).
		pg "$d" "src_min 198.51.100.$((t + 1))"
		pg "$d" "src_max 198.51.100.$((t + 1))"
		pg "$d" "dst_min 192.0.2.1"
		pg "$d" "dst_max 192.0.2.254"
		pg "$d" "flag IPDST_RND"
	fi
done

echo "pktgen: $DIR, $SIZE-byte frames ($PKT without FCS) on $DEV to $DST_MAC, $THREADS thread(s), ${DURATION}s"
(sleep "$DURATION" && echo stop >/proc/net/pktgen/pgctrl) &
stopper=$!
echo start >/proc/net/pktgen/pgctrl || true # returns when all threads are done or stopped
kill "$stopper" 2>/dev/null || true

total=0
for ((t = 0; t < THREADS; t++)); do
	f=/proc/net/pktgen/$DEV@$t
	sent=$(sed -n 's/.*pkts-sofar: \([0-9]*\).*/\1/p' "$f")
	pps=$(sed -n 's/^ *\([0-9]*\)pps .*/\1/p' "$f")
	echo "thread $t: sent ${sent:-?} packets, ${pps:-?} pps"
	total=$((total + ${sent:-0}))
done
echo "sent $total packets in total"

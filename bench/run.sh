#!/usr/bin/env bash
# `make bench`: the side-by-side RFC 8219 comparison on the netns testbed.
#
#   bench/run.sh [xlatd-bench flags...]      e.g. bench/run.sh -sizes 84,1518 -trial 500ms
#   bench/run.sh -suite nat64 [flags...]     `make bench-nat64`: RFC 9693 stateful NAT
#                                            (xlatd NAT64, kernel NAT44, TAYGA + NAT44)
#
# Builds xlatd-bench (and bin/xlatd unless XLATD names a binary), brings up bench/testbed.sh's
# namespaces, runs every case (generator straight into the sink, xlatd
# forward_only, xlatd SIIT, kernel forwarding, TAYGA) with the same AF_XDP
# generator pinned to GEN_CPU (default 0) while the DUT runs on DUT_CPU
# (default 1), prints the table and the SUMMARY line, writes
# bench/results/bench-<time>.json, a Markdown report (.md) with its PNG
# charts, and removes the testbed on exit.
# Root only. XLATD_FLAGS is passed to the daemon (e.g. a profiling flag).
# LOSS_TOLERANCE (default 0.001 = 0.1%) is the loss a passing trial may show:
# RFC 8219 says 0; on a shared 2-vCPU VM a scheduling hiccup drops a few
# frames in any trial, so a strict search measures the hiccups, not the DUT.
# LOSS_TOLERANCE=0 gives the RFC's definition.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"

if [ "$(id -u)" != 0 ]; then
	echo "bench/run.sh: needs root (namespaces, AF_XDP, XDP)" >&2
	exit 1
fi
GO=${GO:-go}
command -v "$GO" >/dev/null 2>&1 || GO=/usr/local/go/bin/go
export XB_PREFIX=${XB_PREFIX:-xb$$}
build_xlatd=0
[ -n "${XLATD:-}" ] || build_xlatd=1
export XLATD=${XLATD:-$root/bin/xlatd}
export DUT_CPU=${DUT_CPU:-1}
GEN_CPU=${GEN_CPU:-0}

mkdir -p bin bench/results
"$GO" build -o bin/xlatd-bench ./bench/cmd/xlatd-bench
if [ "$build_xlatd" = 1 ]; then
	"$GO" build -o "$XLATD" ./cmd/xlatd || echo "bench/run.sh: xlatd does not build; its cases will say n/a" >&2
fi

trap '"$here/testbed.sh" down' EXIT
"$here/testbed.sh" up

name=bench
case " $* " in *" -suite nat64 "* | *" -suite=nat64 "*) name=nat64 ;; esac
out=bench/results/$name-$(date -u +%Y%m%d-%H%M%S).json
set -- -prefix "$XB_PREFIX" -testbed "$here/testbed.sh" -gen-cpu "$GEN_CPU" -loss-tolerance "${LOSS_TOLERANCE:-0.001}" -out "$out" "$@"
echo "\$ bin/xlatd-bench $*"
echo "  (generator and sinks on CPU $GEN_CPU, DUT on CPU $DUT_CPU; $(uname -r), $(nproc) CPUs; own session at autogroup nice -20)"
# A session of its own whose autogroup outweighs other work on a shared box:
# with autogroups, plain nice only ranks processes within one session. The
# DUTs that xlatd-bench starts through testbed.sh inherit it.
setsid bash -c 'echo -20 >/proc/self/autogroup 2>/dev/null; exec nice -n -20 taskset -c "$0" "$@"' "$GEN_CPU" bin/xlatd-bench "$@" </dev/null &
bench=$!
trap 'kill -TERM $bench 2>/dev/null; wait $bench; exit 130' INT TERM
wait $bench

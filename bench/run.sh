#!/usr/bin/env bash
# `make bench`: the side-by-side RFC 8219 comparison on the netns testbed.
#
#   bench/run.sh [xlatd-bench flags...]      e.g. bench/run.sh -sizes 84,1518 -trial 500ms
#
# Builds xlatd-bench (and bin/xlatd unless XLATD names a binary), brings up bench/testbed.sh's
# namespaces, runs every case (generator straight into the sink, xlatd
# forward_only, xlatd SIIT, kernel forwarding, TAYGA) with the same AF_XDP
# generator pinned to GEN_CPU (default 0) while the DUT runs on DUT_CPU
# (default 1), prints the table and the SUMMARY line, writes
# bench/results/bench-<time>.json and .png, and removes the testbed on exit.
# Root only. XLATD_FLAGS is passed to the daemon (e.g. a profiling flag).
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
trap 'exit 130' INT TERM
"$here/testbed.sh" up

out=bench/results/bench-$(date -u +%Y%m%d-%H%M%S).json
set -- -prefix "$XB_PREFIX" -testbed "$here/testbed.sh" -gen-cpu "$GEN_CPU" -out "$out" "$@"
echo "\$ taskset -c $GEN_CPU bin/xlatd-bench $*    (DUT on CPU $DUT_CPU, $(uname -r), $(nproc) CPUs)"
taskset -c "$GEN_CPU" bin/xlatd-bench "$@"

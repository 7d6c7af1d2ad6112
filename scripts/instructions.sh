#!/bin/sh
# instructions.sh: instructions per packet executed by batch.Translate for
# the UDP and TCP benchmark scenarios (pool6 only), counted with
# valgrind's callgrind. Only instructions inside Translate are collected
# (--toggle-collect), and two runs of different lengths are subtracted so
# that the benchmark's set-up calls cancel out:
#   (Ir(N2 vectors) - Ir(N1 vectors)) / ((N2 - N1) * 64 packets)
# Usage: scripts/instructions.sh [test binary]   (default: builds ./batch)
# SCENARIOS="UDP/4to6 ICMP/6to4 NAT64/UDP/6to4 ..." picks other BenchmarkTranslate cases.
# The binary's x86-64 level (GOAMD64, v1 unless the build set it) is
# printed first: the counts depend on it (docs/PERFORMANCE.md).
set -eu
GO=${GO:-go}
bin=${1:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -z "$bin" ]; then
	bin=$tmp/batch.test
	$GO test -c -o "$bin" ./batch/
fi
bin=$(realpath "$bin")
level=$($GO version -m "$bin" 2>/dev/null | sed -n 's/^[[:space:]]*build[[:space:]]*GOAMD64=//p')
echo "GOAMD64=${level:-unknown} ($bin)"
N1=50
N2=250
cd "$(dirname "$0")/../batch"
ir() { # scenario (e.g. UDP/4to6 or NAT64/UDP/4to6) N
	pat=$(echo "$1" | sed 's,[^/]*,^&$,g')
	GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" \
		--toggle-collect='github.com/xlatd/xlatd/batch.(*Translator).Translate' \
		"$bin" -test.run '^$' -test.bench "BenchmarkTranslate/$pat" \
		-test.benchtime "$2x" -test.cpu 1 >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
	sed -n 's/^==[0-9]*== Collected : //p' "$tmp/err"
}
for name in ${SCENARIOS:-UDP/4to6 UDP/6to4 TCP/4to6 TCP/6to4}; do
	a=$(ir "$name" $N1)
	b=$(ir "$name" $N2)
	echo "$name: $(( (b - a) / ((N2 - N1) * 64) )) instructions/packet"
done

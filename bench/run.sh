#!/usr/bin/env bash
# bench/run.sh — what `make bench` runs: the Go benchmarks (short benchtime)
# and the side-by-side ratios (bench/sidebyside), raw output saved in
# results/bench-<UTC time>/ for benchstat across commits. See BENCHMARKS.md.
#
# Environment: GO (go), BENCHTIME (Go benchmarks, default 200ms),
# BENCH_COUNT (-count for the Go benchmarks, default 1; 6 or more gives
# benchstat confidence intervals, at that many times the Go benchmark time),
# K6 (k6 binary; default: k6 on PATH, else $(go env GOPATH)/bin/k6, else
# the k6 comparison is skipped), SIDEBYSIDE_FLAGS (extra flags, e.g.
# "-rounds 5 -round 5s" or "-only procedure,submit").
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
BENCHTIME=${BENCHTIME:-200ms}
BENCH_COUNT=${BENCH_COUNT:-1}
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
out="results/bench-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out" bin
started=$(date +%s)

{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- 2>/dev/null || echo ' (dirty)')"
	echo "nproc: $(nproc)"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo "go: $($GO version)"
	echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out/machine.txt"

echo "== building bin/portalsim and the side-by-side program"
$GO build -o bin/portalsim ./cmd/portalsim
$GO build -o "$out/sidebyside" ./bench/sidebyside

K6=${K6:-}
if [ -z "$K6" ]; then
	if command -v k6 >/dev/null 2>&1; then
		K6=$(command -v k6)
	elif [ -x "$($GO env GOPATH)/bin/k6" ]; then
		K6="$($GO env GOPATH)/bin/k6"
	fi
fi
[ -n "$K6" ] && echo "k6: $K6 ($("$K6" version 2>/dev/null | head -1))" | tee -a "$out/machine.txt"

echo "== Go benchmarks (-benchtime $BENCHTIME -count $BENCH_COUNT) → $out/gobench.txt"
# Not piped through tee directly so a failing benchmark fails make bench.
status=0
# Only packages that have benchmarks: compiling every test binary (and
# running TestMains) would take minutes on a loaded 2-core machine.
pkgs=$(grep -rl --include='*_test.go' '^func Benchmark' . | xargs -n1 dirname | sort -u)
# shellcheck disable=SC2086 # pkgs is a list of package paths
$GO test -run '^$' -bench . -benchmem -benchtime "$BENCHTIME" -count "$BENCH_COUNT" -timeout 15m $pkgs >"$out/gobench.txt" 2>&1 || status=$?
grep -E '^(Benchmark|ok|FAIL|---|panic)' "$out/gobench.txt" || true
if [ "$status" -ne 0 ]; then
	echo "Go benchmarks failed (exit $status); see $out/gobench.txt" >&2
	exit "$status"
fi

echo "== side by side → $out/sidebyside.txt"
# shellcheck disable=SC2086 # SIDEBYSIDE_FLAGS is a list of flags
"$out/sidebyside" -out "$out" -portalsim bin/portalsim -k6 "$K6" ${SIDEBYSIDE_FLAGS:-} 2>&1 | tee "$out/sidebyside.txt"

for p in "$out"/*.pprof; do
	[ -e "$p" ] || continue
	$GO tool pprof -top -nodecount=40 "$out/sidebyside" "$p" >"${p%.pprof}.top.txt" 2>/dev/null || true
	$GO tool pprof -top -cum -nodecount=60 "$out/sidebyside" "$p" >"${p%.pprof}.cum.txt" 2>/dev/null || true
done
rm -f "$out/sidebyside"
echo "== done in $(( $(date +%s) - started )) s; raw output in $out (compare runs: benchstat old/gobench.txt new/gobench.txt)"

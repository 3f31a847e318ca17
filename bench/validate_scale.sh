#!/usr/bin/env bash
# The validator at scale (not part of ctest: minutes, and ~1 GB of disk per size).
# Builds ledger snapshots of a small and a large size once (via
# validate_scale_bench, which also reports in-process timings), then runs the real
# `backup-bench validate` on each under /usr/bin/time -v and prints the verdict's
# per-step timings and the peak RSS, so flat memory across sizes is visible.
#
#   bench/validate_scale.sh [BUILD_DIR]        (default: build)
#   BB_SCALE_SIZES="64 1024" BB_SCALE_TRANSFERS=1000000 BB_SCALE_DIR=/tmp/x
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
sizes=${BB_SCALE_SIZES:-"64 1024"}
transfers=${BB_SCALE_TRANSFERS:-1000000}
export BB_SCALE_DIR=${BB_SCALE_DIR:-${TMPDIR:-/tmp}/bb-validate-scale}
cmake --build "$build" --target backup-bench validate_scale_bench >/dev/null
mkdir -p "$BB_SCALE_DIR"

printf '%-8s %-16s %-10s %10s %10s %12s %10s %10s %12s\n' \
  size_mb check status open_ms integ_ms invariants_ms total_ms wall_s peak_rss_mb
for mb in $sizes; do
  BB_SCALE_MB=$mb BB_SCALE_TRANSFERS=$transfers "$build/bench/validate_scale_bench" \
    --benchmark_counters_tabular=true >"$BB_SCALE_DIR/bench-$mb.txt" 2>&1
  db="$BB_SCALE_DIR/ledger-${mb}mb-${transfers}t.db"
  seq=$(cat "$db.seq")
  for quick in "" --quick; do
    out=$(mktemp) tm=$(mktemp)
    /usr/bin/time -v "$build/backup-bench" validate $quick --committed-min "$seq" --committed-max "$seq" \
      "$db" >"$out" 2>"$tm" || true
    python3 - "$out" "$tm" "$mb" "${quick:-full}" <<'PY'
import json, re, sys
v = json.load(open(sys.argv[1])); t = open(sys.argv[2]).read()
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) / 1024
wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t).group(1)
secs = sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall.split(":"))))
ms = v["timings_ms"]
check = "integrity_check" if sys.argv[4] == "full" else "quick_check"
print(f'{sys.argv[3]:<8} {check:<16} {v["status"]:<10} {ms.get("open", 0):10.1f} {ms.get("integrity", 0):10.1f} '
      f'{ms.get("invariants", 0):12.1f} {ms.get("total", 0):10.1f} {secs:10.2f} {rss:12.1f}')
PY
    rm -f "$out" "$tm"
  done
done
echo "databases and in-process benchmark output: $BB_SCALE_DIR"

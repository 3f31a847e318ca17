#!/usr/bin/env bash
# The harness's own cost per trial against the database size: what a trial
# spends preparing its database (a copy of the cached template; populating it
# the first time), starting and stopping the load, validating the snapshot and
# writing its series -- everything but the load's fixed windows (warm-up,
# baseline, cool-down) and the backup itself. Run by hand (not in CI):
#
#   bench/harness_cost.sh [SIZES_MB...]     (default: 64 256 1024)
#
# Each size runs one `online` trial per journal mode; the cache is used as it is
# (clear it first with `backup-bench cache clear` to see population too).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/backup-bench
sizes=("${@:-64 256 1024}")
[ $# -eq 0 ] && sizes=(64 256 1024)
out=$(mktemp -d /tmp/bb-harness-cost-XXXXXX)
trap 'rm -rf "$out"' EXIT
printf "%-8s %-7s %9s %9s %8s %8s %8s %9s %8s %8s\n" size mode populate prepare start stop validate series backup total
for mb in "${sizes[@]}"; do
  "$bin" run --preset quick --strategies online --db-mb "$mb" --out "$out/$mb" >/dev/null 2>"$out/$mb.err" || {
    cat "$out/$mb.err" >&2
    exit 1
  }
  /usr/bin/python3 - "$out/$mb/results.json" "$mb" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for t in r["trials"]:
    p, d = t["phases_s"], t["database"]
    fixed = ("warmup", "baseline", "cooldown", "backups")
    harness = sum(v for k, v in p.items() if k not in fixed)
    print(f"{sys.argv[2] + ' MB':<8} {t['mode']:<7} {d.get('populate_s', 0):9.2f} {p['prepare']:9.2f} "
          f"{p['start_load']:8.2f} {p['stop']:8.2f} {p['validate']:8.2f} {p['series']:9.2f} "
          f"{p['backups']:8.2f} {harness:8.2f}")
PY
done
echo "seconds; total = the harness's own cost (prepare + start + stop + validate + series)"

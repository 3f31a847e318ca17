#!/usr/bin/env bash
# incremental vs online on a large database after a small share of its pages
# changed (not part of ctest: minutes, and ~5x the database size in disk).
# Both strategies run in the same binary, the second build against an amalgamation
# with sqlite_dbpage (scripts/build-sqlite), so only the strategy differs. For each
# repetition: the previous backup (taken before the change) is put back at the
# destination untimed, then `incremental` (base=clone and base=move) and a fresh
# `online` run; the page cache is warm for all of them. Prints per-run figures and
# the medians: time (impact window, and with the final fsync+rename), pages and
# bytes written, and online's time over incremental's.
#
#   bench/incremental.sh [AMALGAMATION_DIR]   (default: ../shared/sqlite/3.50.4)
#   BB_BENCH_MB=1024 BB_BENCH_CHANGE_PCT=1 BB_BENCH_REPEAT=3 BB_BENCH_DIR=/tmp/x
set -euo pipefail
cd "$(dirname "$0")/.."
amalgamation=${1:-../shared/sqlite/3.50.4}
mb=${BB_BENCH_MB:-1024}
pct=${BB_BENCH_CHANGE_PCT:-1}
repeat=${BB_BENCH_REPEAT:-3}
dir=${BB_BENCH_DIR:-${TMPDIR:-/tmp}/bb-incremental-bench}
bb=$(scripts/build-sqlite "$amalgamation")
shell=$(dirname "$bb")/sqlite3
mkdir -p "$dir"
src=$dir/source-${mb}mb.db

# Rows of 1000 bytes fill 4 KB pages 4 at a time; every (400/pct)th row rewritten
# in place changes one leaf page in every 100/pct: pct percent of the pages.
rows=$((mb * 1024 * 1024 / 4096 * 4))
stride=$((400 / pct))
if [ ! -f "$src" ]; then
  echo "building $src ($rows rows)" >&2
  "$shell" "$src" "PRAGMA journal_mode = wal; CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);
    INSERT INTO t(v) SELECT randomblob(1000) FROM generate_series(1, $rows);" >/dev/null
fi
rm -f "$dir"/*.partial-* "$dir"/{previous,inc-clone,inc-move,online}.db*
"$bb" backup --strategy incremental "$src" "$dir/previous.db" >/dev/null
"$shell" "$src" "UPDATE t SET v = randomblob(1000) WHERE id % $stride = 0;" >/dev/null

out=$dir/outcomes.jsonl
: >"$out"
for r in $(seq "$repeat"); do
  for base in clone move; do
    cp --reflink=auto "$dir/previous.db" "$dir/inc-$base.db"
    sync "$dir/inc-$base.db"
    "$bb" backup --strategy incremental --opt base=$base "$src" "$dir/inc-$base.db" |
      python3 -c "import json,sys; j=json.load(sys.stdin); j['label']='incremental base=$base'; print(json.dumps(j))" >>"$out"
  done
  rm -f "$dir/online.db"
  "$bb" backup --strategy online "$src" "$dir/online.db" |
    python3 -c "import json,sys; j=json.load(sys.stdin); j['label']='online'; print(json.dumps(j))" >>"$out"
done

python3 - "$out" "$mb" "$pct" "$("$bb" __sqlite-info | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
print(f"SQLite {sys.argv[4]}, {sys.argv[2]} MB database, {sys.argv[3]}% of pages changed, page cache warm")
print(f"{'label':<24} {'duration_s':>10} {'commit_s':>9} {'total_s':>8} {'clone_s':>8} {'pages':>8} "
      f"{'written':>8} {'written%':>8} {'MB_written':>10} {'MB_read':>8}")
by = {}
for j in runs:
    assert j["status"] == "completed", j
    x = j["extra"]
    pages = x.get("pages", j["bytes"] // 4096)
    written = x.get("pages_written", pages)
    mb_written = x.get("bytes_written", j["bytes"]) / 1e6 + (j["bytes"] / 1e6 if x.get("base") == "copy" else 0)
    row = dict(d=j["duration_s"], c=j["commit_s"], t=j["duration_s"] + j["commit_s"], clone=x.get("clone_s", 0),
               pages=pages, written=written, mbw=mb_written, mbr=x.get("bytes_read", j["bytes"]) / 1e6)
    by.setdefault(j["label"], []).append(row)
    print(f"{j['label']:<24} {row['d']:>10.3f} {row['c']:>9.3f} {row['t']:>8.3f} {row['clone']:>8.3f} {pages:>8} "
          f"{written:>8} {100 * written / pages:>7.2f}% {mb_written:>10.1f} {row['mbr']:>8.1f}")
med = {k: {f: statistics.median(r[f] for r in v) for f in v[0]} for k, v in by.items()}
print("\nmedians")
for k, m in med.items():
    print(f"{k:<24} duration {m['d']:.3f} s, with commit {m['t']:.3f} s, pages written {m['written']:.0f} "
          f"of {m['pages']:.0f} ({100 * m['written'] / m['pages']:.2f}%)")
for k in med:
    if k != "online":
        print(f"online / {k}: {med['online']['d'] / med[k]['d']:.2f}x (impact window), "
              f"{med['online']['t'] / med[k]['t']:.2f}x (with commit)")
PY
# Same content as online: only page 1's change counter (bytes 25-28), schema
# cookie (41-44) and version-valid-for/library version (93-100) may differ.
for base in clone move; do
  n=$({ cmp -l "$dir/inc-$base.db" "$dir/online.db" || true; } | awk '!(($1>=25&&$1<=28)||($1>=41&&$1<=44)||($1>=93&&$1<=100))' | wc -l)
  [ "$(stat -c %s "$dir/inc-$base.db")" = "$(stat -c %s "$dir/online.db")" ] || n="size differs"
  echo "incremental base=$base vs online: $n bytes differ outside page 1's counters"
done
rm -f "$dir"/{previous,inc-clone,inc-move,online}.db
echo "outcomes: $out (the source database stays for the next run: $src)" >&2

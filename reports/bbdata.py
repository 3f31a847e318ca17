"""Loading run folders (several are merged, as shards of one run) and the small
statistics the report needs: medians, ranges, per-commit series."""
import json
import os
import statistics

VERDICTS = ["OK", "STALE", "INCONSISTENT", "CORRUPT", "FAILED", "SKIPPED"]


class BadInput(Exception):
    pass


def load_runs(dirs):
    """Returns one merged results dict; each trial remembers its run folder."""
    merged = None
    for d in dirs:
        path = os.path.join(d, "results.json")
        if not os.path.isfile(path):
            raise BadInput(f"{d} holds no results.json (not a run folder)")
        try:
            with open(path) as f:
                r = json.load(f)
        except (OSError, ValueError) as e:
            raise BadInput(f"{path} is not a results file ({e})")
        if not isinstance(r, dict) or not isinstance(r.get("trials"), list):
            raise BadInput(f"{path} is not a backup-bench results file (no trials)")
        for t in r["trials"]:
            t["_run_dir"] = os.path.abspath(d)
        if merged is None:
            merged = r
            merged["_runs"] = [d]
            merged["_sqlite_versions"] = {r.get("sqlite_version", "?")}
        else:
            merged["trials"].extend(r["trials"])
            merged["_runs"].append(d)
            merged["_sqlite_versions"].add(r.get("sqlite_version", "?"))
    return merged


def series_path(t):
    """The trial's series.json: the recorded path, else the same path relative to
    the run folder (fixtures and moved run folders)."""
    p = t.get("series")
    if not p:
        return None
    if os.path.isabs(p) and os.path.isfile(p):
        return p
    run = t.get("_run_dir", ".")
    if not os.path.isabs(p):
        q = os.path.join(run, p)
        return q if os.path.isfile(q) else None
    # An absolute path from elsewhere: try its tails below the run folder.
    parts = p.strip("/").split("/")
    for i in range(1, len(parts)):
        q = os.path.join(run, *parts[i:])
        if os.path.isfile(q):
            return q
    return None


_series_cache = {}


def load_series(t):
    p = series_path(t)
    if p is None:
        return None
    if p not in _series_cache:
        try:
            with open(p) as f:
                _series_cache[p] = json.load(f)
        except (OSError, ValueError):
            _series_cache[p] = None
    return _series_cache[p]


def get(t, path, default=None):
    cur = t
    for k in path.split("/"):
        if not isinstance(cur, dict) or k not in cur:
            return default
        cur = cur[k]
    return cur if cur is not None else default


def skipped(t):
    return get(t, "backup/status") == "skipped" or get(t, "verdict/status") == "SKIPPED"


def harness_failed(t):
    """The trial failed in the harness (a worker died, ...), not in the strategy:
    it says nothing about the strategy and is left out of charts and claims."""
    return str(get(t, "verdict/detail", "")).startswith("harness error")


def verdict(t):
    if get(t, "backup/status") == "skipped":
        return "SKIPPED"
    return get(t, "verdict/status", "?")


def median(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None


def values(trials, path):
    return [get(t, path) for t in trials
            if not skipped(t) and not harness_failed(t) and isinstance(get(t, path), (int, float))]


def groups(trials, by_size=False):
    """Ordered {(mode, label[, db_mb]): [trials]}."""
    out = {}
    for t in trials:
        k = (t.get("mode", "?"), t.get("label", t.get("strategy", "?")))
        if by_size:
            k = k + (t.get("db_mb", 0),)
        out.setdefault(k, []).append(t)
    return out


def modes(trials):
    seen = []
    for t in trials:
        if t.get("mode") not in seen:
            seen.append(t.get("mode"))
    return seen


def labels(trials):
    seen = []
    for t in trials:
        lab = t.get("label", t.get("strategy"))
        if lab not in seen:
            seen.append(lab)
    return seen


def sizes(trials):
    return sorted({t.get("db_mb", 0) for t in trials})


def window_commits(s):
    """Per-commit samples split into (baseline latencies, during latencies,
    commits completed strictly inside the backup window)."""
    ev = s.get("events", {})
    b0, bs, be = ev.get("baseline_start_ms", 0), ev.get("backup_start_ms", 0), ev.get("backup_end_ms", 0)
    base, during, inside = [], [], 0
    for c in s.get("commits", []):
        t, resp = c[0], c[1]
        start = t - resp
        if b0 <= t < bs:
            base.append(resp)
        if t >= bs and start <= be:
            during.append(resp)
        if bs < t < be:
            inside += 1
    return base, during, inside


def representative(trials):
    """The non-skipped trial with the median during-p99 (a typical repetition)."""
    ts = [t for t in trials if not skipped(t) and not harness_failed(t)]
    if not ts:
        return None
    ts.sort(key=lambda t: get(t, "writers/during/p99_ms", 0) or 0)
    return ts[(len(ts) - 1) // 2]

"""The recommendation per journal mode, from the summary rows of results.json:
among strategies expected to be safe in that mode whose every snapshot was OK,
the one with the lowest writer impact, with its trade-offs; every other
strategy is listed with the reason it was not considered.

The impact figure is the longest gap of one writer between its own commits,
beyond the gap its own schedule allows (the floor), median over the steady
repetitions. It exists for every backup however short (a p99 needs 100 commits
due in the window, which a short backup does not have), and it is per writer,
so a writer held off cannot hide behind another that kept committing."""
import figures as F

IMPACT_FIGURE = "longest gap of one writer beyond its schedule's own gap (median over steady repetitions)"
IMPACT_WHY = ("It exists for every backup however short (a p99 needs at least 100 commits due during the "
              "backup, which short backups do not have), and it is measured per writer, so one writer held off "
              "cannot hide behind another that kept committing. A gap at the schedule's own gap is no signal.")


def beyond_floor(row, which="median"):
    gap = row.figure("max_writer_gap_ms")[which]
    if gap is None:
        return None
    return max(0.0, gap - (row.floor_ms or 0))


def _ran(results, row):
    """The row's trials that ran in the harness (not skipped, no harness error)."""
    return [t for t in results.trials_of(row.mode, row.label) if t.db_mb == row.db_mb
            and t.writer_count == row.writer_count and not t.skipped and t.harness_error is None]


def _reason_left_out(results, row):
    """(kind, reason) when the row is not a candidate: kind 'expected' for results
    that are as designed (unsafe in this mode, not applicable), 'alarm' for a
    strategy expected to be safe that was not, 'info' otherwise; None if a candidate."""
    r = row.raw
    if r["skipped"] == r["trials"]:
        t = next(iter(results.trials_of(row.mode, row.label)), None)
        return "expected", f"not run here ({(t.get('backup/error') if t else '') or 'does not apply'})"
    ran = _ran(results, row)
    counts = {}
    for t in ran:
        counts[t.verdict] = counts.get(t.verdict, 0) + 1
    if not ran:
        return "info", f"every trial failed in the harness ({r['harness_errors']}), not in the strategy"
    if not row.expected_safe:
        note = results.strategy_info(row.strategy).get("safety_note") or "unsafe in this mode"
        return "expected", f"not safe in {row.mode} mode by design: {note} (verdicts {F.verdict_counts(counts)})"
    if counts.get("OK", 0) != len(ran):
        reasons = [f"{f.get('count', 1)}× {'timed out' if f.get('status') == 'timeout' else 'failed'}: "
                   f"{f.get('error') or 'no reason given'}" for f in r["failures"]]
        wrong = any(k in counts for k in ("CORRUPT", "INCONSISTENT", "STALE"))
        return ("alarm" if wrong else "failed"), (f"not always OK (verdicts {F.verdict_counts(counts)})"
                                                  + (f"; {'; '.join(reasons)}" if reasons else ""))
    if not results.impact_representative(row.strategy):
        return "info", ("every snapshot OK, but its writer impact is not representative: it freezes every process "
                        "holding the database (a simulation of a volume snapshot, not a real one)")
    if r["steady"] == 0:
        return "info", "every snapshot OK, but no trial had a steady load, so its writer impact is unknown"
    return None


def _candidate(row):
    g = row.figure("max_writer_gap_ms")
    floor = row.floor_ms or 0
    return {
        "label": row.label, "strategy": row.strategy, "row": row,
        "impact": beyond_floor(row),
        "impact_range": (None if g["min"] is None else max(0.0, g["min"] - floor),
                         None if g["max"] is None else max(0.0, g["max"] - floor)),
        "gap": g["median"], "floor": row.floor_ms, "n": g["n"],
        "delayed": row.median("delayed_commits"),
        "stall": row.median("max_stall_ms"),
        "p99": row.raw["writers_during"],
        "duration": row.figure("backup_duration_s"),
        "mbps": row.median("backup_mb_per_s"),
        "wal_growth": row.median("wal_growth_bytes"),
        "restarts": row.median("backup_restarts"),
        "steady": row.raw["steady"], "ran": row.ran, "unsteady": row.raw["unsteady"],
        "harness_errors": row.raw["harness_errors"],
    }


def not_ranked_apart(best, c):
    """Whether the run cannot tell candidate c from the best: their ranges over the
    repetitions overlap, or their medians differ by less than one schedule period
    (a writer notices a stall only when one of its commits falls due in it, so a
    smaller difference can be the phase of the schedule, not the backup)."""
    lo, hi = c["impact_range"]
    if lo is not None and best["impact_range"][1] is not None and lo <= best["impact_range"][1]:
        return True
    floor = best["floor"] or 0
    return c["impact"] is not None and best["impact"] is not None and c["impact"] - best["impact"] < floor


def _tradeoffs(best, cands, results):
    out = []
    fastest = min(cands, key=lambda c: c["duration"]["median"] if c["duration"]["median"] is not None else 1e18)
    if fastest is not best and fastest["duration"]["median"] is not None:
        out.append(f"{fastest['label']} finishes fastest ({F.secs(fastest['duration']['median'])} against "
                   f"{F.secs(best['duration']['median'])}), with writers waiting up to {F.ms(fastest['impact'])} "
                   "beyond their schedule")
    elif len(cands) > 1:
        out.append("it is also the fastest of the candidates")
    if best["row"].mode == "wal":
        grow = [c for c in cands if c["wal_growth"] is not None]
        least = min(grow, key=lambda c: c["wal_growth"]) if grow else None
        if least and best["wal_growth"] is not None and best["wal_growth"] > least["wal_growth"] + 1e6:
            out.append(f"the WAL grows by {F.mb(best['wal_growth'])} during it ({least['label']}: "
                       f"{F.mb(least['wal_growth'])})")
    if best["restarts"]:
        out.append(f"it restarted {best['restarts']:g} times per backup (median): under heavier writes it may not "
                   "finish in time")
    info = results.strategy_info(best["strategy"])
    if info.get("description"):
        out.append(f"how it works: {info['description']}")
    if info.get("safety_note"):
        out.append(f"safety: {info['safety_note']}")
    return out


def recommend(results):
    """[{mode, db_mb, candidates[], recommended, tradeoffs[], left_out[(label, kind, reason)]}]."""
    out = []
    for mode in results.modes:
        rows = results.rows_of(mode)
        largest = max(r.db_mb for r in rows)
        rows = [r for r in rows if r.db_mb == largest]
        writers = max(r.writer_count for r in rows)
        rows = [r for r in rows if r.writer_count == writers]
        cands, left_out = [], []
        for row in rows:
            why = _reason_left_out(results, row)
            if why:
                left_out.append((row.label, *why))
            else:
                cands.append(_candidate(row))
        cands.sort(key=lambda c: (c["impact"] if c["impact"] is not None else 1e18, c["delayed"] or 0,
                                  c["duration"]["median"] or 1e18))
        best = cands[0] if cands else None
        ties = [c for c in cands[1:] if not_ranked_apart(best, c)] if best else []
        excluded = {k: sum(r.raw[k] for r in rows) for k in ("unsteady", "harness_errors", "skipped")}
        out.append({"mode": mode, "db_mb": largest, "writers": writers, "candidates": cands, "recommended": best,
                    "tradeoffs": _tradeoffs(best, cands, results) if best else [], "left_out": left_out, "ties": ties,
                    "excluded": excluded, "several_sizes": len({r.db_mb for r in results.rows_of(mode)}) > 1})
    return out

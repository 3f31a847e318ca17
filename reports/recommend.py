"""The recommendation per journal mode, from the summary rows of results.json:
among strategies expected to be safe in that mode whose every snapshot was OK,
the one with the lowest writer impact, with its trade-offs; every other
strategy is listed with the reason it was not considered.

The impact figure is results.json's `max_writer_stall_ms`: the longest gap of
one writer between its own commits beyond the gap its own schedule allows (one
period), median over the steady backups. It exists for every backup however
short (a p99 needs 100 commits due in the window, which a short backup does not
have), and it is per writer, so a writer held off cannot hide behind another
that kept committing.

A run with several filesystems or SQLite builds gets one recommendation per
journal mode x filesystem x build: each is a different place to run a backup."""
import figures as F

IMPACT = F.IMPACT
IMPACT_FIGURE = "longest gap of one writer beyond its schedule's own gap (median over the steady backups)"
IMPACT_WHY = ("It exists for every backup however short (a p99 needs at least 100 commits due during the "
              "backup, which short backups do not have), and it is measured per writer, so one writer held off "
              "cannot hide behind another that kept committing. A gap at the schedule's own gap is no signal.")


def _ran(row):
    """The row's trials that ran in the harness (not skipped, no harness error)."""
    return [t for t in row.trials if not t.skipped and t.harness_error is None]


def _reason_left_out(results, row):
    """(kind, reason) when the row is not a candidate: kind 'expected' for results
    that are as designed (unsafe in this mode, not applicable), 'alarm' for a
    strategy expected to be safe that was not, 'info' otherwise; None if a candidate."""
    r = row.raw
    if row.all_skipped:
        t = next(iter(row.trials), None)
        return "expected", f"not run here ({(t.get('backup/error') if t else '') or 'does not apply'})"
    ran = _ran(row)
    counts = {}
    for t in ran:
        for k, v in t.verdicts.items():  # one per snapshot
            counts[k] = counts.get(k, 0) + v
    if not ran:
        return "info", f"every trial failed in the harness ({r['harness_errors']}), not in the strategy"
    if not row.expected_safe:
        note = results.strategy_info(row.strategy).get("safety_note") or "unsafe in this mode"
        return "expected", f"not safe in {row.mode} mode by design: {note} (verdicts {F.verdict_counts(counts)})"
    if counts.get("OK", 0) != sum(counts.values()):
        reasons = [f"{f.get('count', 1)}× {'timed out' if f.get('status') == 'timeout' else 'failed'}: "
                   f"{f.get('error') or 'no reason given'}" for f in r["failures"]]
        wrong = results.wrong(counts) > 0
        return ("alarm" if wrong else "failed"), (f"not always OK (verdicts {F.verdict_counts(counts)})"
                                                  + (f"; {'; '.join(reasons)}" if reasons else ""))
    if not results.impact_representative(row.strategy):
        return "info", ("every snapshot OK, but its writer impact is not representative: it freezes every process "
                        "holding the database (a simulation of a volume snapshot, not a real one)")
    if r["steady"] == 0:
        return "info", "every snapshot OK, but no trial had a steady load, so its writer impact is unknown"
    return None


def _candidate(row):
    stall = row.figure(IMPACT)
    return {
        "label": row.label, "strategy": row.strategy, "row": row,
        "impact": stall["median"], "impact_range": (stall["min"], stall["max"]),
        "gap": row.median("max_writer_gap_ms"), "floor": row.floor_ms, "n": stall["n"],
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
    backups overlap, or their medians differ by less than one schedule period
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
        out.append(f"{best['label']} is also the fastest of the candidates")
    if best["row"].mode == "wal":
        grow = [c for c in cands if c["wal_growth"] is not None]
        least = min(grow, key=lambda c: c["wal_growth"]) if grow else None
        if least and best["wal_growth"] is not None and best["wal_growth"] > least["wal_growth"] + 1e6:
            out.append(f"the WAL grows by {F.mb(best['wal_growth'])} during a {best['label']} backup ({least['label']}: "
                       f"{F.mb(least['wal_growth'])})")
    if best["restarts"]:
        out.append(f"{best['label']} restarted {best['restarts']:g} times per backup (median): under heavier writes it may not "
                   "finish in time")
    # Continuous replication is a candidate like any other (its snapshots were
    # OK); what it loses and what it costs between backups are said beside it.
    for c in cands:
        if isinstance(c["row"].raw.get("continuous"), dict):
            import continuous
            out.append("continuous replication, " + continuous.continuous_sentence(c["row"])
                       + " A periodic backup's recovery point is the interval it is run at.")
    info = results.strategy_info(best["strategy"])
    if info.get("description"):
        out.append(f"how {best['label']} works: {info['description']}")
    if info.get("safety_note"):
        out.append(f"{best['label']} is {info['safety_note']}" if info['safety_note'].startswith(("safe", "unsafe"))
                   else f"safety of {best['label']}: {info['safety_note']}")
    return out


def places(results, mode):
    """The (filesystem, sqlite) pairs of a journal mode's rows, in the run's order."""
    return results._ordered((r.filesystem, r.sqlite) for r in results.rows_of(mode))


def recommend(results):
    """[{mode, filesystem, sqlite, sqlite_version, where, id, db_mb, writers, candidates[], recommended,
    ties[], tradeoffs[], left_out[(label, kind, reason)], excluded}]: one per journal mode, and per
    filesystem and SQLite build when the run has several."""
    out = []
    several_places = results.varies("filesystem") or results.varies("sqlite")
    for mode in results.modes:
        for fs, sqlite in places(results, mode):
            rows = results.rows_of(mode, filesystem=fs, sqlite=sqlite)
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
            version = rows[0].sqlite_version
            where = f"{mode} mode" + (f", {fs}, SQLite {version}" if several_places else "")
            out.append({"mode": mode, "filesystem": fs, "sqlite": sqlite, "sqlite_version": version,
                        "where": where, "id": "rec-" + "-".join([mode] + ([fs, str(version)] if several_places
                                                                          else [])),
                        "db_mb": largest, "writers": writers, "candidates": cands, "recommended": best,
                        "tradeoffs": _tradeoffs(best, cands, results) if best else [], "left_out": left_out,
                        "ties": ties, "excluded": excluded,
                        "several_sizes": len({r.db_mb for r in results.rows_of(mode)}) > 1})
    return out

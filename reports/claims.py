"""The seed article's claims about strategies, judged from the measurements, and
the per-journal-mode recommendation. Every judgement comes with the figures it
rests on; nothing here is hard-coded about what the answer should be."""
import bbdata as D

SUPPORTED, REFUTED, MIXED, NO_DATA = "supported", "refuted", "mixed", "no data"
BAD = ("CORRUPT", "INCONSISTENT")


def _of(trials, strategy, completed=False):
    """The strategy's trials that say something about it; `completed`: only those
    whose backup finished (for timing and blocking questions)."""
    return [t for t in trials if t.get("strategy") == strategy and not D.skipped(t) and not D.harness_failed(t)
            and (not completed or D.get(t, "backup/status") == "completed")]


def _by_mode(trials):
    """{mode: trials}; a labelled variant of the strategy gets its own entry
    ("wal · exclusive-copy-inprocess")."""
    out = {}
    for t in trials:
        key = t.get("mode", "?")
        if t.get("label", t.get("strategy")) != t.get("strategy"):
            key += " · " + t["label"]
        out.setdefault(key, []).append(t)
    return out


def _fmt_ms(v):
    return "n/a" if v is None else (f"{v:.0f} ms" if v >= 100 else f"{v:.1f} ms" if v >= 1 else f"{v:.2f} ms")


def _fmt_s(v):
    return "n/a" if v is None else (f"{v:.2f} s" if v >= 0.1 else f"{v * 1000:.0f} ms")


def writer_flow(t):
    """Did writers keep committing during this trial's backup? Returns
    ('blocked'|'proceeds'|'degraded'|'too short', inside, expected)."""
    dur = D.get(t, "backup/duration_s", 0) or 0
    rate = D.get(t, "writers/baseline/commits_per_s", 0) or 0
    expected = rate * dur
    s = D.load_series(t)
    inside = D.window_commits(s)[2] if s else None
    stall = D.get(t, "writers/max_stall_ms", 0) or 0
    if expected < 3:
        return "too short", inside, expected
    if inside is not None:
        ratio = inside / expected
        kind = "blocked" if ratio <= 0.1 else "proceeds" if ratio >= 0.5 else "degraded"
    else:
        kind = "blocked" if stall >= 0.8 * dur * 1000 else "proceeds" if stall < 0.3 * dur * 1000 else "degraded"
    return kind, inside, expected


def readers_blocked(t):
    dur_ms = (D.get(t, "backup/duration_s", 0) or 0) * 1000
    if not t.get("reader_count") or dur_ms < 5:
        return None
    return (D.get(t, "readers/during/max_ms", 0) or 0) >= 0.8 * dur_ms


def _flow_evidence(mode, ts):
    kinds = [writer_flow(t) for t in ts]
    inside = [k[1] for k in kinds if k[1] is not None]
    expected = D.median([k[2] for k in kinds])
    dur = D.median(D.values(ts, "backup/duration_s"))
    stall = D.median(D.values(ts, "writers/max_stall_ms"))
    base = D.median(D.values(ts, "writers/baseline/p99_ms"))
    counts = {}
    for k in kinds:
        counts[k[0]] = counts.get(k[0], 0) + 1
    txt = (f"{mode}: backup {_fmt_s(dur)}; writer commits completed inside the window "
           f"{D.median(inside) if inside else 'n/a'} (≈{expected:.0f} expected at the baseline rate); "
           f"longest stall {_fmt_ms(stall)} vs baseline p99 {_fmt_ms(base)}; "
           + ", ".join(f"{n}× {k}" for k, n in counts.items()) + f" (n={len(ts)})")
    return counts, txt


def _combine(per_mode):
    vals = [v for v in per_mode if v != NO_DATA]
    if not vals:
        return NO_DATA
    if all(v == SUPPORTED for v in vals):
        return SUPPORTED
    if all(v == REFUTED for v in vals):
        return REFUTED
    return MIXED


def _blocking_claim(trials, strategy, blocked_supports):
    per_mode, evidence = [], []
    for mode, ts in _by_mode(_of(trials, strategy, completed=True)).items():
        counts, txt = _flow_evidence(mode, ts)
        # "degraded" (writers slowed, not stopped) and a split between trials are mixed.
        b, p = counts.get("blocked", 0), counts.get("proceeds", 0)
        judged = len(ts) - counts.get("too short", 0)
        if judged == 0:
            st = NO_DATA
        elif b > judged / 2:
            st = SUPPORTED if blocked_supports else REFUTED
        elif p > judged / 2:
            st = REFUTED if blocked_supports else SUPPORTED
        else:
            st = MIXED
        per_mode.append(st)
        evidence.append(f"[{st}] {txt}")
    return _combine(per_mode), evidence


def _verdict_counts(ts):
    c = {}
    for t in ts:
        c[D.verdict(t)] = c.get(D.verdict(t), 0) + 1
    return c


def _vstr(c):
    return " ".join(f"{k}={v}" for k, v in sorted(c.items())) or "none"


def claim_vacuum(trials):
    return _blocking_claim(trials, "vacuum-into", True)


def claim_online_concurrent(trials):
    st, ev = _blocking_claim(trials, "online", False)
    for mode, ts in _by_mode(_of(trials, "online")).items():
        rq = D.median(D.values(ts, "readers/during/queries_per_s"))
        rb = D.median(D.values(ts, "readers/baseline/queries_per_s"))
        if rq is not None and rb:
            ev.append(f"{mode}: readers {rq:.0f} queries/s during vs {rb:.0f} before")
    return st, ev


def claim_online_graceful(trials):
    per_mode, ev = [], []
    for mode, ts in _by_mode(_of(trials, "online")).items():
        c = _verdict_counts(ts)
        unfinished = sum(1 for t in ts if D.get(t, "backup/status") in ("failed", "timeout"))
        ok = c.get("OK", 0)
        st = SUPPORTED if ok == len(ts) else REFUTED if ok == 0 else MIXED
        per_mode.append(st)
        p99 = D.median(D.values(ts, "writers/during/p99_ms"))
        base = D.median(D.values(ts, "writers/baseline/p99_ms"))
        restarts = D.median(D.values(ts, "backup/restarts"))
        ev.append(f"[{st}] {mode}: verdicts {_vstr(c)}; {unfinished} failed/timed out; restarts (median) "
                  f"{restarts if restarts is not None else 'n/a'}; writer p99 {_fmt_ms(p99)} during vs "
                  f"{_fmt_ms(base)} before")
    return _combine(per_mode), ev


def claim_exclusive_blocks(trials):
    per_mode, ev = [], []
    for mode, ts in _by_mode(_of(trials, "exclusive-copy", completed=True)).items():
        counts, txt = _flow_evidence(mode, ts)
        judged = len(ts) - counts.get("too short", 0)
        wb = counts.get("blocked", 0) > judged / 2
        rb = [readers_blocked(t) for t in ts]
        rb = [x for x in rb if x is not None]
        readers = None if not rb else sum(rb) > len(rb) / 2
        rmax = D.median(D.values(ts, "readers/during/max_ms"))
        if judged == 0:
            st = NO_DATA
        elif not wb:
            st = REFUTED if counts.get("proceeds", 0) > judged / 2 else MIXED
        elif readers is False:
            st = MIXED
        else:
            st = SUPPORTED
        per_mode.append(st)
        rtxt = ("no readers measured" if readers is None else
                f"readers {'blocked' if readers else 'kept reading'} (longest reader query {_fmt_ms(rmax)})")
        ev.append(f"[{st}] {txt}; {rtxt}")
    return _combine(per_mode), ev


def _integrity_claim(trials, strategy, label):
    ts = _of(trials, strategy)
    if not ts:
        return NO_DATA, []
    ev = []
    for mode, mts in _by_mode(ts).items():
        details = sorted({str(D.get(t, "verdict/detail", ""))[:100] for t in mts if D.verdict(t) != "OK"} - {""})
        ev.append(f"{mode}: verdicts {_vstr(_verdict_counts(mts))}" + (f" — e.g. {details[0]}" if details else ""))
    c = _verdict_counts(ts)
    bad = sum(c.get(k, 0) for k in BAD)
    stale = c.get("STALE", 0)
    if bad:
        st = SUPPORTED
    elif stale:
        st = MIXED
        ev.append(f"no {label} snapshot was corrupt or inconsistent, but {stale} lost committed transactions (STALE)")
    elif c.get("OK", 0):
        st = REFUTED
        ev.append(f"all {c['OK']} {label} snapshots were consistent and fresh in this run "
                  "(absence in a finite run is not proof the risk is zero)")
    else:
        st = NO_DATA
    return st, ev


def claim_raw_copy(trials):
    return _integrity_claim(trials, "raw-copy", "raw-copy")


def claim_fs_snapshot(trials):
    return _integrity_claim(trials, "fs-snapshot", "crash-consistent")


def claim_exclusive_efficiency(trials):
    largest = max((t.get("db_mb", 0) for t in trials), default=0)
    ev, per_mode = [], []
    ex = [t for t in _of(trials, "exclusive-copy", completed=True) if t.get("db_mb", 0) == largest]
    on = [t for t in _of(trials, "online", completed=True) if t.get("db_mb", 0) == largest]
    exm, onm = _by_mode(ex), _by_mode(on)
    for key in exm:
        mode = key.split(" · ")[0]  # a variant of exclusive-copy is compared with plain online
        if mode not in onm:
            continue
        de, do = D.median(D.values(exm[key], "backup/duration_s")), D.median(D.values(onm[mode], "backup/duration_s"))
        se, so = (D.median(D.values(exm[key], "writers/max_stall_ms")),
                  D.median(D.values(onm[mode], "writers/max_stall_ms")))
        if not de or not do:
            continue
        ratio = de / do
        st = SUPPORTED if ratio > 1.1 else REFUTED if ratio < 0.9 else MIXED
        per_mode.append(st)
        ev.append(f"[{st}] {key}, {largest} MB: exclusive-copy {_fmt_s(de)} vs online {_fmt_s(do)} "
                  f"({ratio:.2f}×); longest writer stall {_fmt_ms(se)} vs {_fmt_ms(so)}")
    if per_mode and largest < 256:
        ev.append(f"the largest database measured is {largest} MB; run the scaling preset for 'large'")
    return _combine(per_mode), ev


def claim_cli_backup(trials):
    per_mode, ev = [], []
    on = _by_mode(_of(trials, "online"))
    for key, ts in _by_mode(_of(trials, "cli-backup")).items():
        mode = key.split(" · ")[0]
        if mode not in on:
            continue
        kc = _flow_evidence(mode, ts)[0]
        ko = _flow_evidence(mode, on[mode])[0]
        same_flow = max(kc, key=kc.get) == max(ko, key=ko.get)
        all_ok = _verdict_counts(ts).get("OK", 0) == len(ts)
        st = SUPPORTED if same_flow and all_ok else MIXED
        per_mode.append(st)
        ev.append(f"[{st}] {key}: cli-backup verdicts {_vstr(_verdict_counts(ts))}, writers "
                  f"{max(kc, key=kc.get)}, {_fmt_s(D.median(D.values(ts, 'backup/duration_s')))}; online writers "
                  f"{max(ko, key=ko.get)}, {_fmt_s(D.median(D.values(on[mode], 'backup/duration_s')))}")
    return _combine(per_mode), ev


CLAIMS = [
    ("VACUUM INTO", "it requires an exclusive lock on the database during execution, which may block other writers",
     "writers blocked during the backup window", claim_vacuum),
    ("Online Backup API", "it does not require exclusive access to the database, allowing other connections to "
     "read and write during the backup process", "writers (and readers) keep committing during the backup",
     claim_online_concurrent),
    ("Online Backup API", "it also handles edge cases like WAL mode databases and concurrent writes gracefully",
     "every snapshot OK and every backup finished, per journal mode", claim_online_graceful),
    ("exclusive transaction + file copy", "ensures no other writes occur during the copy but blocks all other "
     "connections until the transaction completes", "writers and readers blocked during the copy",
     claim_exclusive_blocks),
    ("raw file copy", "traditional file-copy methods (e.g. cp) risk capturing an inconsistent database state if any "
     "connection is actively writing", "a raw copy is CORRUPT or INCONSISTENT", claim_raw_copy),
    ("exclusive transaction + file copy", "it is less efficient than the Online Backup API for large databases",
     "exclusive-copy slower than online (>10%) on the largest database", claim_exclusive_efficiency),
    ("crash-consistent snapshot", "crash-consistent methods (volume shadow copy, LVM snapshots) ... do not guarantee "
     "SQLite-level transactional integrity", "an fs-snapshot image is CORRUPT or INCONSISTENT", claim_fs_snapshot),
    ("sqlite3 .backup", "tools like the sqlite3 .backup command ... often wrap the Online Backup API",
     "cli-backup behaves like online (writers, verdicts)", claim_cli_backup),
]


def judge_claims(trials):
    out = []
    for subject, quote, test, fn in CLAIMS:
        st, ev = fn(trials)
        if not ev:
            strategy = {"VACUUM INTO": "vacuum-into", "crash-consistent snapshot": "fs-snapshot",
                        "raw file copy": "raw-copy", "sqlite3 .backup": "cli-backup"}.get(subject)
            present = any(t.get("strategy") in (strategy, "exclusive-copy", "online") for t in trials) \
                if strategy is None else any(t.get("strategy") == strategy for t in trials)
            ev = ["trials ran, but none completed a backup that can answer this (see the verdict matrix)"
                  if present else "no trials of this strategy in the run"]
        out.append({"subject": subject, "quote": quote, "test": test, "status": st, "evidence": ev})
    return out


def recommend(trials):
    """Per journal mode: among labels whose every snapshot was OK (and that are
    expected to be safe), the one with the lowest writer p99 during the backup
    (longest stall breaks ties), with the trade-offs."""
    out = []
    for mode in D.modes(trials):
        cands, excluded = [], []
        for (m, lab), ts in D.groups(trials).items():
            if m != mode:
                continue
            if any(D.harness_failed(t) for t in ts):
                excluded.append((lab, f"{sum(map(D.harness_failed, ts))} trial(s) failed in the harness"))
                continue
            run = [t for t in ts if not D.skipped(t)]
            if not run:
                excluded.append((lab, "skipped: " + str(D.get(ts[0], "backup/error", "") or "does not apply")))
                continue
            c = _verdict_counts(run)
            if c.get("OK", 0) != len(run):
                excluded.append((lab, f"not always OK ({_vstr(c)})"))
                continue
            if any(t.get("expected_safe") is False for t in run):
                excluded.append((lab, f"all {len(run)} snapshots OK, but not a safe method by design"))
                continue
            cands.append({
                "label": lab, "n": len(run),
                "p99": D.median(D.values(run, "writers/during/p99_ms")),
                "p99_range": (min(D.values(run, "writers/during/p99_ms"), default=None),
                              max(D.values(run, "writers/during/p99_ms"), default=None)),
                "base_p99": D.median(D.values(run, "writers/baseline/p99_ms")),
                "stall": D.median(D.values(run, "writers/max_stall_ms")),
                "duration": D.median(D.values(run, "backup/duration_s")),
                "mbps": D.median(D.values(run, "backup/mb_per_s")),
                "wal_mb": (D.median(D.values(run, "wal_peak_bytes")) or 0) / 1e6,
            })
        cands.sort(key=lambda c: (c["p99"] if c["p99"] is not None else 1e18, c["stall"] or 0))
        tradeoffs = []
        if cands:
            best = cands[0]
            # Repetitions whose ranges overlap do not rank the candidates: say so.
            close = [c["label"] for c in cands[1:] if None not in c["p99_range"] + best["p99_range"]
                     and c["p99_range"][0] <= best["p99_range"][1]]
            if close:
                tradeoffs.append(f"its p99 range over repetitions overlaps that of {', '.join(close)}: "
                                 "these are not clearly ranked by this run")
            fastest = min(cands, key=lambda c: c["duration"] or 1e18)
            smallest = min(cands, key=lambda c: c["wal_mb"])
            if fastest is not best:
                tradeoffs.append(f"{fastest['label']} finishes fastest ({_fmt_s(fastest['duration'])} vs "
                                 f"{_fmt_s(best['duration'])}) at a writer p99 of {_fmt_ms(fastest['p99'])} "
                                 f"and a longest stall of {_fmt_ms(fastest['stall'])}")
            else:
                tradeoffs.append(f"{best['label']} is also the fastest safe backup ({_fmt_s(best['duration'])})")
            if smallest is not best and best["wal_mb"] > smallest["wal_mb"] * 1.2 + 0.1:
                tradeoffs.append(f"{best['label']} lets the WAL grow to {best['wal_mb']:.1f} MB during the backup "
                                 f"({smallest['label']}: {smallest['wal_mb']:.1f} MB)")
            elif best["wal_mb"] > 0:
                tradeoffs.append(f"WAL peak during the backup {best['wal_mb']:.1f} MB, no more than the others")
        out.append({"mode": mode, "candidates": cands, "excluded": excluded, "tradeoffs": tradeoffs})
    return out

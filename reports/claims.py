"""The seed article's claims, each quoted in full and judged from results.json
figures only (per-backup figures and summary rows). Writer-flow judgements use
the backups of steady trials only; verdict counts use every snapshot of the
trials that ran (not skipped, not failed in the harness), one per backup. A run
with several filesystems or SQLite builds is judged per journal mode and per
place (filesystem x build). Every judgement carries the figures it rests on."""
import figures as F

ARTICLE = "SQLite Backup: Safely Closing Connections & Handling Open Handles"

SUPPORTED, CONTRADICTED, PARTLY = "supported", "contradicted", "partly supported"
DEPENDS, NOT_OBSERVED, NO_DATA, NOT_TESTED = ("depends on the journal mode", "not observed", "not enough data",
                                              "not tested")


# --- which trials say something about a strategy
def _labels(results, strategy, variants):
    """The labels of a strategy the claim is about: with variants=False only those
    run with the registry's default parameters (the recipe the article means)."""
    labs = [lab for lab in results.labels if any(t.strategy == strategy for t in results.trials_of(label=lab))]
    if variants:
        return labs
    defaults = {p["name"]: p.get("default") for p in results.strategy_info(strategy).get("params", [])}
    plain = [lab for lab in labs if all(t.get("params", {}).get(k, d) == d or d is None
                                        for t in results.trials_of(label=lab) for k, d in defaults.items())]
    return plain or labs


def _places(results):
    """[(filesystem, sqlite, words)]: where the run's trials ran; words are "" when
    the run has only one place."""
    several = results.varies("filesystem") or results.varies("sqlite")
    out = []
    for t in results.trials:
        p = (t.filesystem, t.sqlite, f", {t.filesystem}, SQLite {t.sqlite_version}" if several else "")
        if p not in out:
            out.append(p)
    return out


def _cells(results, strategy, variants=False):
    """[(title, mode, trials that ran)] per mode (and label when there are several,
    and place when the run has several). A trial that failed in the harness says
    nothing about the strategy, and one with an injected fault (the `faults` preset)
    tests the fault, not the article's claim: both are left out here and counted
    by _excluded_note."""
    labs = _labels(results, strategy, variants)
    out = []
    for mode in results.modes:
        for fs, sqlite, where in _places(results):
            for lab in labs:
                ran = [t for t in results.trials_of(mode, lab, filesystem=fs, sqlite=sqlite, fault="none")
                       if not t.skipped and t.harness_error is None]
                if ran:
                    out.append((f"{mode} mode{where}" + (f", {lab}" if len(labs) > 1 else ""), mode, ran))
    return out


def _backups(trials):
    """Every backup of these trials (one snapshot each)."""
    return [b for t in trials for b in t.backups]


def _excluded_note(trials, writer_figures=True):
    """How many trials of this cell were left out, and why (trials are those that
    ran); unsteady ones only count against writer figures."""
    parts = []
    unsteady = sum(1 for t in trials if not t.steady)
    if unsteady and writer_figures:
        parts.append(f"{F.count(unsteady, 'unsteady trial')} left out of writer figures")
    if trials:
        place = trials[0].results.trials_of(trials[0].mode, trials[0].label, filesystem=trials[0].filesystem,
                                             sqlite=trials[0].sqlite)
        harness = [t for t in place if t.harness_error is not None and t.fault == "none"]
        if harness:
            parts.append(f"{F.count(len(harness), 'trial')} that failed in the harness left out")
        faulted = [t for t in place if t.fault != "none" and not t.skipped]
        if faulted:
            parts.append(f"{F.count(len(faulted), 'trial')} with an injected fault left out")
    return f" ({'; '.join(parts)})" if parts else ""


# --- did writers keep committing during a backup?
def _flow(trials):
    """(kind, plain-words evidence) over the backups of the steady trials. Pooled
    over them: of the commits due during the backups (scheduled in an impact
    window), how many were delayed beyond the baseline's p99 (or its maximum when
    p99 is withheld). Most delayed: writers were blocked; hardly any: they kept
    committing; fewer than 3 due: too short to tell."""
    steady = [t for t in trials if t.impact_counts]
    backups = _backups(steady)
    due = sum(b.during["n"] for b in backups)
    delayed = sum(b.get("writers/delayed_commits", 0) for b in backups)
    stalls = [b.stall_ms for b in backups if b.stall_ms is not None]
    floors = [t.floor_ms for t in steady if t.floor_ms]
    lengths = [b.get("backup/duration_s") for b in backups if b.get("backup/duration_s") is not None]
    if not steady:
        return "unclear", "no steady trial" + _excluded_note(trials)
    if due < 3:
        kind = "unclear"
    else:
        frac = delayed / due
        kind = "blocked" if frac >= 0.5 else "proceeds" if frac <= 0.2 else "slowed"
    words = {"blocked": "Writers were held up", "proceeds": "Writers kept committing",
             "slowed": "Writers were partly held up"}
    of = F.count(len(steady), "steady trial") + (f", {len(backups)} backups" if len(backups) > len(steady) else "")
    if kind == "unclear":
        head = f"Too few commits were due to tell: {due} during the backups of {of}; "
    else:
        head = (f"{words[kind]}: of {due} commits due during the backups ({of}), "
                f"{delayed} {'was' if delayed == 1 else 'were'} delayed beyond the baseline's p99; ")
    txt = (f"{head}one writer waited at most {F.ms(max(stalls) if stalls else None)} beyond its schedule's gap of "
           f"{F.ms(max(floors) if floors else None)}; longest backup {F.secs(max(lengths) if lengths else None)}")
    return kind, txt + _excluded_note(trials)


def _flow_status(kind, blocked_supports):
    if kind == "unclear":
        return NO_DATA
    if kind == "slowed":
        return PARTLY
    return SUPPORTED if (kind == "blocked") == blocked_supports else CONTRADICTED


def _readers(trials):
    """Whether readers were held off during the backups: (True/False/None, text)."""
    backups = _backups(t for t in trials if t.impact_counts and t.raw.get("reader_count"))
    due = sum(b.get("readers/during/n", 0) for b in backups)
    done = sum(b.get("readers/during/queries", 0) for b in backups)
    if due == 0:
        return None, "no reader query was due during these backups"
    return done == 0, f"readers completed {done} of {due} queries due during the backups"


def _combine(per_mode):
    """One verdict from the per-mode ones; modes without an answer (or, for a
    risk claim, where the risk was not observed) do not outvote the others."""
    vals = [v for v in per_mode if v not in (NO_DATA, NOT_TESTED, NOT_OBSERVED)] or \
        [v for v in per_mode if v == NOT_OBSERVED]
    if not vals:
        return per_mode[0] if per_mode else NOT_TESTED
    if all(v == vals[0] for v in vals):
        return vals[0]
    if set(vals) <= {SUPPORTED, PARTLY} or set(vals) <= {CONTRADICTED, PARTLY}:
        return PARTLY if len(set(vals)) > 1 else vals[0]
    return DEPENDS


def _verdicts(trials):
    """{verdict: count} over the trials' snapshots (one per backup)."""
    c = {}
    for b in _backups(trials):
        c[b.verdict] = c.get(b.verdict, 0) + 1
    return c


def _which(b):
    """A backup in words: "repetition 1" (or "repetition 1, backup 3" on a schedule)."""
    return f"repetition {b.trial.repetition}" + (f", backup {b.index + 1}" if len(b.trial.backups) > 1 else "")


# --- the claims
def flow_claim(strategy, blocked_supports, readers_too=False):
    def judge(results):
        per, ev = [], []
        for title, _, ts in _cells(results, strategy):
            kind, txt = _flow(ts)
            st = _flow_status(kind, blocked_supports)
            if readers_too:
                rb, rtxt = _readers(ts)
                txt += f"; {rtxt}"
                if st == SUPPORTED and rb is not True:
                    st = PARTLY
                    txt += (" (readers kept reading, so only the writers' part holds)" if rb is False else
                            " (so only the writers' part could be tested)")
            per.append(st)
            ev.append(f"{title}: {st}. {txt}.")
        return _combine(per), ev
    return judge


def snapshot_claim(strategy, wrong_supports, also_size=False, variants=False):
    """Judged from verdicts: wrong_supports=True for a risk claim (a wrong snapshot
    supports it), False for a safety claim (every snapshot OK supports it)."""
    def judge(results):
        per, ev = [], []
        for title, _, ts in _cells(results, strategy, variants):
            c = _verdicts(ts)
            wrong = results.wrong(c)
            torn = sum(c.get(k, 0) for k in ("CORRUPT", "INCONSISTENT"))
            failed = c.get("FAILED", 0)
            if wrong_supports:
                st = SUPPORTED if torn else PARTLY if wrong else NOT_OBSERVED
            else:
                st = CONTRADICTED if wrong else PARTLY if failed else SUPPORTED
            bs = _backups(ts)
            txt = f"{title}: {st}. Verdicts {F.verdict_counts(c)} over {F.count(len(ts), 'trial')}"
            txt += f" ({len(bs)} snapshots)" if len(bs) > len(ts) else ""
            txt += _excluded_note(ts, writer_figures=False)
            detail = next((b.get("verdict/detail") for b in bs if b.verdict in results.wrong_verdicts and b.get("verdict/detail")),
                          None)
            if detail:
                txt += f"; for example: {detail}"
            if wrong_supports and wrong and not torn:
                txt += "; the copies lost committed transactions (STALE) but none was torn or corrupt"
            if st == NOT_OBSERVED:
                txt += "; no wrong snapshot in this run (a finite run cannot show the risk is zero)"
            if failed:
                reasons = sorted({b.get("backup/error") or "no reason given" for b in bs if b.verdict == "FAILED"})
                txt += f"; {failed} backup(s) failed: {'; '.join(reasons)}"
            if also_size:
                # A snapshot against its source's size at the start and the end of its trial.
                source = lambda b: max(b.trial.get("db_bytes", 0), b.trial.get("db_bytes_end", 0))  # noqa: E731
                done = [b for b in bs if b.status == "completed"]
                big = [b for b in done if b.get("backup/bytes", 0) > source(b)]
                sizes = [(b.get("backup/bytes", 0), source(b)) for b in done]
                if sizes:
                    txt += (f"; snapshot {F.mb(sizes[0][0])} from a {F.mb(sizes[0][1])} database "
                            f"({len(big)} of {len(done)} snapshots larger than their source)")
                if big and st == SUPPORTED:
                    st = PARTLY
                    txt = txt.replace(f": {SUPPORTED}.", f": {PARTLY}.", 1)
            per.append(st)
            ev.append(txt + ".")
        return _combine(per), ev
    return judge


def graceful_claim(strategy):
    """Every backup finished and every snapshot OK, per journal mode."""
    def judge(results):
        per, ev = [], []
        for title, _, ts in _cells(results, strategy):
            c = _verdicts(ts)
            bs = _backups(ts)
            unfinished = [b for b in bs if b.status in ("failed", "timeout")]
            wrong = results.wrong(c)
            st = CONTRADICTED if wrong else PARTLY if unfinished else SUPPORTED
            restarts = [b.get("backup/restarts", 0) for b in bs if b.status == "completed"]
            txt = (f"{title}: {st}. {len(bs) - len(unfinished)} of {len(bs)} backups finished; verdicts "
                   f"{F.verdict_counts(c)}; restarts per backup up to {max(restarts) if restarts else 'n/a'}")
            for b in unfinished:
                txt += f"; {_which(b)} {b.status}: {b.get('backup/error') or 'no reason given'}"
            per.append(st)
            ev.append(txt + ".")
        return _combine(per), ev
    return judge


def efficiency_claim(results):
    """exclusive-copy vs online backup time on the largest database (summary rows
    of the same journal mode, filesystem and SQLite build)."""
    largest = max((r.db_mb for r in results.rows if r.fault == "none"), default=0)
    per, ev = [], []
    ex_labels, on_labels = _labels(results, "exclusive-copy", False), _labels(results, "online", False)
    for mode in results.modes:
        for fs, sqlite, where in _places(results):
            dims = {"filesystem": fs, "sqlite": sqlite, "db_mb": largest, "fault": "none"}
            ex = [r for r in results.rows_of(mode, **dims) if r.label in ex_labels[:1]]
            on = [r for r in results.rows_of(mode, **dims) if r.label in on_labels[:1]]
            if not ex or not on or ex[0].median("backup_duration_s") is None or \
                    on[0].median("backup_duration_s") is None:
                continue
            de, do = ex[0].figure("backup_duration_s"), on[0].figure("backup_duration_s")
            ratio = de["median"] / do["median"]
            st = SUPPORTED if ratio > 1.1 else CONTRADICTED if ratio < 0.9 else PARTLY
            if largest < 100:
                st = NOT_TESTED
            per.append(st)
            ev.append(f"{mode} mode{where}, {largest:g} MB: {st}. exclusive-copy took {F.spread(de, F.secs)}, "
                      f"online {F.spread(do, F.secs)} (ratio {ratio:.2f}); one writer waited at most "
                      f"{F.ms(ex[0].median('max_writer_stall_ms'))} against "
                      f"{F.ms(on[0].median('max_writer_stall_ms'))} beyond its schedule (medians).")
    if per and largest < 100:
        ev.append(f"The largest database here is {largest:g} MB, not a large one: the ratios above show the "
                  "direction at this size only (the scaling preset measures large databases).")
    return _combine(per) if per else NOT_TESTED, ev


def cli_claim(results):
    """cli-backup (the sqlite3 shell's .backup) against online: as safe (no wrong
    snapshot where online had none); failures and speed show how it drives the API."""
    per, ev = [], []
    place = lambda mode, ts: (mode, ts[0].filesystem, ts[0].sqlite)  # noqa: E731
    on = {place(mode, ts): ts for _, mode, ts in _cells(results, "online")}
    for title, mode, ts in _cells(results, "cli-backup"):
        online = on.get(place(mode, ts))
        if online is None:
            continue
        cc, co = _verdicts(ts), _verdicts(online)
        wrong_c = results.wrong(cc)
        wrong_o = results.wrong(co)
        unfinished = [b for b in _backups(ts) if b.status in ("failed", "timeout")]
        unfinished_o = [b for b in _backups(online) if b.status in ("failed", "timeout")]
        st = CONTRADICTED if wrong_c and not wrong_o else PARTLY if len(unfinished) > len(unfinished_o) \
            else SUPPORTED
        dc = [b.get("backup/duration_s") for b in _backups(ts) if b.status == "completed"]
        do = [b.get("backup/duration_s") for b in _backups(online) if b.status == "completed"]
        txt = (f"{title}: {st}. cli-backup verdicts {F.verdict_counts(cc)}, online {F.verdict_counts(co)}; "
               f"longest completed backup {F.secs(max(dc) if dc else None)} against "
               f"{F.secs(max(do) if do else None)}")
        if unfinished:
            txt += "; " + "; ".join(f"{_which(b)} {b.status}: {b.get('backup/error') or 'no reason'}"
                                    for b in unfinished)
            txt += (" (the shell copies 100 pages per step, and a commit by another connection restarts the "
                    "copy, so under steady writes it may not finish)")
        ev.append(txt + ".")
        per.append(st)
    return _combine(per) if per else NOT_TESTED, ev


CLAIMS = [
    {"method": "Online Backup API", "strategy": "online",
     "quote": "It does not require exclusive access to the database, allowing other connections to read and "
              "write during the backup process.",
     "test": "Writers keep committing while an online backup runs: hardly any commit due during it (at most 20%) "
             "is delayed beyond the baseline's p99.",
     "judge": flow_claim("online", blocked_supports=False)},
    {"method": "Online Backup API", "strategy": "online",
     "quote": "The API operates at the page level, ensuring that the backup reflects a consistent snapshot of the "
              "database, even as modifications occur.",
     "test": "Every online snapshot is OK (intact, consistent and fresh).",
     "judge": snapshot_claim("online", wrong_supports=False)},
    {"method": "Online Backup API", "strategy": "online",
     "quote": "It also handles edge cases like WAL mode databases and concurrent writes gracefully.",
     "test": "In each journal mode, under concurrent writers, every online backup finishes and is OK.",
     "judge": graceful_claim("online")},
    {"method": "VACUUM INTO", "strategy": "vacuum-into",
     "quote": "This command eliminates fragmented data, reduces file size, and ensures the backup is a "
              "transactionally consistent snapshot.",
     "test": "Every VACUUM INTO snapshot is OK and no larger than its source.",
     "judge": snapshot_claim("vacuum-into", wrong_supports=False, also_size=True)},
    {"method": "VACUUM INTO", "strategy": "vacuum-into",
     "quote": "However, it requires an exclusive lock on the database during execution, which may block other "
              "writers.",
     "test": "Writers are held up while VACUUM INTO runs: most commits due during it (at least half) are delayed "
             "beyond the baseline's p99 (what the writers experienced was measured, not which lock was taken).",
     "judge": flow_claim("vacuum-into", blocked_supports=True)},
    {"method": "Exclusive transaction and file copy", "strategy": "exclusive-copy",
     "quote": "This method ensures no other writes occur during the copy but blocks all other connections until "
              "the transaction completes.",
     "test": "Writers and readers are held up while the copy runs: most commits due during it are delayed beyond "
             "the baseline's p99, and readers complete no query.",
     "judge": flow_claim("exclusive-copy", blocked_supports=True, readers_too=True)},
    {"method": "Exclusive transaction and file copy", "strategy": "exclusive-copy",
     "quote": "It is less efficient than the Online Backup API for large databases but provides a simple "
              "fallback.",
     "test": "On the largest database measured, exclusive-copy takes more than 10% longer than online.",
     "judge": efficiency_claim},
    {"method": "Plain file copy", "strategy": "raw-copy",
     "quote": "Traditional file-copy methods (e.g., cp on Unix, CopyFile on Windows) risk capturing an "
              "inconsistent database state if any connection is actively writing to the file.",
     "test": "A plain copy taken while writers run (raw-copy, the unsafe control) gives snapshots that are not "
             "OK: torn (CORRUPT or INCONSISTENT) supports the claim fully, lost commits (STALE) partly.",
     "judge": snapshot_claim("raw-copy", wrong_supports=True, variants=True)},
    {"method": "sqlite3 .backup", "strategy": "cli-backup",
     "quote": "Tools like sqlite3 .backup command or third-party utilities (e.g., sqlitebrowser, DB Browser for "
              "SQLite) often wrap the Online Backup API.",
     "test": "The sqlite3 shell's .backup is as safe as the online backup (no wrong snapshot where online had "
             "none); backups it could not finish count against it partly.",
     "judge": cli_claim},
    {"method": "Crash-consistent snapshot", "strategy": "fs-snapshot",
     "quote": "For system-level backups, crash-consistent methods (e.g., volume shadow copy on Windows, LVM "
              "snapshots on Linux) can capture the database file in a stable state. These methods rely on the "
              "filesystem’s ability to freeze I/O momentarily, but they do not guarantee SQLite-level "
              "transactional integrity.",
     "test": "A crash-consistent image (fs-snapshot: every process holding the database frozen while its files "
             "are copied; btrfs-snapshot: a real volume snapshot), opened with SQLite's recovery, is not OK.",
     "judge": None},
]


def _crash_consistent(results):
    per, ev = [], []
    for strategy in ("fs-snapshot", "btrfs-snapshot"):
        st, e = snapshot_claim(strategy, wrong_supports=True)(results)
        if e:
            per.append(st)
            ev += [f"{strategy}, {x}" for x in e]
    return _combine(per) if per else NOT_TESTED, ev


CLAIMS[-1]["judge"] = _crash_consistent


def judge_claims(results):
    """[{method, quote, test, status, evidence[]}] in the article's order."""
    out = []
    for c in CLAIMS:
        status, evidence = c["judge"](results)
        if not evidence:
            ran = [t for t in results.trials if t.strategy == c["strategy"] and not t.skipped]
            status = NOT_TESTED
            evidence = ([f"No trials of {c['strategy']} ran in this run."] if not ran else
                        [f"Every trial of {c['strategy']} in this run had an injected fault; the claim is judged "
                         "on trials without one."] if all(t.fault != "none" for t in ran) else
                        ["Trials of this strategy ran, but none could answer this."])
        out.append({"method": c["method"], "quote": c["quote"], "test": c["test"], "status": status,
                    "evidence": evidence, "strategy": c["strategy"]})
    return out

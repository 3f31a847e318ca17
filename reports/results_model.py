"""The results model: one results.json loaded, checked and wrapped in one place
(trials with their backups, summary rows, capacity probes, SQLite builds, the
strategy registry, the run's context). Everything the report shows is read from
here, and so are the names and rules `run` wrote into the file (results/schema.h):
a trial's summary row (`row`), whether it counts for writer figures
(`impact_counts`), a row's `key` and `name`, which verdicts are wrong snapshots
(`verdicts`), whether a strategy's writer impact is representative. Nothing is
re-derived except which samples of a series.json a chart draws, chosen by the
membership rule of docs/measuring-impact.md."""
import json
import os
import stat


class BadInput(Exception):
    """Input the report cannot use; its text is the one line shown to the user."""


SCHEMA = "backup-bench/2"  # results/schema.h kResultsSchema


NUMBER = "number"
TEXT = "text"
FLAG = "true/false"
LIST = "list"
OBJECT = "object"
OPTIONAL = "optional"

# The fields every trial must have, with their types (a `?` suffix: may be null).
# A trial's top-level backup, windows, writers.during and verdict are its first
# backup's; `backups[]` has one record per backup (several on a schedule).
BACKUP_FIELDS = {
    "index": NUMBER, "backup": OBJECT, "backup/status": TEXT, "backup/duration_s": NUMBER + "?",
    "backup/error": TEXT + "?", "backup/start_s": NUMBER, "backup/end_s": NUMBER,
    "backup/time_limit_s": NUMBER + "?",
    "writers": OBJECT, "writers/during": OBJECT, "writers/during/n": NUMBER,
    "writers/during/p99_ms": NUMBER + "?", "writers/during/max_ms": NUMBER + "?",
    "writers/max_writer_gap_ms": NUMBER + "?", "writers/max_writer_stall_ms": NUMBER + "?",
    "writers/delayed_commits": NUMBER + "?", "writers/writer_gaps": LIST,
    "verdict": OBJECT, "verdict/status": TEXT, "verdict/detail": TEXT + "?",
    "wal_peak_bytes": NUMBER + "?",
}
TRIAL_FIELDS = {
    "mode": TEXT, "strategy": TEXT, "label": TEXT, "repetition": NUMBER, "db_mb": NUMBER,
    "writer_count": NUMBER, "filesystem": TEXT, "sqlite": TEXT, "sqlite_build": OBJECT + "?",
    "expected_safe": FLAG, "harness_error": TEXT + "?",
    "backup": OBJECT, "backup/status": TEXT, "backup/duration_s": NUMBER + "?", "backup/error": TEXT + "?",
    "backup/time_limit_s": NUMBER + "?",
    "verdict": OBJECT, "verdict/status": TEXT, "verdict/detail": TEXT + "?",
    "load": OBJECT, "load/steady": FLAG, "load/reason": TEXT + "?",
    "writers": OBJECT, "writers/baseline": OBJECT, "writers/during": OBJECT,
    "writers/during/n": NUMBER, "writers/during/commits": NUMBER,
    "writers/max_writer_gap_ms": NUMBER + "?", "writers/max_writer_stall_ms": NUMBER + "?",
    "writers/writer_gaps": LIST,
    "readers": OBJECT, "windows": OBJECT, "series": TEXT + "?", "backups": LIST,
    "row": TEXT, "impact_counts": FLAG, "axes": OBJECT, "axes/fault": TEXT,
}
ROW_FIELDS = {
    "key": TEXT, "name": TEXT, "name_parts": LIST, "fault": TEXT,
    "mode": TEXT, "label": TEXT, "strategy": TEXT, "db_mb": NUMBER, "writer_count": NUMBER,
    "filesystem": TEXT, "sqlite": TEXT, "sqlite_version": TEXT + "?", "backups": NUMBER,
    "expected_safe": FLAG, "trials": NUMBER, "steady": NUMBER, "unsteady": NUMBER, "skipped": NUMBER,
    "harness_errors": NUMBER, "unsteady_reasons": LIST, "verdicts": OBJECT, "backup_statuses": OBJECT,
    "failures": LIST, "figures": OBJECT, "writers_baseline": OBJECT, "writers_during": OBJECT,
    "readers_baseline": OBJECT, "readers_during": OBJECT,
}
PERCENTILE_FIELDS = {"n": NUMBER, "p99_ms": NUMBER + "?", "max_ms": NUMBER + "?"}
FIGURE_FIELDS = {"median": NUMBER + "?", "min": NUMBER + "?", "max": NUMBER + "?", "n": NUMBER}


def _type_ok(v, kind):
    if kind.endswith("?"):
        if v is None:
            return True
        kind = kind[:-1]
    if kind == NUMBER:
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    return isinstance(v, {TEXT: str, FLAG: bool, LIST: list, OBJECT: dict}[kind])


def _lookup(obj, path):
    for k in path.split("/"):
        if not isinstance(obj, dict) or k not in obj:
            return False, None
        obj = obj[k]
    return True, obj


def check_fields(obj, fields, where):
    """Raises BadInput naming the first missing or mistyped field."""
    if not isinstance(obj, dict):
        raise BadInput(f"{where} is not an object")
    for path, kind in fields.items():
        found, v = _lookup(obj, path)
        if not found:
            raise BadInput(f"{where} has no '{path.replace('/', '.')}'")
        if not _type_ok(v, kind):
            raise BadInput(f"{where}.{path.replace('/', '.')} should be {kind.rstrip('?')}, "
                           f"not {type(v).__name__} {json.dumps(v)[:40]}")


def read_json_file(path, what):
    """A regular file's JSON, or BadInput (never blocks on a FIFO or a device)."""
    try:
        st = os.stat(path)
    except OSError as e:
        raise BadInput(f"cannot read {path}: {e.strerror}")
    if stat.S_ISDIR(st.st_mode):
        raise BadInput(f"{path} is a folder, not {what}")
    if not stat.S_ISREG(st.st_mode):
        raise BadInput(f"{path} is not a regular file (a FIFO or device?), not {what}")
    try:
        with open(path, "rb") as f:
            text = f.read()
    except OSError as e:
        raise BadInput(f"cannot read {path}: {e.strerror}")
    if not text.strip():
        raise BadInput(f"{path} is empty, not {what}")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as e:
        msg = str(e).split(":")[0] if isinstance(e, ValueError) else "nested too deeply"
        where = f" at line {e.lineno} column {e.colno}" if isinstance(e, json.JSONDecodeError) else ""
        raise BadInput(f"{path} is not valid JSON ({msg}{where}): truncated or not {what}")



def _counts(statuses):
    out = {}
    for s in statuses:
        out[s] = out.get(s, 0) + 1
    return out


class Backup:
    """One backup of a trial (`backups[]`): its status, duration, windows, the
    writers during it, its WAL peak and its snapshot's verdict."""

    def __init__(self, raw, trial):
        self.raw = raw
        self.trial = trial

    def get(self, path, default=None):
        found, v = _lookup(self.raw, path)
        return v if found and v is not None else default

    index = property(lambda self: self.raw["index"])
    status = property(lambda self: self.raw["backup"]["status"])
    verdict = property(lambda self: self.raw["verdict"]["status"])
    start_s = property(lambda self: self.raw["backup"]["start_s"])
    end_s = property(lambda self: self.raw["backup"]["end_s"])
    duration_s = property(lambda self: self.raw["backup"]["duration_s"])
    during = property(lambda self: self.raw["writers"]["during"])
    stall_ms = property(lambda self: self.raw["writers"]["max_writer_stall_ms"])


class Trial:
    """One trial of results.json (a dict underneath: `t.raw`). Its top-level
    backup/verdict/writers are its first backup's; `backups` has them all."""

    def __init__(self, raw, results):
        self.raw = raw
        self.results = results
        self.backups = [Backup(b, self) for b in raw["backups"]]

    def get(self, path, default=None):
        found, v = _lookup(self.raw, path)
        return v if found and v is not None else default

    mode = property(lambda self: self.raw["mode"])
    label = property(lambda self: self.raw["label"])
    strategy = property(lambda self: self.raw["strategy"])
    repetition = property(lambda self: self.raw["repetition"])
    db_mb = property(lambda self: self.raw["db_mb"])
    writer_count = property(lambda self: self.raw["writer_count"])
    filesystem = property(lambda self: self.raw["filesystem"])
    sqlite = property(lambda self: self.raw["sqlite"])
    expected_safe = property(lambda self: self.raw["expected_safe"])
    status = property(lambda self: self.raw["backup"]["status"])
    verdict = property(lambda self: self.raw["verdict"]["status"])
    harness_error = property(lambda self: self.raw["harness_error"])

    key = property(lambda self: self.raw["row"])  # its summary row's key
    fault = property(lambda self: self.raw["axes"]["fault"])  # the injected fault's kind, or "none"

    @property
    def sqlite_version(self):
        """The version of the build the trial ran with (its `sqlite_build`)."""
        return self.get("sqlite_build/version") or (self.results.sqlite_version if self.sqlite == "system"
                                                    else self.sqlite)

    @property
    def verdicts(self):
        """{verdict: count}, one per snapshot (per backup)."""
        return _counts(b.verdict for b in self.backups)

    @property
    def skipped(self):
        return self.status == "skipped"

    @property
    def steady(self):
        return bool(self.raw["load"]["steady"])

    @property
    def impact_counts(self):
        """Its writer figures describe a backup (results.json's `impact_counts`:
        ran in the harness, not skipped, no fault injected, steady load)."""
        return self.raw["impact_counts"]

    @property
    def floor_ms(self):
        """The gap a writer's own schedule allows (one period), or None (closed loop)."""
        floors = [g.get("floor_ms") for g in self.raw["writers"]["writer_gaps"] if g.get("floor_ms")]
        return max(floors) if floors else None

    def series(self):
        return self.results.series(self)


class Row:
    """One summary row of results.json: mode x label x size x writers x
    filesystem x SQLite build (results/summary.cpp)."""

    def __init__(self, raw, results):
        self.raw = raw
        self.results = results

    mode = property(lambda self: self.raw["mode"])
    label = property(lambda self: self.raw["label"])
    strategy = property(lambda self: self.raw["strategy"])
    db_mb = property(lambda self: self.raw["db_mb"])
    writer_count = property(lambda self: self.raw["writer_count"])
    filesystem = property(lambda self: self.raw["filesystem"])
    sqlite = property(lambda self: self.raw["sqlite"])
    expected_safe = property(lambda self: self.raw["expected_safe"])

    fault = property(lambda self: self.raw["fault"])
    key = property(lambda self: self.raw["key"])

    @property
    def sqlite_version(self):
        return self.raw["sqlite_version"] or (self.results.sqlite_version if self.sqlite == "system"
                                              else self.sqlite)

    @property
    def trials(self):
        """The row's trials: those whose `row` is its key."""
        return [t for t in self.results.trials if t.key == self.key]

    @property
    def name(self):
        """The row's name as `run` prints it (results.json's `name`: the label,
        "+fault", then the size, writer count, filesystem and SQLite version
        where the run has several)."""
        return self.raw["name"]

    @property
    def variant(self):
        """The name without the label ("btrfs sqlite-3.50.4", "+kill-writer"), or ""."""
        return self.results.row_name(self, without=("label",)).strip()

    def figure(self, name):
        """{median, min, max, n} of a summary figure (n = 0 when it does not exist)."""
        return self.raw["figures"].get(name) or {"median": None, "min": None, "max": None, "n": 0}

    def median(self, name):
        return self.figure(name)["median"]

    @property
    def floor_ms(self):
        """One period of the median per-writer rate (the same rule as `run`'s table)."""
        rate = self.median("rate")
        return 1000.0 / rate if rate else None

    @property
    def counted(self):
        """Trials that ran (not skipped)."""
        return self.raw["trials"] - self.raw["skipped"]

    @property
    def ran(self):
        return self.counted - self.raw["harness_errors"]

    @property
    def all_skipped(self):
        return self.raw["skipped"] == self.raw["trials"]

    def count(self, key, what):
        return int(self.raw[key].get(what, 0))


class Series:
    """A trial's series.json: per-operation samples in µs since the trial's start,
    and its windows (`baseline`; `impacts` and `snapshots`, one per backup)."""

    def __init__(self, raw):
        self.commits = raw["commits"]     # [t_us, response_us, service_us, worker]
        self.queries = raw.get("queries", [])
        self.sizes = raw.get("sizes", [])  # [t_us, wal_bytes, db_bytes]
        w = raw["windows_us"]
        self.baseline = tuple(w["baseline"])
        self.impacts = [tuple(x) for x in w["impacts"]]
        self.snapshots = [tuple(x) for x in w.get("snapshots", [])]

    def impact(self, i=0):
        return self.impacts[i] if i < len(self.impacts) else None

    def snapshot(self, i=0):
        return self.snapshots[i] if i < len(self.snapshots) else None

    @staticmethod
    def _in(op, w):
        """The membership rule of docs/measuring-impact.md (results/metrics.h member()):
        an operation belongs to the window in which it was scheduled (its intended
        start, end - response, in [begin, end))."""
        return w[0] <= op[0] - op[1] < w[1]

    def members(self, window, ops=None):
        """Operations scheduled in `window`: "baseline", "impacts" (during any backup,
        as results.json's summary pools them) or a backup's index."""
        ops = self.commits if ops is None else ops
        if window == "baseline":
            ws = [self.baseline]
        elif window == "impacts":
            ws = self.impacts
        else:
            ws = [self.impact(window)] if self.impact(window) else []
        return [c for c in ops if any(self._in(c, w) for w in ws)]


def _window_ok(w):
    return isinstance(w, list) and len(w) == 2 and all(_type_ok(x, NUMBER) for x in w)


def _series_ok(raw):
    if not isinstance(raw, dict) or not isinstance(raw.get("commits"), list) \
            or not isinstance(raw.get("windows_us"), dict):
        return False
    for key in ("commits", "queries", "sizes"):
        ops = raw.get(key, [])
        if not isinstance(ops, list):
            return False
        for c in ops:
            width = 3 if key == "sizes" else 4
            if not (isinstance(c, list) and len(c) >= width and all(_type_ok(x, NUMBER) for x in c[:width])):
                return False
    w = raw["windows_us"]
    return _window_ok(w.get("baseline")) and isinstance(w.get("impacts"), list) and bool(w["impacts"]) \
        and all(_window_ok(x) for x in w["impacts"]) and isinstance(w.get("snapshots", []), list) \
        and all(_window_ok(x) for x in w.get("snapshots", []))


class Results:
    """A checked results.json. Raises BadInput on anything the report cannot use."""

    def __init__(self, path):
        if os.path.isdir(path):
            folder = path
            path = os.path.join(path, "results.json")
            if not os.path.lexists(path):
                raise BadInput(f"{folder} holds no results.json (not a run folder)")
        self.path = os.path.abspath(path)
        self.dir = os.path.dirname(self.path)
        raw = read_json_file(self.path, "a backup-bench results file")
        if not isinstance(raw, dict) or "trials" not in raw:
            raise BadInput(f"{self.path} is not a backup-bench results file (no 'trials')")
        if raw.get("schema") != SCHEMA:
            raise BadInput(f"{self.path} is a {raw.get('schema')} results file, not {SCHEMA}: give its run folder to "
                           "`backup-bench report`, which reads backup-bench/1, or run the scenario again with this "
                           "version")
        self.raw = raw
        check_fields(raw, {"trials": LIST, "summary": LIST, "strategies": LIST, "scenario": OBJECT,
                           "sqlite_version": TEXT, "verdicts": LIST}, "results.json")
        for i, v in enumerate(raw["verdicts"]):
            check_fields(v, {"status": TEXT, "wrong_snapshot": FLAG, "snapshot": FLAG}, f"results.json verdicts[{i}]")
        if not raw["trials"]:
            raise BadInput(f"{self.path} holds no trials (an interrupted run?): nothing to report")
        for i, t in enumerate(raw["trials"]):
            if isinstance(t, dict) and "backups" not in t and "backup" in t:
                raise BadInput(f"{self.path} was written by an older backup-bench (trials[{i}] has no "
                               "'backups'): run it again with this version")
            check_fields(t, TRIAL_FIELDS, f"results.json trials[{i}]")
            if not t["backups"]:
                raise BadInput(f"results.json trials[{i}].backups is empty")
            for k, b in enumerate(t["backups"]):
                check_fields(b, BACKUP_FIELDS, f"results.json trials[{i}].backups[{k}]")
        if not raw["summary"]:
            raise BadInput(f"{self.path} has trials but no summary rows: not written by a complete run")
        for i, r in enumerate(raw["summary"]):
            check_fields(r, ROW_FIELDS, f"results.json summary[{i}]")
            for w in ("writers_baseline", "writers_during", "readers_baseline", "readers_during"):
                check_fields(r[w], PERCENTILE_FIELDS, f"results.json summary[{i}].{w}")
            for name, f in r["figures"].items():
                check_fields(f, FIGURE_FIELDS, f"results.json summary[{i}].figures.{name}")
        for i, s in enumerate(raw["strategies"]):
            check_fields(s, {"name": TEXT, "description": TEXT, "impact_representative": FLAG},
                         f"results.json strategies[{i}]")
        for i, p in enumerate(raw.get("probes") or []):
            check_fields(p, {"mode": TEXT, "capacity_tx_s": NUMBER, "writer_rate": NUMBER},
                         f"results.json probes[{i}]")
        self.trials = [Trial(t, self) for t in raw["trials"]]
        self.rows = [Row(r, self) for r in raw["summary"]]
        self.strategies = {s["name"]: s for s in raw["strategies"]}  # in the registry's order
        self.probes = raw.get("probes") or []
        # The verdicts that are wrong snapshots (CORRUPT, INCONSISTENT, STALE), from the file's table.
        self.wrong_verdicts = tuple(v["status"] for v in raw["verdicts"] if v["wrong_snapshot"])
        self._series = {}
        self._varies = {}

    # --- context
    sqlite_version = property(lambda self: self.raw["sqlite_version"])
    scenario = property(lambda self: self.raw["scenario"])
    host = property(lambda self: self.raw.get("host") or {})

    def context(self, key, default="?"):
        v = self.raw.get(key)
        return default if v in (None, "") else v

    @property
    def partial(self):
        """Whether the run had not finished when results.json was written."""
        return bool(self.raw.get("partial"))

    # --- the run's dimensions, in the order the run had them
    @staticmethod
    def _ordered(values):
        out = []
        for v in values:
            if v not in out:
                out.append(v)
        return out

    @property
    def modes(self):
        return self._ordered(t.mode for t in self.trials)

    @property
    def labels(self):
        """Labels in the strategy registry's order (variants after their strategy)."""
        order = list(self.strategies)
        labs = self._ordered(t.label for t in self.trials)
        strategy_of = {t.label: t.strategy for t in self.trials}
        return sorted(labs, key=lambda lab: (order.index(strategy_of[lab]) if strategy_of[lab] in order
                                             else len(order), labs.index(lab)))

    def axis(self, name):
        """Distinct values of a trial dimension (db_mb, filesystem, sqlite, sqlite_version)."""
        return self._ordered(getattr(t, name) for t in self.trials)

    def varies(self, key):
        """Whether the summary rows differ in `key` (db_mb, writer_count, filesystem, sqlite)."""
        if key not in self._varies:
            self._varies[key] = len({r.raw[key] for r in self.rows}) > 1
        return self._varies[key]

    def row_name(self, row, without=()):
        """The row's name (results.json's `name_parts` joined); `without` leaves
        out dimensions a chart shows otherwise (e.g. "db_mb" on a size axis)."""
        return "".join(text for dim, text in row.raw["name_parts"] if dim not in without)

    def wrong(self, counts):
        """How many of {verdict: count} are wrong snapshots."""
        return sum(int(n) for k, n in counts.items() if k in self.wrong_verdicts)

    def trials_of(self, mode=None, label=None, **dims):
        return [t for t in self.trials if (mode is None or t.mode == mode) and (label is None or t.label == label)
                and all(getattr(t, k) == v for k, v in dims.items())]

    def rows_of(self, mode=None, label=None, **dims):
        return [r for r in self.rows if (mode is None or r.mode == mode) and (label is None or r.label == label)
                and all(getattr(r, k) == v for k, v in dims.items())]

    def strategy_info(self, name):
        return self.strategies.get(name, {"name": name, "description": "", "safety_note": ""})

    def impact_representative(self, strategy):
        """Whether a strategy's writer impact is that of a real backup (the
        registry's `impact_representative`; fs-snapshot's is a freeze's)."""
        return bool(self.strategy_info(strategy).get("impact_representative", True))

    # --- series
    def series_path(self, trial):
        """The recorded path, else the same path relative to the results folder
        (fixtures and moved run folders), else its tail below that folder."""
        p = trial.raw.get("series")
        if not p:
            return None
        if os.path.isabs(p):
            if os.path.isfile(p):
                return p
            parts = p.strip("/").split("/")
            for i in range(1, len(parts)):
                q = os.path.join(self.dir, *parts[i:])
                if os.path.isfile(q):
                    return q
            return None
        q = os.path.join(self.dir, p)
        return q if os.path.isfile(q) else None

    def series(self, trial):
        """The trial's Series, or None when it is missing or unreadable."""
        p = self.series_path(trial)
        if p is None:
            return None
        if p not in self._series:
            try:
                raw = read_json_file(p, "a series file")
                self._series[p] = Series(raw) if _series_ok(raw) else None
            except BadInput:
                self._series[p] = None
        return self._series[p]


def load(path):
    """A run folder or a results.json file -> Results (or BadInput)."""
    if not os.path.lexists(path):
        raise BadInput(f"{path} does not exist")
    return Results(path)

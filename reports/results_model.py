"""The results model: one results.json loaded, checked and wrapped in one place
(trials, summary rows, capacity probes, the strategy registry, the run's
context). Everything the report shows is read from here; nothing is re-derived
except sample membership for the charts, by the rule of docs/measuring-impact.md."""
import json
import os
import stat


class BadInput(Exception):
    """Input the report cannot use; its text is the one line shown to the user."""


NUMBER = "number"
TEXT = "text"
FLAG = "true/false"
LIST = "list"
OBJECT = "object"
OPTIONAL = "optional"

# The fields every trial must have, with their types (a `?` suffix: may be null).
TRIAL_FIELDS = {
    "mode": TEXT, "strategy": TEXT, "label": TEXT, "repetition": NUMBER, "db_mb": NUMBER,
    "writer_count": NUMBER, "expected_safe": FLAG, "harness_error": TEXT + "?",
    "backup": OBJECT, "backup/status": TEXT, "backup/duration_s": NUMBER + "?", "backup/error": TEXT + "?",
    "backup/time_limit_s": NUMBER + "?",
    "verdict": OBJECT, "verdict/status": TEXT, "verdict/detail": TEXT + "?",
    "load": OBJECT, "load/steady": FLAG, "load/reason": TEXT + "?",
    "writers": OBJECT, "writers/baseline": OBJECT, "writers/during": OBJECT,
    "writers/during/n": NUMBER, "writers/during/commits": NUMBER,
    "writers/max_writer_gap_ms": NUMBER + "?", "writers/writer_gaps": LIST,
    "readers": OBJECT, "windows": OBJECT, "series": TEXT + "?",
}
ROW_FIELDS = {
    "mode": TEXT, "label": TEXT, "strategy": TEXT, "db_mb": NUMBER, "writer_count": NUMBER,
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


class Trial:
    """One trial of results.json (a dict underneath: `t.raw`)."""

    def __init__(self, raw, results):
        self.raw = raw
        self.results = results

    def get(self, path, default=None):
        found, v = _lookup(self.raw, path)
        return v if found and v is not None else default

    mode = property(lambda self: self.raw["mode"])
    label = property(lambda self: self.raw["label"])
    strategy = property(lambda self: self.raw["strategy"])
    repetition = property(lambda self: self.raw["repetition"])
    db_mb = property(lambda self: self.raw["db_mb"])
    writer_count = property(lambda self: self.raw["writer_count"])
    expected_safe = property(lambda self: self.raw["expected_safe"])
    status = property(lambda self: self.raw["backup"]["status"])
    verdict = property(lambda self: self.raw["verdict"]["status"])
    harness_error = property(lambda self: self.raw["harness_error"])

    @property
    def skipped(self):
        return self.status == "skipped"

    @property
    def steady(self):
        return bool(self.raw["load"]["steady"])

    @property
    def impact_counts(self):
        """Its writer figures describe a backup (results.json's own rule:
        ran in the harness, not skipped, steady load)."""
        return self.harness_error is None and not self.skipped and self.steady

    @property
    def filesystem(self):
        return self.raw.get("filesystem") or self.results.host.get("filesystem") or "?"

    @property
    def sqlite_version(self):
        return self.raw.get("sqlite_version") or self.results.sqlite_version

    @property
    def floor_ms(self):
        """The gap a writer's own schedule allows (one period), or None (closed loop)."""
        floors = [g.get("floor_ms") for g in self.raw["writers"]["writer_gaps"] if g.get("floor_ms")]
        return max(floors) if floors else None

    def series(self):
        return self.results.series(self)


class Row:
    """One summary row (mode x label x size x writers) of results.json."""

    def __init__(self, raw):
        self.raw = raw

    mode = property(lambda self: self.raw["mode"])
    label = property(lambda self: self.raw["label"])
    strategy = property(lambda self: self.raw["strategy"])
    db_mb = property(lambda self: self.raw["db_mb"])
    writer_count = property(lambda self: self.raw["writer_count"])
    expected_safe = property(lambda self: self.raw["expected_safe"])

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

    def count(self, key, what):
        return int(self.raw[key].get(what, 0))


class Series:
    """A trial's series.json: per-operation samples in µs since the trial's start."""

    def __init__(self, raw):
        self.commits = raw["commits"]     # [t_us, response_us, service_us, worker]
        self.queries = raw.get("queries", [])
        self.sizes = raw.get("sizes", [])  # [t_us, wal_bytes, db_bytes]
        self.windows_us = raw["windows_us"]

    def window(self, name):
        w = self.windows_us.get(name)
        return (w[0], w[1]) if w else None

    def members(self, name, ops=None):
        """Operations scheduled in the window (intended start = end - response in
        [begin, end)): the membership rule of docs/measuring-impact.md."""
        w = self.window(name)
        if w is None:
            return []
        return [c for c in (self.commits if ops is None else ops) if w[0] <= c[0] - c[1] < w[1]]


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
    return all(isinstance(w, list) and len(w) == 2 and all(_type_ok(x, NUMBER) for x in w)
               for w in raw["windows_us"].values())


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
        self.raw = raw
        check_fields(raw, {"trials": LIST, "summary": LIST, "strategies": LIST, "scenario": OBJECT,
                           "sqlite_version": TEXT}, "results.json")
        if not raw["trials"]:
            raise BadInput(f"{self.path} holds no trials (an interrupted run?): nothing to report")
        for i, t in enumerate(raw["trials"]):
            check_fields(t, TRIAL_FIELDS, f"results.json trials[{i}]")
        if not raw["summary"]:
            raise BadInput(f"{self.path} has trials but no summary rows: not written by a complete run")
        for i, r in enumerate(raw["summary"]):
            check_fields(r, ROW_FIELDS, f"results.json summary[{i}]")
            for w in ("writers_baseline", "writers_during", "readers_baseline", "readers_during"):
                check_fields(r[w], PERCENTILE_FIELDS, f"results.json summary[{i}].{w}")
            for name, f in r["figures"].items():
                check_fields(f, FIGURE_FIELDS, f"results.json summary[{i}].figures.{name}")
        for i, s in enumerate(raw["strategies"]):
            check_fields(s, {"name": TEXT, "description": TEXT}, f"results.json strategies[{i}]")
        for i, p in enumerate(raw.get("probes") or []):
            check_fields(p, {"mode": TEXT, "capacity_tx_s": NUMBER, "writer_rate": NUMBER},
                         f"results.json probes[{i}]")
        self.trials = [Trial(t, self) for t in raw["trials"]]
        self.rows = [Row(r) for r in raw["summary"]]
        self.strategies = {s["name"]: s for s in raw["strategies"]}  # in the registry's order
        self.probes = raw.get("probes") or []
        self._series = {}

    # --- context
    sqlite_version = property(lambda self: self.raw["sqlite_version"])
    scenario = property(lambda self: self.raw["scenario"])
    host = property(lambda self: self.raw.get("host") or {})

    def context(self, key, default="?"):
        v = self.raw.get(key)
        return default if v in (None, "") else v

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
        """Distinct values of a trial dimension (db_mb, filesystem, sqlite_version)."""
        return self._ordered(getattr(t, name) for t in self.trials)

    def trials_of(self, mode=None, label=None, **dims):
        return [t for t in self.trials if (mode is None or t.mode == mode) and (label is None or t.label == label)
                and all(getattr(t, k) == v for k, v in dims.items())]

    def rows_of(self, mode=None, label=None):
        return [r for r in self.rows if (mode is None or r.mode == mode) and (label is None or r.label == label)]

    def strategy_info(self, name):
        return self.strategies.get(name, {"name": name, "description": "", "safety_note": ""})

    def impact_representative(self, strategy):
        """Whether a strategy's writer impact is that of a real backup. The registry
        says so (`impact_representative`, or its safety note)."""
        info = self.strategy_info(strategy)
        if "impact_representative" in info:
            return bool(info["impact_representative"])
        return "not representative" not in (info.get("safety_note") or "")

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

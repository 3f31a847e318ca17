"""How a figure reads in plain words: units, n/a, small samples ("max 6.1 ms of
5"), spreads over backups. Shared by the table, the claims and the
recommendation so one number always reads the same way."""

# The figure a backup's writer impact is judged by (summary rows' `figures`):
# the recommendation ranks by it, the continuous section compares by it.
IMPACT = "max_writer_stall_ms"


def ms(v):
    if v is None:
        return "n/a"
    if v == 0:
        return "0 ms"
    if abs(v) >= 100:
        return f"{v:.0f} ms"
    return f"{v:.1f} ms" if abs(v) >= 1 else f"{v:.2f} ms"


def secs(v):
    if v is None:
        return "n/a"
    return f"{v:.2f} s" if v >= 0.1 else f"{v * 1000:.0f} ms" if v >= 0.001 else f"{v * 1000:.1f} ms"


def mb(v_bytes):
    return "n/a" if v_bytes is None else f"{v_bytes / 1e6:.1f} MB"


def count(n, one, many=None):
    return f"{n} {one if n == 1 else (many or one + 's')}"


def percentile(p, q="p99"):
    """A window's percentile with its n: "p99 23.7 ms (n=1347)", or the maximum
    when the samples cannot support it, or "no commits due" when n = 0."""
    n = int(p.get("n") or 0)
    if n == 0:
        return "none due"
    v = p.get(f"{q}_ms")
    if v is not None:
        return f"{q} {ms(v)} (n={n})"
    return f"max {ms(p.get('max_ms'))} of {n}"


def spread(f, fmt=ms):
    """A summary figure over backups (every backup of every repetition): "median (min–max, n=N)"."""
    if f is None or f.get("median") is None:
        return "n/a"
    if f["n"] == 1 or f["min"] == f["max"]:
        return f"{fmt(f['median'])} (n={f['n']})"
    return f"{fmt(f['median'])} ({fmt(f['min'])}–{fmt(f['max'])}, n={f['n']})"


def verdict_counts(counts, order=("OK", "STALE", "INCONSISTENT", "CORRUPT", "FAILED", "SKIPPED")):
    keys = [k for k in order if counts.get(k)] + sorted(k for k in counts if k not in order and counts[k])
    return ", ".join(f"{k} {counts[k]}" for k in keys) or "none"

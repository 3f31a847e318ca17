"""The hosts the shards of a merged run ran on: results.json's `hosts` and
`host_differences`, which the merge (results/shard_set.cpp) computed and stored.
The page names each host in its header, and says so loudly when the hosts
differ in what changes the figures (CPU, cores, kernel, filesystem, SQLite)."""

NAMES = {"cpu": "CPU model", "cores": "core count", "kernel": "kernel", "filesystem": "filesystem",
         "sqlite_version": "SQLite version"}


def _hosts(results):
    hosts = results.raw.get("hosts")
    return hosts if isinstance(hosts, list) else []


def context_line(results):
    """'Shards ran on: vm1 (shards 0, 2; 2 cores ...), vm2 (shard 1; ...)', or None for one plain run."""
    hosts = _hosts(results)
    if len(results.raw.get("sources") or []) < 2 and len(hosts) < 2:
        return None
    parts = []
    for h in hosts:
        shards = h.get("shards") or []
        parts.append(f"{h.get('hostname') or '?'} (shard{'s' if len(shards) > 1 else ''} "
                     f"{', '.join(str(k) for k in shards)}: {h.get('cores', '?')} cores, {h.get('cpu', '?')}, "
                     f"{h.get('kernel', '?')}, {h.get('filesystem', '?')}, SQLite {h.get('sqlite_version', '?')})")
    n = results.raw.get("shard", {}).get("n", "?")
    return f"Merged from {len(results.raw.get('sources') or [])} of {n} shards, run on: " + "; ".join(parts)


def warning(results):
    """One sentence when the hosts differ, else None."""
    diffs = results.raw.get("host_differences")
    if not isinstance(diffs, list) or not diffs:
        return None
    what = "; ".join(f"{NAMES.get(d.get('field'), d.get('field'))}: "
                     f"{' vs '.join(str(v) for v in d.get('values') or [])}" for d in diffs)
    return (f"The shards ran on hosts that differ ({what}): figures from different machines are pooled in this "
            "report; compare them with care (compare --strict refuses such runs).")

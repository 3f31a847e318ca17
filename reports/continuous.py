"""Continuous replication beside periodic backups, per journal mode: what each
periodic strategy costs per backup (writer impact, duration) and what a
continuous one (litestream) costs all the time (its writers' baseline against
the same cell's trials without it) and how much it would lose (its recovery
point), each in one sentence. Read from the summary rows only (the figures are
computed once, in results/continuous.cpp); a periodic backup's recovery point is
the interval it is scheduled at."""
import figures as F


def _is_continuous(row):
    return isinstance(row.raw.get("continuous"), dict)


def _interval(results):
    """The scenario's backup interval when a trial runs several backups, else None."""
    sc = results.scenario
    iv = sc.get("backup_interval_s")
    return iv if (sc.get("backups") or 1) > 1 and isinstance(iv, (int, float)) else None


def _verdicts(row):
    counts = {}
    for t in row.trials:
        for k, v in t.verdicts.items():
            counts[k] = counts.get(k, 0) + v
    return F.verdict_counts(counts)


def _signed_ms(v):
    return "n/a" if v is None else ("+" if v > 0 else "") + F.ms(v)


def periodic_sentence(row, interval):
    impact = row.figure(F.IMPACT)
    dur = row.figure("backup_duration_s")
    if dur["median"] is None:
        return f"{row.label}: no completed backup here ({_verdicts(row)}), so neither its cost nor its copy is known."
    when = (f"every {interval:g} s as scheduled here" if interval else "at the interval you schedule it")
    wait = ("its writer impact is unknown (no steady trial)" if impact["median"] is None else
            f"writers wait up to {F.ms(impact['median'])} beyond their schedule")
    return (f"{row.label}: each backup costs {F.secs(dur['median'])} during which {wait}, nothing between backups; "
            f"run {when}, a failure loses every commit since the last backup (its recovery point is that interval "
            f"plus the {F.secs(dur['median'])} it takes).")


def continuous_sentence(row):
    c = row.raw["continuous"]
    cost = c["cost"]
    w, wo = cost["with"], cost["without"]
    rp_tx, rp_ms = c["recovery_point_tx"], c["recovery_point_ms"]
    if cost.get("withheld"):
        costs = f"its continuous cost is not measured here ({cost['withheld']})"
    else:
        rate = w["commits_per_s"]["median"]
        costs = (f"it runs all the time, and with it running the writers' baseline is {F.percentile(w)} against "
                 f"{F.percentile(wo)} without it ({_signed_ms(cost.get('p99_delta_ms'))})"
                 + (f" at {rate:.0f} commits/s" if rate is not None else ""))
    if rp_tx["median"] is None:
        loses = "no restore gave a consistent copy, so its recovery point is unknown"
    else:
        loses = (f"a failure at the backup point would have lost {rp_tx['median']:g} committed transaction(s), "
                 f"the last {F.ms(rp_ms['median'])} of commits (median of {rp_tx['n']})")
    restore = c["restore_s"]["median"]
    return (f"{row.label}: {costs}; {loses}"
            + (f"; restoring took {F.secs(restore)}" if restore is not None else "") + ".")


def groups(results):
    """[(where, continuous rows, periodic rows)]: one per journal mode, and per
    variant of the matrix (size, writer count, fault, filesystem, SQLite build:
    the row's name without its label) when the run has several, since only rows
    of one cell compare. `where` names it ("wal mode", "wal mode, 64MB")."""
    out = []
    for mode in results.modes:
        rows = results.rows_of(mode)
        for variant in results._ordered(r.variant for r in rows):
            cell = [r for r in rows if r.variant == variant]
            cont = [r for r in cell if _is_continuous(r)]
            if not cont:
                continue
            periodic = [r for r in cell if not _is_continuous(r) and not r.all_skipped
                        and r.strategy != cont[0].strategy]
            out.append((f"{mode} mode" + (f", {variant}" if variant else ""), cont, periodic))
    return out


def skipped_notes(results):
    """Continuous strategies skipped in a mode, with the reason: once per mode,
    label and reason however many sizes or other variants were skipped alike."""
    notes = []
    cont = {name for name, s in results.strategies.items() if s.get("continuous")}
    for mode in results.modes:
        for r in results.rows_of(mode):
            if r.strategy in cont and r.all_skipped:
                t = next(iter(r.trials), None)
                note = f"{mode} mode: {r.label} skipped: {(t.get('backup/error') if t else '') or 'does not apply'}"
                if note not in notes:
                    notes.append(note)
    return notes


def section_html(results, esc):
    groups_ = groups(results)
    notes = skipped_notes(results)
    if not groups_ and not notes:
        return ""
    interval = _interval(results)
    out = ["<h3 id=continuous>Continuous replication beside periodic backups</h3>",
           "<p class=small>A periodic backup costs its writers during each backup and loses, on a failure, "
           "everything since the last one; continuous replication costs something all the time and loses only "
           "what it had not yet replicated (its recovery point: committed transactions the restored copy lacks, "
           "and how old the oldest of them was when the restore began). Its cost is its writers' baseline with "
           "the replicator running against the baselines of every other strategy's trials of the same cell, "
           "measured in the same run. docs/litestream.md.</p>"]
    for where, cont, periodic in groups_:
        out.append(f"<h4>{esc(where)}</h4><table><thead><tr><th>strategy</th><th>kind</th>"
                   "<th>cost to writers</th><th>duration</th><th>recovery point</th><th>WAL over the trial "
                   "(peak)</th><th>verdicts</th></tr></thead><tbody>")
        for r in cont:
            c = r.raw["continuous"]
            cost = c["cost"]
            cost_text = (f"withheld: {cost['withheld']}" if cost.get("withheld") else
                         f"all the time: baseline {F.percentile(cost['with'])} vs {F.percentile(cost['without'])} "
                         f"without ({_signed_ms(cost.get('p99_delta_ms'))})")
            rp = c["recovery_point_tx"]
            rp_text = ("n/a" if rp["median"] is None else
                       f"{rp['median']:g} tx (range {rp['min']:g}–{rp['max']:g}), "
                       f"{F.spread(c['recovery_point_ms'])}")
            wal = c.get("wal_without", {}).get("peak_bytes", {})
            out.append(f"<tr><td class=name>{esc(r.label)}</td><td>continuous</td><td>{esc(cost_text)}</td>"
                       f"<td>restore {esc(F.spread(c['restore_s'], F.secs))}</td><td>{esc(rp_text)}</td>"
                       f"<td class=num>{esc(F.mb(r.median('wal_trial_peak_bytes')))} (without: "
                       f"{esc(F.mb(wal.get('median')))})</td><td>{esc(_verdicts(r))}</td></tr>")
        for r in periodic:
            impact = r.figure(F.IMPACT)
            out.append(f"<tr><td class=name>{esc(r.label)}</td><td>periodic</td>"
                       f"<td>per backup: writers wait {esc(F.spread(impact))} beyond their schedule</td>"
                       f"<td>{esc(F.spread(r.figure('backup_duration_s'), F.secs))}</td>"
                       f"<td>{esc(f'{interval:g} s (the interval)' if interval else 'its interval')}</td>"
                       f"<td class=num>{esc(F.mb(r.median('wal_trial_peak_bytes')))}</td>"
                       f"<td>{esc(_verdicts(r))}</td></tr>")
        out.append("</tbody></table><ul>")
        out.extend(f"<li>{esc(continuous_sentence(r))}</li>" for r in cont)
        out.extend(f"<li>{esc(periodic_sentence(r, interval))}</li>" for r in periodic)
        out.append("</ul>")
    if notes:
        out.append("<ul class=notes>" + "".join(f"<li class=expected>{esc(n)}</li>" for n in notes) + "</ul>")
    return "".join(out)


def markdown(results):
    """The same sentences for summary.md."""
    lines = []
    interval = _interval(results)
    for where, cont, periodic in groups(results):
        lines.append(f"\n### Continuous vs periodic, {where}\n")
        lines.extend(f"- {continuous_sentence(r)}" for r in cont)
        lines.extend(f"- {periodic_sentence(r, interval)}" for r in periodic)
    notes = skipped_notes(results)
    if notes:
        lines.append("")
        lines.extend(f"- {n}" for n in notes)
    return "\n".join(lines) + ("\n" if lines else "")

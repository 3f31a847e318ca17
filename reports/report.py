#!/usr/bin/python3
"""backup-bench report: report.html (charts embedded), every chart as PNG and SVG,
and summary.md, from one results.json (a run folder, or the merged results of
several: `backup-bench report` merges shards before calling this).

usage: report.py [--out DIR] RUN_DIR_OR_RESULTS_JSON
Exit 2 on bad input with one line naming the problem; never a traceback."""
import argparse
import os
import sys

sys.dont_write_bytecode = True  # the source tree may be read-only or shared
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import results_model as M  # noqa: E402


class Usage(argparse.ArgumentParser):
    def error(self, message):
        raise M.BadInput(message)


def writable_dir(path):
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        raise M.BadInput(f"cannot create the output folder {path}: {e.strerror}")
    if not os.path.isdir(path) or not os.access(path, os.W_OK):
        raise M.BadInput(f"cannot write to the output folder {path}")
    return path


def write(results, out_dir):
    """Writes every output; returns the path of report.html."""
    import charts
    import page
    import summary_table
    os.makedirs(out_dir, exist_ok=True)
    drawn = charts.render(results, out_dir)
    summary_table.write_markdown(results, os.path.join(out_dir, "summary.md"))
    path = os.path.join(out_dir, "report.html")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(page.page(results, out_dir, drawn))
    os.replace(tmp, path)
    return path


def main(argv):
    ap = Usage(prog="backup-bench report", add_help=False)
    ap.add_argument("run", nargs="+")
    ap.add_argument("--out")
    try:
        a = ap.parse_args(argv)
        if len(a.run) > 1:
            raise M.BadInput("report.py reads one results.json; `backup-bench report` merges several run folders")
        results = M.load(a.run[0])
        out = writable_dir(a.out or results.dir)
        print(write(results, out))
        return 0
    except M.BadInput as e:
        print(f"backup-bench: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"backup-bench: cannot write the report: {e}", file=sys.stderr)
        return 3
    except Exception as e:  # a bug: one line, not a traceback (BB_DEBUG=1 shows it)
        if os.environ.get("BB_DEBUG"):
            raise
        print(f"backup-bench: internal error in the report ({type(e).__name__}: {e}); BB_DEBUG=1 shows where",
              file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

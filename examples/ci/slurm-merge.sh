#!/bin/bash
# The merge after slurm-array.sh: one report over every shard, and `compare`
# against a stored baseline (a run of the reference build in
# $BB_RESULTS/baseline, docs/compare.md). Submitted with
#   sbatch --dependency=afterany:$jobid examples/ci/slurm-merge.sh
#SBATCH --job-name=backup-bench-merge
#SBATCH --time=00:20:00
set -euo pipefail
RESULTS="${BB_RESULTS:-$HOME/backup-bench}"
backup-bench report "$RESULTS/shards" --out "$RESULTS/report"
# Exit 1 on a regression, 2 when not comparable: the job's state says which.
backup-bench compare "$RESULTS/baseline" "$RESULTS/shards" \
    --markdown "$RESULTS/compare.md" --junit "$RESULTS/compare.xml" --json "$RESULTS/compare.json"

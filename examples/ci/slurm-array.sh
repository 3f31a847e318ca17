#!/bin/bash
# backup-bench on Slurm: a job array fans out to 3 shards (tasks 1..3; --shard
# auto takes SLURM_ARRAY_TASK_ID minus SLURM_ARRAY_TASK_MIN over
# SLURM_ARRAY_TASK_COUNT, so any numbering works); slurm-merge.sh merges them
# once every task has ended (docs/distributed.md):
#   jobid=$(sbatch --parsable examples/ci/slurm-array.sh)
#   sbatch --dependency=afterany:$jobid examples/ci/slurm-merge.sh
# BB_RESULTS is a folder every node can write (a shared filesystem).
#SBATCH --job-name=backup-bench
#SBATCH --array=1-3
#SBATCH --cpus-per-task=2
#SBATCH --time=02:00:00
set -euo pipefail
RESULTS="${BB_RESULTS:-$HOME/backup-bench}"
mkdir -p "$RESULTS/shards"
backup-bench run --preset quick --repeat 6 --rate 20 --shard auto \
    --out "$RESULTS/shards/shard-$SLURM_ARRAY_TASK_ID"

#!/usr/bin/env bash
# Submits a staged textdup run to Slurm: sketch (a job array, one task per
# shard), then cluster (one job), then filter (a job array), each waiting
# for the one before to succeed. Run it from the repository's root (or set
# TEXTDUP_DEPLOY to this deploy/ folder on the shared filesystem).
#
#   INPUT=/shared/crawl WORK=/shared/run OUTPUT=/shared/clean SHARDS=64 \
#       deploy/slurm/submit.sh
#
# Each step resumes after a kill or a requeue, so a failed task can simply
# be resubmitted. Shards are every N-th input file: give at least SHARDS
# files.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${INPUT:?}" "${WORK:?}" "${OUTPUT:?}"
shards=${SHARDS:-1}
export INPUT WORK OUTPUT SHARDS=$shards TEXTDUP_DEPLOY=${TEXTDUP_DEPLOY:-$(dirname "$here")}
last=$((shards - 1))
sketch=$(sbatch --parsable --export=ALL --array="0-$last" "$here/sketch.sbatch")
cluster=$(sbatch --parsable --export=ALL --dependency="afterok:$sketch" "$here/cluster.sbatch")
filter=$(sbatch --parsable --export=ALL --dependency="afterok:$cluster" --array="0-$last" \
    "$here/filter.sbatch")
echo "submitted: sketch $sketch, cluster $cluster, filter $filter"

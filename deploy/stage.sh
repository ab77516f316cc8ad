#!/usr/bin/env bash
# One step of a staged textdup run (sketch, cluster or filter), for
# schedulers that run one command per task: Slurm job arrays
# (deploy/slurm/) and Kubernetes Indexed Jobs (deploy/k8s/). It only turns
# the scheduler's task index into `--shard I/N`; the steps themselves
# resume after a kill, so a retried task just runs again.
#
#   deploy/stage.sh sketch|cluster|filter
#
# Environment (the same for every step of one run):
#   INPUT         files or folders to deduplicate, space-separated (needed)
#   WORK          the work folder every task shares (needed)
#   OUTPUT        where filter writes the cleaned corpus (needed by filter)
#   SHARDS        N, the number of shards (sketch and filter; default 1)
#   INDEX         I, this task's shard, 0..N-1 (default: SLURM_ARRAY_TASK_ID,
#                 else JOB_COMPLETION_INDEX, else 0)
#   MEMORY        --memory of cluster, e.g. 16GiB (optional)
#   TEXTDUP       the binary (default: textdup on PATH)
#   TEXTDUP_ARGS  options for every step, e.g. "--threshold 0.85" (optional;
#                 the steps refuse options that differ between them)
set -euo pipefail

step=${1:?usage: stage.sh sketch|cluster|filter}
textdup=${TEXTDUP:-textdup}
: "${INPUT:?set INPUT to the files or folders to deduplicate}"
: "${WORK:?set WORK to the work folder every task shares}"
shards=${SHARDS:-1}
index=${INDEX:-${SLURM_ARRAY_TASK_ID:-${JOB_COMPLETION_INDEX:-0}}}
read -r -a input <<<"$INPUT"
read -r -a extra <<<"${TEXTDUP_ARGS:-}"

case "$step" in
sketch)
    command=(sketch "${input[@]}" --shard "$index/$shards" --work "$WORK")
    ;;
cluster)
    command=(cluster "${input[@]}" --work "$WORK")
    [ -n "${MEMORY:-}" ] && command+=(--memory "$MEMORY")
    ;;
filter)
    : "${OUTPUT:?set OUTPUT to where the cleaned corpus goes}"
    command=(filter "${input[@]}" --shard "$index/$shards" --work "$WORK" -o "$OUTPUT")
    ;;
*)
    echo "stage.sh: unknown step '$step' (sketch, cluster or filter)" >&2
    exit 2
    ;;
esac

status=0
"$textdup" "${command[@]}" "${extra[@]}" || status=$?
# Exit status 2 is a finished step that skipped some inputs, each named in
# a warning above. The scheduler must count it a success, or the next
# step (afterok, a Job's completion) would never start.
if [ "$status" -eq 2 ]; then
    echo "stage.sh: $step done; some inputs were skipped (see the warnings above)" >&2
    status=0
fi
exit "$status"

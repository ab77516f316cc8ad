#!/usr/bin/env bash
# Runs a staged textdup on Kubernetes: the ConfigMap, then the sketch
# Indexed Job, the cluster Job and the filter Indexed Job, each after the
# one before completes. SHARDS (default 4) sets the ConfigMap's SHARDS and
# the Indexed Jobs' completions and parallelism together.
#
#   SHARDS=64 deploy/k8s/run.sh
#
# Each step resumes after a pod is killed, so a failed index is retried
# (backoffLimitPerIndex) and the rerun picks up where it stopped.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shards=${SHARDS:-4}
sized() {
    sed -e "s/^\(  *\)completions: 4$/\1completions: $shards/" \
        -e "s/^\(  *\)parallelism: 4$/\1parallelism: $shards/" \
        -e "s/^\(  *\)SHARDS: \"4\"$/\1SHARDS: \"$shards\"/" "$1"
}
sized "$here/config.yaml" | kubectl apply -f -
for step in sketch cluster filter; do
    sized "$here/$step.yaml" | kubectl apply -f -
    kubectl wait --for=condition=complete "job/textdup-$step" --timeout=-1s
done

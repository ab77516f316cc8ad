#!/bin/sh
# The ten-million-document runs of the README's "Quality and performance":
# one-shot under a memory limit and in memory (compared with cmp), then the
# same corpus as a staged run in four shards, one sketch killed part-way.
#
#   benches/scale/run.sh DIR [DOCS]
#
# DIR needs about 60 GB free (corpus 24 GB, its four shards 24 GB, spill
# runs and sketch files 2 GB each; the cleaned copy, 18 GB, is written last
# after the single-file corpus is removed). Prose comes from
# benches/compare/prose.sh (target/prose). Takes about half an hour on 2 cores.
set -eu
dir=${1:?usage: benches/scale/run.sh DIR [DOCS]}
docs=${2:-10000000}
here=$(cd "$(dirname "$0")/../.." && pwd)
cargo build --release --manifest-path "$here/Cargo.toml"
T="$here/target/release/textdup"
[ -d "$here/target/prose" ] || "$here/benches/compare/prose.sh"
mkdir -p "$dir" && cd "$dir"
[ -f c/corpus.jsonl ] || /usr/bin/time -v "$T" synth --from "$here/target/prose" \
    --docs "$docs" --recombine -o c 2>&1 | grep -E "wrote|Elapsed"
mkdir -p tmp
echo "== one-shot, --memory 1GiB"
/usr/bin/time -v "$T" scan --level document c/corpus.jsonl --force --clusters spill.jsonl \
    --memory 1GiB --tmp-dir tmp 2>&1 | grep -E "read|speed|spilled|Elapsed|Maximum"
echo "temporary folder entries left: $(ls tmp | wc -l)"
echo "== one-shot, in memory"
/usr/bin/time -v "$T" scan --level document c/corpus.jsonl --force --clusters memory.jsonl 2>&1 \
    | grep -E "read|speed|Elapsed|Maximum"
cmp spill.jsonl memory.jsonl && echo "clusters: identical"
"$T" eval --truth c/truth.jsonl --pred spill.jsonl | head -8
echo "== staged, four shards"
mkdir -p shards
split -n l/4 -d --additional-suffix=.jsonl c/corpus.jsonl shards/part-
rm c/corpus.jsonl
start=$(date +%s)
for i in 0 1 2 3; do "$T" sketch -q shards/ --shard $i/4 --work w/ -j 1 & done
sleep 25
pkill -KILL -f "sketch -q shards/ --shard 3/4" || true
wait
"$T" sketch -q shards/ --shard 3/4 --work w/
echo "sketch: $(( $(date +%s) - start )) s"
/usr/bin/time -v "$T" cluster shards/ --work w/ --memory 1GiB --tmp-dir tmp 2>&1 \
    | grep -E "read|Elapsed|Maximum"
for i in 0 1 2 3; do "$T" filter -q shards/ --shard $i/4 --work w/ -o clean/ & done
wait
echo "staged: $(( $(date +%s) - start )) s"
cmp w/clusters.jsonl spill.jsonl && echo "staged clusters: identical to the one-shot run"
echo "documents kept: $(cat clean/*.jsonl | wc -l)"

#!/bin/sh
# The passage grain at scale, as the README's memory paragraph reports it:
# `scan --level all` over a million documents in memory and under
# `--memory 1GiB`, the two outputs compared with cmp, with each run's time,
# its peak resident size (/usr/bin/time) and its peak heap (RssAnon,
# sampled from /proc each second: the resident size also counts the page
# cache's pages of the files the report maps).
#
#   benches/scale/passages.sh DIR [DOCS] [LIMIT]
#
# DIR needs about 6 GB free (corpus 1 GB, two outputs of 2.3 GB, spill
# runs). Prose comes from benches/compare/prose.sh (target/prose). Takes
# about three minutes on 2 cores, besides the build and the corpus.
set -eu
dir=${1:?usage: benches/scale/passages.sh DIR [DOCS] [LIMIT]}
docs=${2:-1000000}
limit=${3:-1GiB}
here=$(cd "$(dirname "$0")/../.." && pwd)
cargo build --release --manifest-path "$here/Cargo.toml"
T="$here/target/release/textdup"
[ -d "$here/target/prose" ] || "$here/benches/compare/prose.sh"
mkdir -p "$dir" && cd "$dir"
[ -f p/corpus.jsonl ] || "$T" synth --from "$here/target/prose" --docs "$docs" \
    --words 30-220 --share 0.5 --seed 7 --recombine -o p
mkdir -p tmp

# Runs textdup with the given arguments; prints its time, peak resident
# size and peak heap.
measure() {
    /usr/bin/time -f "%e s, peak resident %M KB" "$T" "$@" 2> time.log &
    sleep 1
    pid=$(pgrep -n -f "$T scan -q --level all" || true)
    heap=0
    while [ -n "$pid" ] && kill -0 "$pid" 2> /dev/null; do
        now=$(awk '/^RssAnon/ {print $2}' "/proc/$pid/status" 2> /dev/null || echo 0)
        [ "${now:-0}" -gt "$heap" ] && heap=$now
        sleep 1
    done
    wait
    echo "$(tail -1 time.log), peak heap $heap KB"
}

echo "== --level all, in memory"
measure scan -q --level all p/corpus.jsonl --force --clusters memory.jsonl
echo "== --level all, --memory $limit"
measure scan -q --level all p/corpus.jsonl --force --clusters limited.jsonl \
    --memory "$limit" --tmp-dir tmp
echo "temporary folder entries left: $(ls tmp | wc -l)"
cmp memory.jsonl limited.jsonl && echo "clusters: identical"

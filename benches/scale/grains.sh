#!/bin/sh
# What the passage grain costs on top of the document grain, as the README's
# paragraph on long documents reports it: `scan --level document` against
# `scan --level all` on long multi-paragraph documents whose paragraphs
# recur across documents, as on the web. The runs alternate (document,
# all, document, all, ...) so that a slow spell of a shared machine does
# not land on one level only; each writes a fresh file after a `sync`.
# Prints each run's time, peak resident size and time by stage (the
# summary's `stages:` line), the medians, and their ratio, and checks that
# every run of a level wrote the same clusters.
#
#   benches/scale/grains.sh DIR [DOCS] [RUNS]
#
# DOCS (default 100000) documents of 200 to 1,200 words: 486 MB at the
# default, and about 1.3 GB of clusters per run at --level all, so DIR
# needs about 3 GB free. RUNS (default 3) runs of each level. Prose comes
# from benches/compare/prose.sh (target/prose). Takes about two minutes on
# 2 cores at the defaults, besides the build and the corpus.
set -eu
dir=${1:?usage: benches/scale/grains.sh DIR [DOCS] [RUNS]}
docs=${2:-100000}
runs=${3:-3}
here=$(cd "$(dirname "$0")/../.." && pwd)
cargo build --release --locked --quiet --manifest-path "$here/Cargo.toml"
T="$here/target/release/textdup"
"$here/benches/compare/prose.sh" "$here/target/prose"
mkdir -p "$dir" && cd "$dir"
[ -f long/corpus.jsonl ] || "$T" synth --from "$here/target/prose" --docs "$docs" \
    --words 200-1200 --recombine -o long
echo "corpus: $docs documents, $(stat -c %s long/corpus.jsonl) bytes"

# A stopped earlier run may have left its lists behind.
: > times.txt
rm -f document.md5 all.md5
i=1
while [ "$i" -le "$runs" ]; do
    for level in document all; do
        sync
        /usr/bin/time -f "$level %e %M" -a -o times.txt \
            "$T" scan --progress never --level "$level" long/corpus.jsonl --force \
            --clusters "$level.jsonl" 2> summary.txt
        md5sum < "$level.jsonl" | cut -d' ' -f1 >> "$level.md5"
        tail -1 times.txt | awk '{printf "%-8s run '"$i"': %6.2f s, peak resident %d MB\n", $1, $2, $3 / 1024}'
        # Where the time went: each stage's, the writing of the clusters last.
        sed -n 's/^ *stages: *//p' summary.txt | fold -s -w 70 | sed 's/^/           /'
    done
    i=$((i + 1))
done

rm -f summary.txt
for level in document all; do
    [ "$(sort -u "$level.md5" | wc -l)" -eq 1 ] || { echo "$level: runs wrote different clusters" >&2; exit 1; }
    rm "$level.md5"
done
awk '
    { t[$1] = t[$1] " " $2 }
    END {
        for (level in t) {
            n = split(substr(t[level], 2), v, " ")
            # Insertion sort: a handful of runs.
            for (a = 2; a <= n; a++) for (b = a; b > 1 && v[b - 1] > v[b]; b--) { x = v[b]; v[b] = v[b - 1]; v[b - 1] = x }
            median[level] = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
        }
        printf "median: document %.2f s, all %.2f s: all takes %.1fx as long\n",
            median["document"], median["all"], median["all"] / median["document"]
    }' times.txt
echo "clusters: each level's runs identical"

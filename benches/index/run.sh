#!/bin/sh
# The persistent index's figures (README, "Deduplicating against an index"):
#
#   benches/index/run.sh [DIR] [--docs N] [--chunks K] [--query Q] [--smoke]
#
# 1. Synthesizes a corpus of N documents (default 1,000,000; prose of the
#    Python, Perl, Django and SQLAlchemy manuals from
#    benches/compare/prose.sh) and times `scan --level document` on it
#    against `index build --all`: build throughput as a share of a one-shot
#    scan, and the index's bytes per document. Every index step runs with
#    --all (near-duplicates indexed too), so that the index holds about N
#    documents a corpus.
# 2. Times `dedup --against` of Q new documents (default 100,000, another
#    seed of the same prose: some of them repeat indexed text) against the
#    N-document index.
# 3. Adds K-1 more corpora of N documents (default K = 10) from other text
#    (the Linux kernel's documentation), one at a time, timing each add
#    (each corpus is deleted once added). The query's duplicates are all in
#    the first corpus, so what grows between step 2 and step 4 is the
#    index, not the work of verifying matches.
# 4. Times the same `dedup --against` against the K×N-document index, with
#    its K segments and after compacting them to one, and checks that the
#    removed documents are the same as in step 2.
# 5. Adds one more corpus of N documents to the compacted K×N index: an
#    add's time against the first add's.
# 6. Measures the storage choice: sorted tables in a memory map against
#    redb (benches/index/store).
#
# Queries run twice, from a cold page cache (dropped first, when the user
# may) and warm. Every timed command runs under peak.py: wall time and peak resident
# memory, split into the heap (anon) and mapped files (file). Results go to
# DIR/results.md. DIR defaults to target/index-bench (-smoke); it needs about
# 2 GB + K × 0.55 GB free (twice the last at compaction). --smoke: 20,000
# documents in 3 chunks, 5,000 queries (what CI runs).
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
dir=""
docs=1000000 chunks=10 query=100000 smoke=""
while [ $# -gt 0 ]; do
    case "$1" in
        --docs) docs=$2; shift 2 ;;
        --chunks) chunks=$2; shift 2 ;;
        --query) query=$2; shift 2 ;;
        --smoke) docs=20000 chunks=3 query=5000 smoke=1; shift ;;
        -*) echo "unknown option $1" >&2; exit 1 ;;
        *) dir=$1; shift ;;
    esac
done
# A smoke run keeps out of the full run's folder and its results.
[ -n "$dir" ] || dir="$here/target/index-bench${smoke:+-smoke}"
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
T="$here/target/release/textdup"
[ -d "$here/target/prose" ] || "$here/benches/compare/prose.sh"
mkdir -p "$dir" && cd "$dir"
rm -rf index.tdx out* scan.jsonl
peak() { python3 "$here/benches/index/peak.py" "$@" | tee -a runs.jsonl; }
# A query, twice: with the page cache dropped first (when this user may:
# the index and the new corpus come from disk), then again (warm).
query() { # label output
    if sync && (echo 3 > /proc/sys/vm/drop_caches) 2>/dev/null; then
        peak "$1-cold" -- "$T" dedup --against index.tdx q/corpus.jsonl -o "$2.jsonl" \
            --removed "$2.removed.jsonl" -q --force
    fi
    peak "$1" -- "$T" dedup --against index.tdx q/corpus.jsonl -o "$2.jsonl" \
        --removed "$2.removed.jsonl" -q --force
}
synth() { # seed docs folder prose...
    seed=$1 n=$2 out=$3
    shift 3
    [ -f "$out/corpus.jsonl" ] || "$T" synth --from "$@" --docs "$n" --words 30-220 \
        --share 0.5 --seed "$seed" --recombine -o "$out" --force >/dev/null
}
p="$here/target/prose"
: > runs.jsonl
synth 1000 "$docs" c0 "$p/python" "$p/perl" "$p/django" "$p/sqlalchemy"
synth 2000 "$query" q "$p/python" "$p/perl" "$p/django" "$p/sqlalchemy"
peak scan -- "$T" scan --level document -q c0/corpus.jsonl --clusters scan.jsonl --force
peak build -- "$T" index build index.tdx c0/corpus.jsonl --all -q
size1=$("$T" index stats index.tdx --json | python3 -c "import json,sys; s=json.load(sys.stdin); print(s['bytes'], s['documents'])")
query query-1 out1
i=1
while [ "$i" -lt "$chunks" ]; do
    synth $((1000 + i)) "$docs" "c$i" "$p/linux"
    peak "add-$i" -- "$T" index add index.tdx "c$i/corpus.jsonl" --all -q
    rm -rf "c$i"
    i=$((i + 1))
done
query "query-$chunks-segments" outs
peak compact -- "$T" index compact index.tdx -q
sizek=$("$T" index stats index.tdx --json | python3 -c "import json,sys; s=json.load(sys.stdin); print(s['bytes'], s['documents'])")
query "query-$chunks" outk
peak verify -- "$T" index verify index.tdx -q
synth $((1000 + chunks)) "$docs" last "$p/linux"
peak add-to-compacted -- "$T" index add index.tdx last/corpus.jsonl --all -q
rm -rf last
entries=10000000
[ -z "${smoke:-}" ] || entries=1000000
store=$(cd "$here/benches/index/store" && cargo run --release --locked --quiet -- "$entries" 1000000 "$dir/store")
python3 - "$docs" "$chunks" "$query" "$size1" "$sizek" "$store" <<'PY'
import json, sys
docs, chunks, query = map(int, sys.argv[1:4])
size1, sizek = (list(map(int, s.split())) for s in sys.argv[4:6])
runs = {r["label"]: r for r in map(json.loads, open("runs.jsonl"))}
ids = lambda p: {json.loads(l)["id"] for l in open(p)}
one, many = ids("out1.removed.jsonl"), ids("outk.removed.jsonl")
assert many == ids("outs.removed.jsonl"), "compaction changed an answer"
adds = [runs[f"add-{i}"]["seconds"] for i in range(1, chunks)]
lines = [
    f"# Index benchmark: {docs:,} documents a chunk, {chunks} chunks, {query:,} queries",
    "",
    "| step | seconds | peak RSS MB | heap MB | mapped MB |",
    "|---|---|---|---|---|",
]
for r in runs.values():
    lines.append(f"| {r['label']} | {r['seconds']} | {r['rss_mb']} | {r['anon_mb']} | {r['file_mb']} |")
lines += [
    "",
    f"- build throughput: {runs['scan']['seconds'] / runs['build']['seconds']:.0%} of a one-shot scan",
    f"- index size: {size1[0] / size1[1]:.0f} bytes per indexed document at {size1[1]:,} documents,"
    f" {sizek[0] / sizek[1]:.0f} at {sizek[1]:,}",
    f"- query of {query:,}: {query / runs['query-1']['seconds']:,.0f} docs/s against {size1[1]:,} indexed,"
    f" {query / runs[f'query-{chunks}']['seconds']:,.0f} against {sizek[1]:,}"
    f" ({runs[f'query-{chunks}']['seconds'] / runs['query-1']['seconds']:.2f}× the time;"
    f" {runs[f'query-{chunks}-segments']['seconds']} s before compaction)"
    + (f"; from a cold page cache {runs['query-1-cold']['seconds']} s and"
       f" {runs[f'query-{chunks}-cold']['seconds']} s"
       f" ({runs[f'query-{chunks}-cold']['seconds'] / runs['query-1-cold']['seconds']:.2f}×)"
       if 'query-1-cold' in runs else "") + ";"
    f" removed {len(one):,} and {len(many):,}",
    f"- adds of {docs:,} documents: into {size1[1]:,} indexed {adds[0]} s;"
    f" into {sizek[1]:,} in {chunks} segments {adds[-1]} s; into {sizek[1]:,} compacted"
    f" {runs['add-to-compacted']['seconds']} s" if adds else "",
    "",
    sys.argv[6],
]
open("results.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY

#!/usr/bin/env bash
# textdup past one machine, measured on this one: the CLI, textdup on Spark
# (local[2]) and on Ray (num_cpus=2), and text-dedup's Spark MinHash (the
# peer on the same engine, same local[2]), over one synthesized corpus.
#
#   benches/distributed/run.sh [--docs N] [--out DIR] [--smoke] [--no-peer]
#
# 1. Builds textdup and installs the Python package, pyspark and Ray into
#    the tests' virtualenv ($TEXTDUP_VENV, default target/py-venv).
# 2. Synthesizes DIR/data/corpus.jsonl + truth.jsonl from real text (as
#    benches/compare/run.sh does; --smoke: the committed dictionary) and
#    writes it as Parquet (id, text, n = row number) for the engines.
# 3. Runs each, through engines.py measure: wall time and the peak memory
#    of every process role (sampled over the whole process tree); Spark's
#    stages (executor CPU time, shuffle bytes) come from its REST API.
# 4. Scores each with `textdup eval` and writes DIR/results.md and
#    DIR/NAME.metrics.json.
#
# text-dedup 0.4.0's minhash_spark.py runs as published, but for its one
# import of GraphFrames: that package needs its jar from a Maven
# repository, which this machine cannot reach, so graphframes_standin/
# supplies connectedComponents (the same large-star/small-star family of
# algorithm, textdup.spark's implementation). Settings everywhere: word
# 5-grams, 128 permutations, threshold 0.8.
set -euo pipefail
cd "$(dirname "$0")/../.."

docs=1000000
out=target/distributed
smoke=false
peer=true
while [ $# -gt 0 ]; do
    case "$1" in
        --docs) docs=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --smoke) smoke=true; shift ;;
        --no-peer) peer=false; shift ;;
        -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 1 ;;
    esac
done
if $smoke; then
    docs=400
    out=target/distributed-smoke
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
here=$PWD/benches/distributed

echo "==> building textdup and the Python package"
cargo build --release --locked --quiet --bin textdup
textdup=$PWD/target/release/textdup
venv=${TEXTDUP_VENV:-target/py-venv}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
python=$(cd "$(dirname "$venv/bin/python")" && pwd)/python
"$python" -c 'import textdup.spark, textdup.ray' 2>/dev/null || {
    "$python" -m pip install -q -r python/requirements-test.txt
    "$python" -m pip install -q ./python
}

# Ray's memory summary (object store use and spilling) needs grpcio, which
# ray[data] does not bring.
"$python" -c 'import grpc' 2>/dev/null || "$python" -m pip install -q grpcio

echo "==> corpus: $docs documents"
if $smoke; then
    "$textdup" synth --from tests/data/devils-dictionary.txt --docs "$docs" --words 30-120 \
        --share 0.5 --seed 1 -o "$out/data" --force
else
    benches/compare/prose.sh target/prose
    # The prose holds about 100,000 such documents: past that, paragraphs
    # are reused in new combinations (as pages of one site share them).
    "$textdup" synth --from target/prose --docs "$docs" --words 30-220 --share 0.5 --seed 7 \
        --recombine -o "$out/data" --force
fi
corpus=$out/data/corpus.jsonl
truth=$out/data/truth.jsonl
"$python" - "$corpus" "$out/data/parquet" <<'PY'
import os, sys
import pyarrow as pa, pyarrow.json as pj, pyarrow.parquet as pq
table = pj.read_json(sys.argv[1], read_options=pj.ReadOptions(block_size=64 << 20))
table = table.select(["id", "text"]).append_column("n", pa.array(range(table.num_rows), pa.int64()))
os.makedirs(sys.argv[2], exist_ok=True)
# Files of 100,000 rows, named in order: every engine reads them in order.
for i, start in enumerate(range(0, table.num_rows, 100_000)):
    pq.write_table(table.slice(start, 100_000), f"{sys.argv[2]}/part-{i:05d}.parquet")
PY
parquet=$out/data/parquet

rows=()
# run NAME COMMAND...: measures COMMAND, scores NAME.pred.jsonl, adds a row.
run() {
    local name=$1; shift
    echo "==> $name"
    rm -f "$out/$name.metrics.json"
    "$python" "$here/engines.py" measure "$out/$name" -- "$@" 2> "$out/$name.log" \
        || { tail -n 20 "$out/$name.log" >&2; exit 1; }
}
score() {
    local name=$1
    "$textdup" eval --truth "$truth" --pred "$out/$name.pred.jsonl" --json > "$out/$name.eval.json"
    rows+=("$("$python" - "$name" "$docs" "$out" <<'PY'
import json, sys
name, docs, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
m = json.load(open(f"{out}/{name}.metrics.json"))
s = json.load(open(f"{out}/{name}.eval.json"))
wall = m["process_wall_s"]
peaks = m["peak_rss_mb"]
roles = ", ".join(f"{k} {v:,}" for k, v in sorted(peaks.items()) if k != "all" and v >= 20)
shuffle = sum(st["shuffle_write_bytes"] for st in m.get("stages", []))
per_doc = f"{shuffle / docs:,.0f}" if m.get("stages") else "n/a"
print(f"| {name} | {docs:,} | {wall:,.1f} | {docs / wall:,.0f} | {peaks['all']:,} ({roles}) "
      f"| {per_doc} | {s['precision']:.4f} | {s['recall']:.4f} | {s['f1']:.4f} |")
PY
)")
}

run cli "$textdup" scan "$corpus" --level document --threads 2 \
    --clusters "$out/cli.pred.jsonl" --force --progress never
score cli
run spark "$python" "$here/engines.py" spark "$parquet" "$out/spark"
score spark
run ray "$python" "$here/engines.py" ray "$parquet" "$out/ray"
score ray

if $peer; then
    peerdir=$out/text-dedup
    if [ ! -f "$peerdir/text_dedup/minhash_spark.py" ]; then
        echo "==> fetching text-dedup 0.4.0 (its Spark script only; numpy, scipy, xxhash)"
        "$python" -m pip download -q --no-deps -d "$peerdir/wheel" text-dedup==0.4.0
        "$python" -m zipfile -e "$peerdir"/wheel/text_dedup-0.4.0-py3-none-any.whl "$peerdir"
    fi
    "$python" -c 'import scipy, xxhash' 2>/dev/null || "$python" -m pip install -q scipy xxhash
    rm -rf "$out/text-dedup-out" "$out/text-dedup-out-assignment" "$out/text-dedup-checkpoints" \
        "$out/text-dedup-events"
    mkdir -p "$out/text-dedup-events"
    PYTHONPATH=$here/graphframes_standin PYSPARK_PYTHON=$python PYSPARK_DRIVER_PYTHON=$python \
        run text-dedup "$(dirname "$python")/spark-submit" --master "local[2]" \
        --driver-memory 8g --conf spark.eventLog.enabled=true \
        --conf spark.eventLog.dir="$out/text-dedup-events" \
        "$peerdir/text_dedup/minhash_spark.py" \
        --input "$parquet" --output "$out/text-dedup-out" --column text --index n \
        --threshold 0.8 --num_perm 128 --ngram_size 5 --debug \
        --checkpoint_dir "$out/text-dedup-checkpoints"
    "$python" "$here/engines.py" text-dedup-pred "$parquet" \
        "$out/text-dedup-out-assignment/assignment.parquet" "$out/text-dedup-pred"
    mv "$out/text-dedup-pred.pred.jsonl" "$out/text-dedup.pred.jsonl"
    "$python" "$here/engines.py" eventlog "$out/text-dedup-events" "$out/text-dedup"
    score text-dedup
fi

{
    echo "Corpus: $docs documents ($(du -h "$corpus" | cut -f1) of JSON Lines), 2 cores."
    echo
    echo "| run | docs | seconds | docs/s | peak RSS MB, all processes (by role) | shuffle bytes/doc | precision | recall | F1 |"
    echo "|---|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
} > "$out/results.md"
echo
cat "$out/results.md"

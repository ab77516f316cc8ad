#!/usr/bin/env bash
# Side-by-side run of textdup, datasketch, rensa, gaoya and datatrove on one
# synthetic corpus.
#
#   benches/compare/run.sh [--docs N] [--threads N] [--out DIR] [--smoke]
#
# 1. Builds textdup (release).
# 2. Synthesizes DIR/corpus.jsonl + truth.jsonl with `textdup synth` from real
#    text: Debian documentation packages (benches/compare/prose.sh), or with
#    --smoke the committed tests/data/devils-dictionary.txt.
# 3. Runs each tool with the same settings (word 5-grams, 128 permutations,
#    threshold 0.8, seed 1, the same thread count) under /usr/bin/time -v:
#    textdup scan --level document; datasketch 2.0.0, rensa 0.5.0, gaoya
#    0.2.2 and datatrove 0.10.1 (with the modules its MinHash steps import)
#    through benches/compare/peers.py, in a throwaway virtualenv (DIR/venv).
# 4. Scores each clustering with `textdup eval` and writes DIR/results.md.
#
# --smoke runs a few hundred documents, and the peers only if their
# virtualenv already has them: CI runs it to keep this script working.
# Ratios between tools in one run are the figures that count; absolute
# times on a shared machine are noise.
set -euo pipefail
cd "$(dirname "$0")/../.."

docs=100000
threads=2
out=target/compare
smoke=false
while [ $# -gt 0 ]; do
    case "$1" in
        --docs) docs=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --smoke) smoke=true; shift ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 1 ;;
    esac
done
if $smoke; then
    docs=300
    out=target/compare-smoke
fi
mkdir -p "$out"

[ -x /usr/bin/time ] || { echo "run.sh: needs /usr/bin/time (Debian package 'time')" >&2; exit 1; }

echo "==> building textdup"
cargo build --release --locked --quiet
textdup=$PWD/target/release/textdup

echo "==> corpus: $docs documents"
if $smoke; then
    "$textdup" synth --from tests/data/devils-dictionary.txt --docs "$docs" --words 30-120 \
        --share 0.5 --seed 1 -o "$out/data" --force
else
    benches/compare/prose.sh target/prose
    "$textdup" synth --from target/prose --docs "$docs" --words 30-220 --share 0.5 --seed 7 \
        -o "$out/data" --force
fi
corpus=$out/data/corpus.jsonl
truth=$out/data/truth.jsonl
bytes=$(stat -c %s "$corpus")

venv=$out/venv
have_peers() {
    [ -x "$venv/bin/python" ] && "$venv/bin/python" -c '
import datasketch, rensa, gaoya
import datatrove.pipeline.dedup.minhash, datatrove.pipeline.readers, orjson, spacy' 2>/dev/null
}
if ! $smoke && ! have_peers; then
    echo "==> installing datasketch, rensa, gaoya and datatrove into $venv"
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet datasketch==2.0.0 rensa==0.5.0 gaoya==0.2.2 \
        datatrove==0.10.1 regex tokenizers orjson spacy 'xxhash<4'
fi
peers=()
if have_peers; then
    peers=(datasketch rensa gaoya datatrove)
else
    echo "==> peers not installed: textdup only"
fi

# run NAME COMMAND...: times COMMAND, scores DIR/NAME.pred.jsonl, appends a row.
rows=()
run() {
    local name=$1; shift
    echo "==> $name"
    /usr/bin/time -v -o "$out/$name.time" "$@" 2> "$out/$name.log"
    "$textdup" eval --truth "$truth" --pred "$out/$name.pred.jsonl" --json > "$out/$name.eval.json"
    rows+=("$(python3 - "$name" "$docs" "$bytes" "$out/$name.time" "$out/$name.eval.json" <<'PY'
import json, re, sys
name, docs, size, time_file, eval_file = sys.argv[1:]
text = open(time_file).read()
def field(label):
    return re.search(re.escape(label) + r": (.*)", text).group(1).strip()
wall = 0.0
for part in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":"):
    wall = wall * 60 + float(part)
wall = max(wall, 0.01)  # /usr/bin/time reports in hundredths
cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
rss = f"{int(field('Maximum resident set size (kbytes)')) / 1024:,.0f}"
# datatrove's workers are pool processes that exit unwaited for: their CPU
# time and memory never reach /usr/bin/time, which would give the parent's.
if name == "datatrove":
    cpu, rss = "—", "—"
else:
    cpu = f"{cpu:.2f}"
s = json.load(open(eval_file))
docs, size = int(docs), int(size)
print(f"| {name} | {docs:,} | {wall:.2f} | {cpu} | {docs / wall:,.0f} | {size / wall / 1e6:.1f} "
      f"| {rss} | {s['precision']:.4f} | {s['recall']:.4f} | {s['f1']:.4f} | {s['ari']:.4f} |")
PY
)")
}

run textdup "$textdup" scan "$corpus" --level document --threads "$threads" \
    --clusters "$out/textdup.pred.jsonl" --force --progress never
for peer in "${peers[@]}"; do
    RAYON_NUM_THREADS=$threads OMP_NUM_THREADS=$threads \
        run "$peer" "$venv/bin/python" benches/compare/peers.py "$peer" "$corpus" \
        "$out/$peer.pred.jsonl" --threads "$threads"
done

{
    echo "Corpus: $docs documents, $(python3 -c "print(f'{$bytes / 1e6:.1f}')") MB ($corpus), $threads threads."
    echo
    echo "| tool | docs | seconds | CPU s | docs/s | MB/s | peak RSS MB | precision | recall | F1 | ARI |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
} > "$out/results.md"
echo
cat "$out/results.md"

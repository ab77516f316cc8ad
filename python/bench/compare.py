"""textdup's Python package beside its CLI, rensa and datasketch, on one
synthesized corpus and the same threads.

    python python/bench/compare.py [--docs 100000] [--threads 2] [--out DIR]
        [--corpus CORPUS.jsonl] [--skip datasketch] [--smoke]

Needs /usr/bin/time, the `textdup` package installed (`pip install ./python`), the CLI
built (`cargo build --release`), and for the peers `pip install rensa
datasketch`. Without --corpus it synthesizes one as benches/compare/run.sh
does: real prose from Debian documentation packages (benches/compare/prose.sh),
`textdup synth --docs N --words 30-220 --share 0.5 --seed 7`.

Every case runs in a process of its own, so that its peak RSS is its own:

- cli: `textdup scan --level document` on the JSON Lines file;
- python-table: `Deduper.scan` of the corpus as a pyarrow Table (read
  before the clock starts): the binding's cost over the CLI's;
- python-list: the whole job from the JSON Lines file, as the peers do it:
  read it into a list of str, `Deduper.scan` (Python-side conversion
  included);
- rensa, datasketch: benches/compare/peers.py, the same settings (word
  5-grams, 128 permutations, threshold 0.8, seed 1).

Beside each process's wall time, the table gives the time "from texts in
memory": a list of str to clusters, reading the JSON left out (it is the
same for every tool). For python-list that is the conversion to Arrow and
the scan; for a peer, shingling in Python, sketching, LSH and verifying.

--smoke synthesizes 300 documents from tests/data/devils-dictionary.txt
and runs the peers only if they are installed: CI runs it to keep this
script working.

Writes DIR/results.md and prints it. Ratios in one run are the figures
that count; absolute times on a shared machine are noise.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "target" / "release" / "textdup"
PEERS = ROOT / "benches" / "compare" / "peers.py"


def case_python_table(corpus: str, threads: int) -> dict:
    import pyarrow.json as pa_json

    import textdup

    table = pa_json.read_json(corpus)
    d = textdup.Deduper(threads=threads)
    start = time.perf_counter()
    r = d.scan(table)
    return {"seconds": time.perf_counter() - start, "removed": r.summary["removed"]}


def case_python_list(corpus: str, threads: int) -> dict:
    import textdup

    start = time.perf_counter()
    with open(corpus, encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f]
    read = time.perf_counter()
    r = textdup.Deduper(threads=threads).scan(texts)
    end = time.perf_counter()
    return {"seconds": end - start, "memory": end - read, "removed": r.summary["removed"]}


CASES = {"python-table": case_python_table, "python-list": case_python_list}


def measured(command: list, env: dict) -> tuple:
    """Runs `command` under /usr/bin/time; returns its wall seconds, peak
    RSS in MB, stdout and stderr. (Its own rusage, not this process's: a
    child forked from here would count this interpreter's pages too.)"""
    with tempfile.NamedTemporaryFile("r") as rss_file:
        start = time.perf_counter()
        done = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", rss_file.name, *map(str, command)],
            capture_output=True, env=env,
        )
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            sys.stderr.write(done.stderr.decode())
            raise SystemExit(f"compare.py: {' '.join(map(str, command))} failed")
        rss_mb = int(rss_file.read().split()[-1]) / 1024
    return seconds, rss_mb, done.stdout.decode(), done.stderr.decode()


def stage_seconds(stderr: str, name: str) -> float:
    """A `stage NAME SECONDS` line of peers.py."""
    for line in stderr.splitlines():
        parts = line.split()
        if parts[:2] == ["stage", name]:
            return float(parts[2])
    raise SystemExit(f"compare.py: no '{name}' stage in the peer's output")


def synthesize(docs: int, out: Path, smoke: bool) -> Path:
    data = out / "data"
    corpus = data / "corpus.jsonl"
    if corpus.exists():
        return corpus
    if smoke:
        source = "tests/data/devils-dictionary.txt"
    else:
        source = "target/prose"
        subprocess.run([str(ROOT / "benches" / "compare" / "prose.sh"), source], cwd=ROOT,
                       check=True)
    subprocess.run(
        [str(CLI), "synth", "--from", source, "--docs", str(docs),
         "--words", "30-120" if smoke else "30-220",
         "--share", "0.5", "--seed", "7", "-o", str(data), "--force"],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return corpus


def installed(module: str) -> bool:
    """Whether `module` imports (tried in a child: importing a peer here
    would weigh on nothing measured, but takes time)."""
    check = [sys.executable, "-c", f"import {module}"]
    return subprocess.run(check, capture_output=True).returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default=str(ROOT / "target" / "py-compare"))
    parser.add_argument("--corpus")
    parser.add_argument("--skip", action="append", default=[], help="a case to leave out")
    parser.add_argument("--smoke", action="store_true", help="300 documents, a quick check")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.smoke:
        args.docs = 300
        args.out = str(ROOT / "target" / "py-compare-smoke")
        args.skip += [peer for peer in ("rensa", "datasketch") if not installed(peer)]

    if args.case:  # a child: one case, its result as JSON on stdout
        print(json.dumps(CASES[args.case](args.corpus, args.threads)))
        return

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    corpus = Path(args.corpus) if args.corpus else synthesize(args.docs, out, args.smoke)
    docs = sum(1 for _ in open(corpus, encoding="utf-8"))
    env = dict(os.environ, RAYON_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads))
    rows = {}

    def record(
        name: str, seconds: float, memory: float | None, rss: float, removed: object, note: str
    ) -> None:
        rows[name] = (seconds, memory, rss, removed, note)
        print(f"{name}: {seconds:.2f} s, {rss:,.0f} MB", file=sys.stderr)

    if "cli" not in args.skip:
        seconds, rss, _, _ = measured(
            [str(CLI), "scan", "--level", "document", "--threads", str(args.threads),
             "--clusters", str(out / "cli.jsonl"), "--force", "--progress", "never", "-q",
             str(corpus)],
            env,
        )
        removed = sum(
            len(json.loads(line)["members"]) - 1 for line in open(out / "cli.jsonl")
        )
        record("cli", seconds, None, rss, removed, "textdup scan, JSON Lines file to clusters")
    for case, note in [
        ("python-table", "Deduper.scan of a pyarrow Table (scan only)"),
        ("python-list", "JSON Lines → list of str → Deduper.scan (all of it)"),
    ]:
        if case in args.skip:
            continue
        _, rss, stdout, _ = measured(
            [sys.executable, __file__, "--case", case, "--corpus", str(corpus), "--threads",
             str(args.threads)],
            env,
        )
        result = json.loads(stdout)
        record(case, result["seconds"], result.get("memory"), rss, result["removed"], note)
    for peer in ("rensa", "datasketch"):
        if peer in args.skip:
            continue
        pred = out / f"{peer}.jsonl"
        seconds, rss, _, stderr = measured(
            [sys.executable, str(PEERS), peer, str(corpus), str(pred)], env
        )
        labels = [json.loads(line)["cluster"] for line in open(pred)]
        removed = len(labels) - len(set(labels))
        record(peer, seconds, stage_seconds(stderr, "from-memory"), rss, removed,
               "benches/compare/peers.py: JSON Lines → clusters")

    base = rows.get("python-list", (None, None))[1]
    lines = [
        f"Corpus: {docs:,} documents, {corpus.stat().st_size / 1e6:.1f} MB ({corpus}), "
        f"{args.threads} threads.",
        "",
        "| case | what is timed | seconds | from texts in memory, s | ÷ python-list's | "
        "docs/s | peak RSS MB | removed |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, (seconds, memory, rss, removed, note) in rows.items():
        from_memory = f"{memory:.2f}" if memory is not None else ""
        ratio = f"{memory / base:.1f}×" if memory is not None and base else ""
        lines.append(
            f"| {name} | {note} | {seconds:.2f} | {from_memory} | {ratio} "
            f"| {docs / seconds:,.0f} | {rss:,.0f} | {removed:,} |"
        )
    if "cli" in rows and "python-table" in rows:
        lines += ["", f"python-table / cli: {rows['python-table'][0] / rows['cli'][0]:.2f}×"]
    (out / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

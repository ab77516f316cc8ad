"""Deduplicating new data against what came before, and decontaminating
training data against a benchmark, with a persistent index. Checked with
`mypy --strict` against the package's stubs.

    python examples/incremental.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyarrow as pa

import textdup

HEADLINE = "The Organization for Security and Co-operation in Europe has addressed recent allegations"


def main() -> None:
    folder = Path(tempfile.mkdtemp())

    # Last week's crawl, indexed once: ids, shingle sets and band keys on disk.
    archive = textdup.Index(folder / "archive.tdx")
    last_week = pa.table({
        "id": ["w1-a", "w1-b"],
        "text": [HEADLINE + " made against its staff.", "EU invites Russia to take security concerns to OSCE"],
    })
    added = archive.add(last_week)
    print(f"indexed {added['indexed']} documents; {len(archive)} in the archive")

    # This week's crawl: what the archive (or an earlier row) holds goes.
    this_week = pa.table({
        "id": ["w2-a", "w2-b", "w2-c"],
        "text": [
            HEADLINE + " made against its staff!",
            "A new report on election monitoring in the region was published today",
            "A new report on election monitoring in the region was published today.",
        ],
    })
    matches = archive.query(this_week)
    for row in matches.matches.to_pylist():
        print(f"{row['id']} duplicates {row['kept']} ({row['kept_in']}, {row['similarity']:.2f})")
    clean: pa.Table = textdup.Deduper().dedup(this_week, against=archive)
    print(f"{clean.num_rows} of {this_week.num_rows} rows are new")
    archive.add(clean)

    # Decontamination: every 13-word window of the benchmark, indexed.
    bench = textdup.Index(folder / "bench.tdx", spans=13)
    bench.add([("q1", HEADLINE + " made against its staff members during the mission")], all=True)
    flagged = bench.spans(this_week)
    for row in flagged.matches.to_pylist():
        print(f"{row['id']} quotes {row['kept']}: {row['text']!r}")


if __name__ == "__main__":
    main()

"""textdup from Python in a few lines: scan, dedup, passages and the
building blocks. Checked with `mypy --strict` against the package's stubs.

    python examples/quickstart.py
"""

from __future__ import annotations

from typing import Optional

import pyarrow as pa

import textdup

BASE = "The Organization for Security and Co-operation in Europe has addressed recent allegations"


def main() -> None:
    table = pa.table(
        {
            "id": ["a", "b", "c"],
            "text": [
                BASE + " made against its staff.",
                BASE + " made against its staff!",
                "EU invites Russia to take security concerns to OSCE\n"
                "EU invites Russia to take security concerns to OSCE",
            ],
        }
    )
    d = textdup.Deduper(threshold=0.8, ngram=5, num_perm=128, seed=1)

    result = d.scan(table)
    removed: int = result.summary["removed"]
    print(f"{removed} near-duplicates; clusters:\n{result.clusters.to_pandas()}")

    clean: pa.Table = d.dedup(table)
    print(f"{clean.num_rows} rows kept of {table.num_rows}")

    passages = d.passages(table)
    for row in passages.to_pylist():
        print(f"{row['id']} [{row['char_start']}:{row['char_end']}] {row['text']!r}")

    def report(stage: str, done: int, total: Optional[int]) -> None:
        print(f"  {stage}: {done}/{total if total is not None else '?'}")

    d.scan(["one text", "another text"], progress=report)

    bands, rows = textdup.banding(threshold=0.8, num_perm=128)
    sketches = textdup.sketch(table.column("text"))
    similarity = textdup.similarity([BASE], [BASE + " today"])
    print(f"{bands}x{rows} bands, {sketches.num_rows} sketches, similarity {similarity[0]}")


if __name__ == "__main__":
    main()

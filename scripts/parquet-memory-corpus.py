#!/usr/bin/env python3
"""The corpus of the README's Parquet memory figure.

Writes DIR/corpus.parquet (zstd, row groups of 20,000) and the same rows as
DIR/corpus.jsonl: 1.5 million documents of 360 random words (2.4 KB), every
tenth one a copy, with one word changed, of one of the first 20,000.

    python3 scripts/parquet-memory-corpus.py /tmp/mem     # needs numpy, pyarrow
    /usr/bin/time -v textdup dedup --level document /tmp/mem/corpus.parquet -o /tmp/mem/out.parquet
"""
import json
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

DOCS = 1_500_000
BATCH = 100_000


def main(out: str) -> None:
    rng = np.random.default_rng(7)
    vocab = np.array([f"w{i}" for i in range(30_000)])
    writer = None
    originals: list[str] = []
    with open(f"{out}/corpus.jsonl", "w") as jsonl:
        for start in range(0, DOCS, BATCH):
            texts = []
            for i in range(start, start + BATCH):
                if i % 10 == 9 and originals:
                    words = originals[rng.integers(len(originals))].split(" ")
                    words[rng.integers(len(words))] = "edited"
                    texts.append(" ".join(words))
                else:
                    text = " ".join(vocab[rng.integers(0, len(vocab), 360)])
                    texts.append(text)
                    if len(originals) < 20_000:
                        originals.append(text)
            ids = [f"doc{i:07d}" for i in range(start, start + BATCH)]
            table = pa.table({"id": ids, "text": texts, "n": np.arange(start, start + BATCH)})
            if writer is None:
                writer = pq.ParquetWriter(f"{out}/corpus.parquet", table.schema, compression="zstd")
            writer.write_table(table, row_group_size=20_000)
            for id_, text in zip(ids, texts):
                jsonl.write(json.dumps({"id": id_, "text": text}) + "\n")
    assert writer is not None
    writer.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")

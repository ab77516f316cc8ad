"""textdup.Index: the persistent index from Python, checked against the CLI."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pyarrow as pa
import pytest

import textdup


def split(corpus: Path, out: Path) -> tuple[Path, Path]:
    """The corpus's first and second halves, as JSON Lines files."""
    lines = corpus.read_text().splitlines(keepends=True)
    half = len(lines) // 2
    a, b = out / "a.jsonl", out / "b.jsonl"
    a.write_text("".join(lines[:half]))
    b.write_text("".join(lines[half:]))
    return a, b


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_same_matches_as_the_cli(cli: Path, planted: Path, tmp_path: Path) -> None:
    a, b = split(planted, tmp_path)
    by_cli = tmp_path / "cli.tdx"
    subprocess.run([str(cli), "index", "build", str(by_cli), str(a), "-q"], check=True)
    expected = subprocess.run(
        [str(cli), "scan", "--against", str(by_cli), str(b), "-q"],
        check=True, capture_output=True, text=True,
    ).stdout
    assert expected.count("\n") > 20, "the halves share planted copies"

    index = textdup.Index(tmp_path / "py.tdx")
    added = index.add(a)
    assert added["indexed"] == len(index) == textdup.Index(by_cli).stats()["documents"]
    # Paths, an Arrow table and (id, text) pairs give the CLI's matches.
    table = pa.Table.from_pylist(rows(b))
    pairs = [(r["id"], r["text"]) for r in rows(b)]
    for data in (b, table, pairs):
        found = index.query(data)
        assert found.lines() == expected
    found = index.query(table)
    assert found.summary["removed"] == expected.count("\n")
    # Where the time went, as a scan's summary says it.
    stages = [s["stage"] for s in found.summary["stages"]]
    assert stages[:2] == ["sketching", "finding candidates"]
    assert all(s["seconds"] >= 0 for s in found.summary["stages"])
    removed = set(found.matches.column("id").to_pylist())
    kept = [r["id"] for r, keep in zip(rows(b), found.keep.to_pylist()) if keep]
    assert removed.isdisjoint(kept) and len(removed) + len(kept) == table.num_rows
    assert set(found.matches.column("kept_in").to_pylist()) <= {"index", "input"}


def test_dedup_against_an_index(cli: Path, planted: Path, tmp_path: Path) -> None:
    a, b = split(planted, tmp_path)
    index = textdup.Index(tmp_path / "x.tdx")
    index.add(a)
    d = textdup.Deduper()
    table = pa.Table.from_pylist(rows(b))
    clean = d.dedup(table, against=index)
    assert isinstance(clean, pa.Table) and clean.schema == table.schema
    assert clean.num_rows == table.num_rows - index.query(table).summary["removed"]
    # Files: what the CLI's dedup --against writes, byte for byte.
    by_cli = tmp_path / "cli.jsonl"
    subprocess.run(
        [str(cli), "dedup", "--against", str(index.path), str(b), "-o", str(by_cli), "-q"],
        check=True,
    )
    by_python = tmp_path / "py.jsonl"
    calls: list = []
    written = d.dedup(b, output=by_python, against=index, progress=lambda *a: calls.append(a))
    assert written == str(by_python)
    assert by_python.read_bytes() == by_cli.read_bytes()
    # The callback hears of the writing as well as of the query.
    assert calls[-1] == ("writing", 1, 1), calls
    assert (tmp_path / "py.jsonl.removed.jsonl").read_bytes() == (
        tmp_path / "cli.jsonl.removed.jsonl"
    ).read_bytes()
    # A deduper with other settings cannot use the index.
    with pytest.raises(ValueError, match="threshold: the index has 0.8, this run 0.9"):
        textdup.Deduper(threshold=0.9).dedup(table, against=index)


def test_rows_that_are_not_text_are_kept_and_the_mask_is_aligned(tmp_path: Path) -> None:
    index = textdup.Index(tmp_path / "x.tdx")
    text = "the organization for security and co-operation in europe said on monday"
    index.add([text])
    found = index.query([None, text.upper(), 7, "an unrelated sentence about the weather"])
    assert found.keep.to_pylist() == [True, False, True, True]
    assert found.summary["skipped"] == 2
    assert found.matches.column("row").to_pylist() == [1]


def test_adds_keep_or_index_all_and_compaction_changes_no_answer(
    planted: Path, tmp_path: Path
) -> None:
    texts = [r["text"] for r in rows(planted)]
    kept = textdup.Index(tmp_path / "kept.tdx")
    every = textdup.Index(tmp_path / "all.tdx")
    thirds = [texts[i::3] for i in range(3)]
    for part in thirds[:2]:
        kept.add(part)
        every.add(part, all=True)
    assert len(every) > len(kept)
    assert kept.stats()["segments"][1]["documents"] > 0
    before = [index.query(thirds[2]).matches for index in (kept, every)]
    assert every.compact()["segments_after"] == 1
    # Compaction rewrites every document, and verification reads every
    # segment: both say how far they are.
    told: list[tuple[str, int, object]] = []
    kept.compact(progress=lambda stage, done, total: told.append((stage, done, total)))
    assert told and told[-1][0] == "writing" and told[-1][1] == told[-1][2] == len(kept)
    assert [index.query(thirds[2]).matches for index in (kept, every)] == before
    told.clear()
    assert kept.verify(progress=lambda *t: told.append(t))["documents"] == len(kept)
    assert told and told[-1][0] == "verifying" and told[-1][1] == told[-1][2] == 1


def test_decontamination_with_span_windows(tmp_path: Path) -> None:
    eval_items = [
        ("q1", "Which treaty established the organization for security and cooperation in europe and when was it signed by the members"),
        ("q2", "Name the river that flows through the capital city of hungary and describe its route to the black sea"),
    ]
    bench = textdup.Index(tmp_path / "bench.tdx", spans=13)
    bench.add(eval_items, all=True)
    train = [
        ("t1", "Background reading. WHICH TREATY established the Organization for Security and Co-operation in Europe, and when was it signed? Answer below."),
        ("t2", "The river flows through the capital city of Hungary."),
        ("t3", "Nothing from the benchmark here at all, just prose about gardens and rain."),
    ]
    found = bench.spans(train)
    assert found.matches.column("id").to_pylist() == ["t1"]
    assert found.matches.column("kept").to_pylist() == ["q1"]
    row = found.matches.to_pylist()[0]
    assert train[0][1][row["start"]:row["end"]] == row["text"]
    assert len(row["text"].split()) == 13
    with pytest.raises(ValueError, match="holds no span windows"):
        textdup.Index(tmp_path / "plain.tdx").spans(train)
    with pytest.raises(ValueError, match="13-word windows"):
        textdup.Index(tmp_path / "bench.tdx", spans=10)


def test_a_place_that_cannot_hold_an_index(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_text("some text")
    with pytest.raises(ValueError, match="not empty"):
        textdup.Index(tmp_path / "data")
    with pytest.raises(ValueError, match="not a folder"):
        textdup.Index(tmp_path / "data" / "a.txt")


def test_the_example_runs() -> None:
    import sys

    example = Path(__file__).resolve().parents[1] / "examples" / "incremental.py"
    out = subprocess.run([sys.executable, str(example)], check=True, capture_output=True, text=True)
    assert "w2-a duplicates w1-a (index, 1.00)" in out.stdout
    assert "1 of 3 rows are new" in out.stdout
    assert "w2-a quotes q1" in out.stdout

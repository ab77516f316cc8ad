"""The Python package against the CLI, over every input type it takes."""

from __future__ import annotations

import json
import math
import os
import signal
import struct
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.json as pa_json
import pytest

import textdup

from conftest import ROOT, need

BASE = "The Organization for Security and Co-operation in Europe has addressed recent allegations"
TEXTS = [
    BASE + " made against its staff.",
    BASE + " made against its staff!",  # the same once normalized
    "Russia has triggered a diplomatic crisis by deploying troops near the border today.",
    BASE + " made against its staff in a statement.",
]


def kept_texts(result: textdup.Result, texts: list) -> list:
    return [t for t, k in zip(texts, result.keep.to_pylist()) if k]


# --- every input type -------------------------------------------------------


def test_a_list_of_strings() -> None:
    r = textdup.Deduper(threshold=0.7).scan(TEXTS)
    assert r.summary["read"] == 4
    assert r.summary["removed"] == 2
    assert r.clusters.column("id").to_pylist() == ["0", "1", "3"]
    assert r.keep.to_pylist() == [True, False, True, False]


def test_an_iterable_of_strings_and_of_pairs() -> None:
    d = textdup.Deduper(threshold=0.7)
    from_generator = d.scan(t for t in TEXTS)
    assert from_generator.keep.to_pylist() == [True, False, True, False]
    pairs = d.scan([(f"doc-{i}", t) for i, t in enumerate(TEXTS)])
    assert pairs.clusters.column("id").to_pylist() == ["doc-0", "doc-1", "doc-3"]
    assert d.dedup([(f"doc-{i}", t) for i, t in enumerate(TEXTS)]) == [
        ("doc-0", TEXTS[0]),
        ("doc-2", TEXTS[2]),
    ]


@pytest.mark.parametrize("shape", ["table", "batch", "chunked", "array", "large", "view"])
def test_arrow_inputs(shape: str) -> None:
    ids = [f"a{i}" for i in range(len(TEXTS))]
    table = pa.table({"id": ids, "text": TEXTS, "extra": [1, 2, 3, 4]})
    data: Any = {
        "table": table,
        "batch": table.to_batches()[0],
        "chunked": pa.chunked_array([TEXTS[:2], TEXTS[2:]]),
        "array": pa.array(TEXTS),
        "large": pa.array(TEXTS, type=pa.large_string()),
        "view": pa.array(TEXTS, type=pa.string_view()),
    }[shape]
    d = textdup.Deduper(threshold=0.7)
    r = d.scan(data)
    assert r.keep.to_pylist() == [True, False, True, False]
    clean = d.dedup(data)
    assert type(clean) is type(data)
    assert len(clean) == 2
    if shape in ("table", "batch"):
        assert r.clusters.column("id").to_pylist() == ["a0", "a1", "a3"]
        assert clean.column("extra").to_pylist() == [1, 3]


def test_pandas() -> None:
    pd = need("pandas")
    frame = pd.DataFrame({"id": [10, 11, 12, 13], "text": TEXTS, "n": range(4)})
    d = textdup.Deduper(threshold=0.7)
    r = d.scan(frame)
    assert r.clusters.column("id").to_pylist() == ["10", "11", "13"]
    clean = d.dedup(frame)
    assert isinstance(clean, pd.DataFrame)
    assert clean["n"].tolist() == [0, 2]
    assert d.dedup(frame["text"]).tolist() == [TEXTS[0], TEXTS[2]]


def test_polars() -> None:
    pl = need("polars")
    frame = pl.DataFrame({"id": ["p", "q", "r", "s"], "text": TEXTS, "n": [0, 1, 2, 3]})
    d = textdup.Deduper(threshold=0.7)
    assert d.scan(frame).clusters.column("id").to_pylist() == ["p", "q", "s"]
    clean = d.dedup(frame)
    assert isinstance(clean, pl.DataFrame)
    assert clean["n"].to_list() == [0, 2]
    assert d.dedup(frame["text"]).to_list() == [TEXTS[0], TEXTS[2]]


def test_datasets_round_trip() -> None:
    datasets = need("datasets")
    ds = datasets.Dataset.from_dict({"id": ["w", "x", "y", "z"], "text": TEXTS, "n": [0, 1, 2, 3]})
    d = textdup.Deduper(threshold=0.7)
    clean = d.dedup(ds)
    assert isinstance(clean, datasets.Dataset)
    assert list(clean["n"]) == [0, 2]
    # An indices mapping over the input, not a copy of it.
    assert clean._indices is not None
    assert clean.num_rows == 2
    # A shuffled (indices-mapped) input is read as it shows its rows.
    shuffled = ds.select([3, 2, 1, 0])
    assert list(d.dedup(shuffled)["n"]) == [3, 2]


def test_paths(planted: Path, tmp_path: Path) -> None:
    d = textdup.Deduper()
    by_path = d.scan(planted)
    by_str = d.scan(str(planted))
    by_list = d.scan([planted])
    assert by_path.cluster_lines() == by_str.cluster_lines() == by_list.cluster_lines()
    assert len(by_path.keep) == by_path.summary["read"] - by_path.summary["skipped"]
    with pytest.raises(TypeError, match="give output="):
        d.dedup(planted)


def test_dedup_of_files_writes_what_the_cli_writes(
    cli: Path, planted: Path, tmp_path: Path
) -> None:
    by_cli = tmp_path / "cli.jsonl"
    subprocess.run(
        [str(cli), "dedup", "-q", "--level", "document", str(planted), "-o", str(by_cli)],
        check=True,
    )
    by_python = tmp_path / "python.jsonl"
    d = textdup.Deduper()
    assert d.dedup(planted, output=by_python) == str(by_python)
    assert by_python.read_bytes() == by_cli.read_bytes()
    removed = tmp_path / "python.jsonl.removed.jsonl"
    cli_removed = tmp_path / "cli.jsonl.removed.jsonl"
    assert removed.read_bytes() == cli_removed.read_bytes()
    # An existing output is replaced only when asked.
    with pytest.raises(OSError, match="already exists"):
        d.dedup(planted, output=by_python)
    d.dedup(planted, output=by_python, force=True)


def test_dedup_of_files_tells_progress_of_the_writing(planted: Path, tmp_path: Path) -> None:
    calls: list = []
    d = textdup.Deduper()
    d.dedup(planted, output=tmp_path / "out.jsonl", progress=lambda *a: calls.append(a))
    stages = [stage for stage, _, _ in calls]
    assert stages[0] == "sketching" and "writing" in stages, stages
    # The writing ends with every source written.
    assert calls[-1] == ("writing", 1, 1), calls[-1]

    # An exception in the callback while writing stops it, and it is what
    # the caller sees; nothing is committed.
    def fail_writing(stage: str, done: int, total: Any) -> None:
        if stage == "writing":
            raise RuntimeError("callback failed while writing")

    with pytest.raises(RuntimeError, match="while writing"):
        d.dedup(planted, output=tmp_path / "stopped.jsonl", progress=fail_writing)
    assert not (tmp_path / "stopped.jsonl").exists()


def test_parquet_files_in_and_out(planted: Path, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    rows = pa_json.read_json(planted)
    rows = rows.append_column("n", pa.array(range(rows.num_rows)))
    shard = tmp_path / "train-00000-of-00001.parquet"
    pq.write_table(rows, shard, compression="zstd", row_group_size=100)
    d = textdup.Deduper()
    from_file = d.scan(shard)
    from_table = d.scan(rows)
    assert from_file.summary["removed"] == from_table.summary["removed"] > 0
    assert from_file.keep.equals(from_table.keep)
    clean = tmp_path / "clean.parquet"
    d.dedup(shard, output=clean)
    written = pq.read_table(clean)
    assert written.schema == rows.schema
    assert written.equals(rows.filter(from_table.keep))
    assert pq.ParquetFile(clean).metadata.row_group(0).column(0).compression == "ZSTD"


def test_wet_files_in_and_out(tmp_path: Path) -> None:
    import gzip

    def record(kind: str, uri: str, block: str) -> bytes:
        body = block.encode()
        head = (
            f"WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Target-URI: {uri}\r\n"
            f"Content-Type: text/plain\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        return gzip.compress(head.encode() + body + b"\r\n\r\n")

    records = [record("warcinfo", "", "software: test\r\n")]
    records += [record("conversion", f"https://example.org/{i}", t) for i, t in enumerate(TEXTS)]
    wet = tmp_path / "CC-MAIN-00000.warc.wet.gz"
    wet.write_bytes(b"".join(records))
    d = textdup.Deduper(threshold=0.7)
    scan = d.scan(wet)
    assert scan.summary["read"] == len(TEXTS)
    assert scan.clusters.column("id").to_pylist()[:2] == ["https://example.org/0", "https://example.org/1"]
    clean = tmp_path / "clean.warc.wet.gz"
    d.dedup(wet, output=clean)
    again = d.scan(clean)
    assert again.summary["read"] == len(TEXTS) - scan.summary["removed"]
    assert again.summary["removed"] == 0


# --- the same answers as the CLI ---------------------------------------------


def test_the_same_clusters_as_the_cli(cli: Path, planted: Path, tmp_path: Path) -> None:
    clusters = tmp_path / "clusters.jsonl"
    subprocess.run(
        [str(cli), "scan", "--level", "document", "-q", "--clusters", str(clusters), str(planted)],
        check=True,
    )
    expected = clusters.read_text()
    assert expected.count("\n") > 50, "the planted corpus should have clusters"
    table = pa_json.read_json(planted)
    r = textdup.Deduper().scan(table)
    assert r.cluster_lines() == expected
    # The table of clusters says what the CLI's lines say.
    members = [
        (c["cluster"], m["id"], m["similarity"], m["kept"])
        for c in map(json.loads, expected.splitlines())
        for m in c["members"]
    ]
    got = r.clusters.to_pydict()
    # Six decimals, rounded half away from zero as the CLI rounds them.
    rounded = [math.floor(s * 1e6 + 0.5) / 1e6 for s in got["similarity"]]
    assert list(zip(got["cluster"], got["id"], rounded, got["kept"])) == members
    # The summary is the CLI's JSON summary.
    out = subprocess.run(
        [str(cli), "scan", "--level", "document", "-q", "--format", "json", str(planted)],
        check=True,
        capture_output=True,
        text=True,
    )
    cli_summary = json.loads(out.stdout)["summary"]
    for key in ("read", "kept", "removed", "skipped", "clusters", "candidate_pairs", "parameters"):
        assert r.summary[key] == cli_summary[key], key


def test_the_same_passages_as_the_cli(cli: Path, planted: Path, tmp_path: Path) -> None:
    clusters = tmp_path / "clusters.jsonl"
    subprocess.run(
        [str(cli), "scan", "--level", "passage", "-q", "--clusters", str(clusters), str(planted)],
        check=True,
    )
    expected = [json.loads(line) for line in clusters.read_text().splitlines()]
    rows = textdup.Deduper().passages(pa_json.read_json(planted)).to_pylist()
    flat = [
        (c["level"], c["cluster"], m["id"], m["start"], m["end"], m["text"])
        for c in expected
        for m in c["members"]
    ]
    got = [(r["level"], r["cluster"], r["id"], r["start"], r["end"], r["text"]) for r in rows]
    assert sorted(got) == sorted(flat)
    assert len(got) > 20


def test_sketches_are_what_sketch_files_hold(cli: Path, planted: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    subprocess.run(
        [str(cli), "sketch", "-q", "--work", str(work), str(planted)], check=True
    )
    (sketch_file,) = work.glob("sketch-*.bin")
    records = read_sketch_file(sketch_file.read_bytes())
    table = pa_json.read_json(planted)
    made = textdup.sketch(table.column("text")).to_pylist()
    assert len(records) == len(made) == table.num_rows
    for (exact, keys), row in zip(records, made):
        assert row["exact"] == exact
        assert row["band_keys"] == keys


def read_sketch_file(data: bytes) -> list:
    """(exact hash bytes, band keys) of each document of a sketch file (the
    format documented in src/stagefile.rs), or (None, None) for one with
    nothing to compare."""
    at = 0

    def take(fmt: str) -> Any:
        nonlocal at
        values = struct.unpack_from("<" + fmt, data, at)
        at += struct.calcsize("<" + fmt)
        return values[0] if len(values) == 1 else values

    def text() -> str:
        nonlocal at
        n = take("I")
        at += n
        return data[at - n : at].decode()

    assert data[:8] == b"TXDSKTCH"
    at = 8
    take("I"), text(), take("Q")
    _perms, bands, _rows = take("III")
    text()
    slots = take("I")
    take("IIIQ")
    out = []
    while True:
        tag = take("B")
        if tag == 0:
            break
        if tag == 2:
            text()
            continue
        take("IQQ")
        if take("B"):
            exact = data[at : at + 16]
            at += 16
            keys = list(take(f"{bands}Q")) if bands > 1 else [take("Q")]
            out.append((exact, keys))
        else:
            out.append((None, None))
        at += 4 * slots
        text()
    return out


# --- bad rows, errors, interrupts ---------------------------------------------


def test_bad_rows_are_skipped_and_counted() -> None:
    rows: list = [TEXTS[0], None, 42, "   ", TEXTS[1], float("nan"), TEXTS[2]]
    d = textdup.Deduper(threshold=0.7)
    r = d.scan(rows)
    assert r.summary["skipped"] == 4
    assert r.summary["skipped_by_reason"] == {"not-a-string": 3, "empty": 1}
    assert r.summary["read"] == 7
    assert r.keep.to_pylist() == [True, True, True, True, False, True, True]
    assert d.dedup(rows)[:4] == [TEXTS[0], None, 42, "   "]


def test_bad_settings_are_value_errors_with_the_cli_message() -> None:
    with pytest.raises(ValueError, match=r"threshold must be in \(0, 1\], got 1.5"):
        textdup.Deduper(threshold=1.5)
    with pytest.raises(ValueError, match="unknown normalization step"):
        textdup.Deduper(normalize="lowercse")
    with pytest.raises(ValueError, match="unknown unit"):
        textdup.Deduper(unit="token")
    with pytest.raises(KeyError, match="no column 'body'"):
        textdup.Deduper().scan(pa.table({"text": TEXTS}), text="body")
    with pytest.raises(TypeError, match="not strings"):
        textdup.Deduper().scan(pa.table({"text": [1, 2]}))


def many_texts(n: int) -> pa.Array:
    words = BASE.split()
    return pa.array(
        [" ".join(words[i % 7 :] + [str(i), str(i * 7)]) for i in range(n)],
        type=pa.large_string(),
    )


def test_ctrl_c_stops_a_run() -> None:
    stages: list = []
    timers: list = []

    def progress(stage: str, done: int, total: Any) -> None:
        stages.append(stage)
        if not timers:
            # Sent from another thread once the run is under way, so that
            # it lands while the run works in Rust (or, as likely, during a
            # later callback): either way the run stops at its next check,
            # as the CLI does on Ctrl-C, long before sketching ends.
            timers.append(threading.Timer(0.01, os.kill, (os.getpid(), signal.SIGINT)))
            timers[0].start()

    try:
        with pytest.raises(KeyboardInterrupt):
            textdup.Deduper().scan(many_texts(400_000), progress=progress)
    finally:
        for timer in timers:
            timer.join()
    # Stopped in its first stage, not raised after a finished run.
    assert set(stages) == {"sketching"}, set(stages)


def test_an_exception_in_the_callback_stops_the_run() -> None:
    def fail(stage: str, done: int, total: Any) -> None:
        raise RuntimeError("callback failed")

    with pytest.raises(RuntimeError, match="callback failed"):
        textdup.Deduper().scan(many_texts(20_000), progress=fail)


def test_progress_and_the_gil() -> None:
    calls: list = []
    ticks = [0]
    done = threading.Event()

    def count() -> None:
        while not done.is_set():
            ticks[0] += 1

    counter = threading.Thread(target=count)
    counter.start()
    try:
        r = textdup.Deduper().scan(many_texts(100_000), progress=lambda *a: calls.append(a))
    finally:
        done.set()
        counter.join()
    assert r.summary["read"] == 100_000
    assert ticks[0] > 1000, "a Python thread ran while the scan worked"
    assert {c[0] for c in calls} >= {"sketching", "finding candidates"}


def test_tqdm_progress_bar() -> None:
    need("tqdm")
    r = textdup.Deduper().scan(TEXTS, progress=True)
    assert r.summary["read"] == 4


# --- building blocks -----------------------------------------------------------


def test_building_blocks() -> None:
    assert textdup.banding(0.8, 128) == textdup.Deduper().banding == (18, 6)
    sk = textdup.sketch(TEXTS + ["!!!"])
    rows = sk.to_pylist()
    assert rows[0]["exact"] == rows[1]["exact"]
    assert len(rows[0]["band_keys"]) == 18
    assert rows[4] == {"exact": None, "band_keys": None}
    sets = textdup.shingles(["a b c d e f", None]).to_pylist()
    assert len(sets[0]) == 2 and sets[0] == sorted(sets[0])
    assert sets[1] is None
    sims = textdup.similarity(["a b c d e f g h"], ["a b c d e f g x"]).to_pylist()
    assert sims == [pytest.approx(3 / 5)]
    same = textdup.similarity([TEXTS[0]], [TEXTS[1]]).to_pylist()
    assert same == [1.0]


def test_same_seed_same_result_on_any_thread_count(planted: Path) -> None:
    table = pa_json.read_json(planted)
    one = textdup.Deduper(threads=1).scan(table).cluster_lines()
    two = textdup.Deduper(threads=2).scan(table).cluster_lines()
    assert one == two


def test_the_stubs_pass_mypy_strict_on_the_examples() -> None:
    need("mypy")
    need("pyspark")
    examples = Path(__file__).resolve().parents[1] / "examples"
    # The engines' examples at the root, with the modules they use.
    engines = sorted(str(p) for p in (ROOT / "examples").glob("*.py"))
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(examples), *engines],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Success" in out.stdout


def test_notes_on_the_input_are_warnings() -> None:
    thai = "องค์การเพื่อความมั่นคงและความร่วมมือในยุโรปแถลงว่าจะดำเนินภารกิจติดตามสถานการณ์ต่อไป"
    with pytest.warns(UserWarning, match="Thai or Lao"):
        textdup.Deduper().scan([thai, thai + " 1"])

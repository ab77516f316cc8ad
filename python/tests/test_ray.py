"""textdup.ray against the CLI: the same clusters, kept members and
similarities, on a local Ray with two CPUs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pyarrow as pa
import pyarrow.json as pa_json
import pyarrow.parquet as pq
import pytest

from conftest import ROOT, cli_members, need, rounded


@pytest.fixture(scope="module")
def ray() -> Iterator[Any]:
    ray = need("ray")
    need("ray.data")
    import logging

    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.ERROR)
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield ray
    ray.shutdown()


def members(found: Any) -> list:
    return sorted(
        (r["cluster"], r["id"], rounded(r["similarity"]), r["kept"]) for r in found.take_all()
    )


def test_the_same_clusters_and_kept_rows_as_the_cli(
    ray: Any, cli: Path, planted10k: Path, tmp_path: Path
) -> None:
    from textdup.ray import dedup_with_clusters

    table = pa_json.read_json(planted10k)
    ds = ray.data.from_arrow(table).repartition(7)
    cleaned, found = dedup_with_clusters(ds, text="text", id="id")
    assert members(found) == cli_members(cli, planted10k, tmp_path)
    kept = tmp_path / "clean.jsonl"
    subprocess.run([str(cli), "dedup", "-q", str(planted10k), "-o", str(kept)], check=True)
    rows = cleaned.take_all()
    assert list(rows[0]) == ["id", "text"]
    assert [r["id"] for r in rows] == pa_json.read_json(kept).column("id").to_pylist()


def test_keep_shortest_with_an_order_column(
    ray: Any, cli: Path, planted10k: Path, tmp_path: Path
) -> None:
    from textdup.ray import clusters

    table = pa_json.read_json(planted10k).slice(0, 3000)
    source = tmp_path / "slice.jsonl"
    pa_json_lines(table, source)
    table = table.append_column("n", pa.array(range(3000), pa.int64()))
    # Rows shuffled: the order column, not the Dataset's order, decides.
    ds = ray.data.from_arrow(table).random_shuffle(seed=3)
    got = members(clusters(ds, keep="shortest", order="n"))
    assert got == cli_members(cli, source, tmp_path, "--keep", "shortest")


def pa_json_lines(table: pa.Table, path: Path) -> None:
    import json

    with path.open("w") as out:
        for row in table.to_pylist():
            out.write(json.dumps(row) + "\n")


def test_no_rows_no_clusters(ray: Any) -> None:
    from textdup.ray import dedup_with_clusters

    ds = ray.data.from_arrow(pa.table({"text": pa.array([], pa.string())}))
    cleaned, found = dedup_with_clusters(ds, id="text")
    assert cleaned.count() == 0 and found.count() == 0


def test_bad_arguments_are_errors_before_any_work(ray: Any) -> None:
    from textdup.ray import clusters

    ds = ray.data.from_items([{"text": "a b c"}])
    with pytest.raises(KeyError, match="no column 'body'"):
        clusters(ds, text="body")
    with pytest.raises(ValueError, match="keep"):
        clusters(ds, keep="middle")
    with pytest.raises(ValueError, match="threshold"):
        clusters(ds, threshold=1.5)


def test_the_example_runs(cli: Path, planted10k: Path, tmp_path: Path) -> None:
    need("ray")
    source = tmp_path / "in.parquet"
    pq.write_table(pa_json.read_json(planted10k).slice(0, 2000), source)
    expected = tmp_path / "cli.parquet"
    subprocess.run([str(cli), "dedup", "-q", str(source), "-o", str(expected)], check=True)
    out, found = tmp_path / "clean", tmp_path / "clusters"
    run = subprocess.run(
        [
            sys.executable, str(ROOT / "examples" / "ray_dedup.py"), str(source), str(out),
            "--clusters", str(found), "--cpus", "2",
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    written = pq.read_table(out)
    assert written.column_names == ["id", "text"]
    assert sorted(written.column("id").to_pylist()) == sorted(
        pq.read_table(expected).column("id").to_pylist()
    )
    assert f"2000 rows read, {written.num_rows} written" in run.stdout
    removed = [r for r in pq.read_table(found).to_pylist() if not r["kept"]]
    assert len(removed) == 2000 - written.num_rows > 0

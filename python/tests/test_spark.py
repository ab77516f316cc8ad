"""textdup.spark against the CLI: the same clusters, kept members and
similarities, on a local Spark with two cores, whatever the partitioning."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Iterator, List, Tuple

import pytest

from conftest import ROOT, cli_members, need, rounded

Member = Tuple[int, str, float, bool]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    need("pyspark")
    import os
    import sys

    from pyspark.sql import SparkSession

    # Workers run this interpreter (with textdup installed), not whichever
    # python3 comes first on PATH.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("textdup-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def corpus(planted10k: Path) -> Path:
    return planted10k


def frame(spark: Any, corpus: Path, partitions: int) -> Any:
    """The corpus as a DataFrame of (id, text, n) in file order, cut into
    `partitions` partitions."""
    rows = [
        (r["id"], r["text"], n)
        for n, r in enumerate(map(json.loads, corpus.read_text().splitlines()))
    ]
    data = spark.sparkContext.parallelize(rows, partitions)
    return spark.createDataFrame(data, "id string, text string, n long")


def spark_members(clusters: Any) -> List[Member]:
    return sorted(
        (r["cluster"], r["id"], rounded(r["similarity"]), r["kept"]) for r in clusters.collect()
    )


@pytest.mark.parametrize("partitions", [1, 2, 7])
def test_the_same_clusters_as_the_cli_on_any_partitioning(
    spark: Any, cli: Path, corpus: Path, tmp_path: Path, partitions: int
) -> None:
    from textdup.spark import clusters

    expected = cli_members(cli, corpus, tmp_path)
    got = spark_members(clusters(frame(spark, corpus, partitions), text="text", id="id"))
    assert got == expected


def test_keep_longest_and_an_order_column(
    spark: Any, cli: Path, corpus: Path, tmp_path: Path
) -> None:
    from textdup.spark import clusters

    expected = cli_members(cli, corpus, tmp_path, "--keep", "longest")
    df = frame(spark, corpus, 3)
    got = spark_members(clusters(df, keep="longest", order="n"))
    assert got == expected
    assert any(not kept for (_, _, _, kept) in got)


def test_dedup_keeps_what_the_cli_keeps_with_every_column(
    spark: Any, cli: Path, corpus: Path, tmp_path: Path
) -> None:
    from textdup.spark import dedup

    cleaned = tmp_path / "clean.jsonl"
    subprocess.run([str(cli), "dedup", "-q", str(corpus), "-o", str(cleaned)], check=True)
    kept = [json.loads(line)["id"] for line in cleaned.read_text().splitlines()]
    df = frame(spark, corpus, 2)
    out = dedup(df, text="text", id="id")
    assert out.columns == ["id", "text", "n"]
    rows = out.collect()
    assert [r["id"] for r in rows] == kept, "kept rows, in input order"
    assert len(rows) < df.count()


def test_bad_arguments_are_errors_before_any_work(spark: Any, corpus: Path) -> None:
    from textdup.spark import clusters

    df = frame(spark, corpus, 1).limit(10)
    with pytest.raises(KeyError, match="no column 'body'"):
        clusters(df, text="body")
    with pytest.raises(ValueError, match="keep"):
        clusters(df, keep="middle")
    with pytest.raises(ValueError, match="threshold"):
        clusters(df, threshold=1.5)


def test_the_example_runs_under_spark_submit(cli: Path, corpus: Path, tmp_path: Path) -> None:
    need("pyspark")
    import os
    import shutil
    import sys

    import pyarrow.json as pa_json
    import pyarrow.parquet as pq

    source = tmp_path / "in.parquet"
    pq.write_table(pa_json.read_json(corpus).slice(0, 3000), source)
    expected = tmp_path / "cli.parquet"
    subprocess.run([str(cli), "dedup", "-q", str(source), "-o", str(expected)], check=True)

    submit = shutil.which("spark-submit") or str(Path(sys.executable).parent / "spark-submit")
    out, found = tmp_path / "clean", tmp_path / "clusters"
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable)
    run = subprocess.run(
        [
            submit, "--master", "local[2]", "--conf", "spark.ui.enabled=false",
            str(ROOT / "examples" / "spark_dedup.py"), str(source), str(out),
            "--clusters", str(found),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    written = pq.read_table(out)
    assert written.column_names == ["id", "text"]
    assert written.column("id").to_pylist() == pq.read_table(expected).column("id").to_pylist()
    assert f"3000 rows read, {written.num_rows} written" in run.stdout
    removed = [r for r in pq.read_table(found).to_pylist() if not r["kept"]]
    assert len(removed) == 3000 - written.num_rows > 0


def test_huge_buckets_pair_as_the_cli_pairs_them(spark: Any) -> None:
    """The CLI's rule (lsh::bucket_pairs): a bucket's first 64 members
    pairwise, each later one with those 64 and with its neighbour."""
    from textdup.spark import BUCKET_ALL_PAIRS, _candidates

    sizes = [1, 2, 3, 64, 65, 66, 200]
    rows, expected, order = [], set(), 0
    for band, size in enumerate(sizes):
        members = list(range(order, order + size))
        order += size
        for i, m in enumerate(members):
            keys = [0] * len(sizes)
            keys[band] = 1000 + band
            # Elsewhere a key of its own.
            for other in range(len(sizes)):
                if other != band:
                    keys[other] = -(m * 100 + other) - 1
            rows.append((m, keys))
            heads = min(size, BUCKET_ALL_PAIRS)
            for j in range(min(i, heads)):
                expected.add((members[j], m))
            if i > heads:
                expected.add((members[i - 1], m))
    df = spark.createDataFrame(rows, "__textdup_order long, keys array<long>")
    got = {(r["a"], r["b"]) for r in _candidates(df, []).collect()}
    assert got == expected
    # 200 members: the heads pairwise, 136 with each head, 135 neighbours.
    assert len(expected) == 1 + 3 + 2016 + 2080 + 2145 + (2016 + 136 * 64 + 135)


def test_components_of_long_chains_and_stars(spark: Any) -> None:
    import random

    from textdup.spark import _components

    rng = random.Random(5)
    edges, parent = [], {}

    def find(x: int) -> int:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    # A shuffled path of 300 nodes, stars, and random sparse links.
    path = list(range(300))
    rng.shuffle(path)
    edges += list(zip(path, path[1:]))
    edges += [(1000, 1000 + k) for k in range(1, 50)]
    edges += [(rng.randrange(2000, 2600), rng.randrange(2000, 2600)) for _ in range(400)]
    for a, b in edges:
        if a != b:
            ra, rb = find(a), find(b)
            parent[max(ra, rb)] = min(ra, rb)
    expected = {node: find(node) for a, b in edges for node in (a, b) if a != b}
    df = spark.createDataFrame(edges, "a long, b long")
    got = {r["__textdup_order"]: r["root"] for r in _components(df).collect()}
    assert got == expected

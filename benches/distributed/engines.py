"""One engine's run for benches/distributed/run.sh: textdup on Spark or on
Ray over a Parquet corpus, or text-dedup's Spark MinHash's output turned
into predicted clusters. Writes NAME.pred.jsonl ({"id", "cluster"}) for
`textdup eval`, and NAME.metrics.json: wall time, peak memory of each
process role (sampled from /proc every 0.2 s over the whole process tree),
and for Spark the executors' CPU time and shuffle bytes of every stage
(from Spark's REST API).

    python engines.py measure OUT_PREFIX -- COMMAND...   # any run, timed and sampled
    python engines.py spark CORPUS.parquet OUT_PREFIX [--partitions N]
    python engines.py ray   CORPUS.parquet OUT_PREFIX
    python engines.py text-dedup-pred CORPUS.parquet ASSIGNMENT_DIR OUT_PREFIX
    python engines.py eventlog EVENT_LOG_DIR OUT_PREFIX   # a spark-submit run's stages
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from typing import Any, Dict, List

import pyarrow.parquet as pq


class Sampler(threading.Thread):
    """Peak resident memory of this process's tree, by role."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.peaks: Dict[str, int] = {}
        self.stop = threading.Event()

    def role(self, pid: int, cmdline: str) -> str:
        if pid == self.root:
            return "textdup CLI" if "textdup" in cmdline.split(" ")[0] else "driver (python)"
        program = os.path.basename(cmdline.split(" ")[0])
        if program == "textdup":
            return "textdup CLI"
        if program == "java":
            return "spark JVM (driver and executor)"
        if "pyspark" in cmdline:
            return "spark python workers"
        if "raylet" in cmdline or "gcs_server" in cmdline:
            return "ray raylet, object store and GCS"
        if "ray" in cmdline:
            return "ray workers"
        if "python" in program:
            return "driver (python)"
        return "other"

    def tree(self) -> Dict[int, str]:
        parents: Dict[int, int] = {}
        commands: Dict[int, str] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    commands[int(entry)] = f.read().replace(b"\0", b" ").decode(errors="replace")
            except (OSError, IndexError, ValueError):
                continue
        mine = {self.root}
        grew = True
        while grew:
            grew = False
            for pid, parent in parents.items():
                if parent in mine and pid not in mine:
                    mine.add(pid)
                    grew = True
        return {pid: commands.get(pid, "") for pid in mine}

    def run(self) -> None:
        while not self.stop.is_set():
            totals: Dict[str, int] = {}
            for pid, cmdline in self.tree().items():
                try:
                    with open(f"/proc/{pid}/status") as f:
                        rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
                except (OSError, StopIteration):
                    continue
                role = self.role(pid, cmdline)
                totals[role] = totals.get(role, 0) + rss
            totals["all"] = sum(totals.values())
            for role, kb in totals.items():
                self.peaks[role] = max(self.peaks.get(role, 0), kb)
            self.stop.wait(0.2)


def write_pred(rows: List[Dict[str, Any]], corpus: str, path: str) -> None:
    """Every document of `corpus` with its cluster: `rows` name the
    clustered ones; each other one is a cluster of its own (numbered after
    them), as `textdup eval` wants every document named."""
    cluster = {r["id"]: int(r["cluster"]) for r in rows}
    labels = {c: i for i, c in enumerate(sorted(set(cluster.values())))}
    alone = len(labels)
    with open(path, "w") as out:
        for doc in pq.read_table(corpus, columns=["id"]).column("id").to_pylist():
            if doc in cluster:
                label = labels[cluster[doc]]
            else:
                label, alone = alone, alone + 1
            out.write(json.dumps({"id": doc, "cluster": label}) + "\n")


def spark_stages(ui: str, app: str) -> List[Dict[str, Any]]:
    url = f"{ui}/api/v1/applications/{app}/stages?status=complete"
    with urllib.request.urlopen(url) as response:
        stages = json.load(response)
    return [
        {
            "stage": s["stageId"],
            "name": s["name"],
            "tasks": s["numTasks"],
            "cpu_s": s["executorCpuTime"] / 1e9,
            "run_s": s["executorRunTime"] / 1e3,
            "shuffle_write_bytes": s["shuffleWriteBytes"],
            "shuffle_read_bytes": s["shuffleReadBytes"],
            "input_bytes": s["inputBytes"],
        }
        for s in sorted(stages, key=lambda s: s["stageId"])
    ]


def run_spark(corpus: str, prefix: str, partitions: int) -> Dict[str, Any]:
    from pyspark.sql import SparkSession

    from textdup.spark import clusters

    # Workers run this interpreter, which has textdup.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("textdup-distributed-bench")
        .config("spark.driver.memory", "8g")
        .config("spark.sql.shuffle.partitions", str(partitions))
        .config("spark.sql.files.maxPartitionBytes", str(64 << 20))
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    import logging

    rounds: List[str] = []

    class Rounds(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            rounds.append(record.getMessage())

    logger = logging.getLogger("textdup.spark")
    logger.setLevel(logging.INFO)
    logger.addHandler(Rounds())
    started = time.perf_counter()
    df = spark.read.parquet(corpus)
    rows = [r.asDict() for r in clusters(df, text="text", id="id").collect()]
    wall = time.perf_counter() - started
    write_pred(rows, corpus, f"{prefix}.pred.jsonl")
    stages = spark_stages(spark.sparkContext.uiWebUrl or "", spark.sparkContext.applicationId)
    spark.stop()
    return {"wall_s": wall, "log": rounds, "stages": stages}


def run_ray(corpus: str, prefix: str) -> Dict[str, Any]:
    import logging

    import ray
    import ray.data

    from textdup.ray import clusters

    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.ERROR)
    ray.data.DataContext.get_current().enable_progress_bars = False
    started = time.perf_counter()
    ds = ray.data.read_parquet(corpus)
    rows = clusters(ds, text="text", id="id").take_all()
    wall = time.perf_counter() - started
    write_pred(rows, corpus, f"{prefix}.pred.jsonl")
    try:
        # Needs grpcio, which ray[data] does not bring.
        from ray._private.internal_api import memory_summary

        store = memory_summary(stats_only=True).strip().splitlines()[-12:]
    except ImportError as e:
        store = [f"object store summary unavailable: {e}"]
    ray.shutdown()
    return {"wall_s": wall, "object_store": store}


def text_dedup_pred(corpus: str, assignment: str, prefix: str) -> Dict[str, Any]:
    """text-dedup's assignment (its __id__, here our row number `n`, to a
    component) as predicted clusters by document id."""
    ids = pq.read_table(corpus, columns=["id", "n"]).to_pydict()
    id_of = dict(zip(ids["n"], ids["id"]))
    table = pq.read_table(assignment).to_pydict()
    rows = [{"id": id_of[n], "cluster": c} for n, c in zip(table["id"], table["component"])]
    write_pred(rows, corpus, f"{prefix}.pred.jsonl")
    return {"assigned": len(rows)}


def eventlog_stages(folder: str) -> List[Dict[str, Any]]:
    """Per stage of a run's Spark event log: executor CPU time and shuffle
    bytes, summed over its tasks (what the REST API gives a live run)."""
    stages: Dict[int, Dict[str, Any]] = {}
    # Spark 4 writes a folder per application (eventlog_v2_*), of rolled files.
    paths = sorted(os.path.join(d, n) for d, _, names in os.walk(folder) for n in names)
    for path in paths:
        name = os.path.basename(path)
        if name.startswith((".", "appstatus")) or name.endswith(".inprogress"):
            continue
        # Spark 4 compresses them with zstd unless told not to.
        if path.endswith(".zstd"):
            import pyarrow as pa

            with pa.CompressedInputStream(path, "zstd") as raw:
                lines = raw.read().decode().splitlines()
        else:
            with open(path) as f:
                lines = f.read().splitlines()
        for line in lines:
            if not line:
                continue
            event = json.loads(line)
            if event.get("Event") != "SparkListenerTaskEnd":
                continue
            metrics = event.get("Task Metrics") or {}
            stage = stages.setdefault(
                event["Stage ID"],
                {"stage": event["Stage ID"], "name": "", "tasks": 0, "cpu_s": 0.0,
                 "run_s": 0.0, "shuffle_write_bytes": 0, "shuffle_read_bytes": 0,
                 "input_bytes": 0},
            )
            read = metrics.get("Shuffle Read Metrics", {})
            stage["tasks"] += 1
            stage["cpu_s"] += metrics.get("Executor CPU Time", 0) / 1e9
            stage["run_s"] += metrics.get("Executor Run Time", 0) / 1e3
            stage["shuffle_write_bytes"] += metrics.get("Shuffle Write Metrics", {}).get(
                "Shuffle Bytes Written", 0
            )
            stage["shuffle_read_bytes"] += read.get("Remote Bytes Read", 0) + read.get(
                "Local Bytes Read", 0
            )
            stage["input_bytes"] += metrics.get("Input Metrics", {}).get("Bytes Read", 0)
    return [stages[k] for k in sorted(stages)]


def measure(prefix: str, command: List[str]) -> None:
    """Runs `command`, sampling its process tree; adds wall time and peak
    memory by role to PREFIX.metrics.json (merged with what the engine
    wrote there)."""
    started = time.perf_counter()
    child = subprocess.Popen(command)
    sampler = Sampler(child.pid)
    sampler.start()
    status = child.wait()
    sampler.stop.set()
    sampler.join()
    path = f"{prefix}.metrics.json"
    metrics: Dict[str, Any] = {}
    if os.path.exists(path):
        with open(path) as f:
            metrics = json.load(f)
    metrics["process_wall_s"] = time.perf_counter() - started
    metrics["peak_rss_mb"] = {k: round(v / 1024) for k, v in sampler.peaks.items()}
    with open(path, "w") as out:
        json.dump(metrics, out, indent=1)
    if status != 0:
        sys.exit(f"{command[0]} exited with status {status}")


def main() -> None:
    if len(sys.argv) > 3 and sys.argv[1] == "measure" and sys.argv[3] == "--":
        measure(sys.argv[2], sys.argv[4:])
        return
    if len(sys.argv) == 4 and sys.argv[1] == "eventlog":
        path = f"{sys.argv[3]}.metrics.json"
        with open(path) as f:
            metrics = json.load(f)
        metrics["stages"] = eventlog_stages(sys.argv[2])
        with open(path, "w") as out:
            json.dump(metrics, out, indent=1)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("engine", choices=["spark", "ray", "text-dedup-pred"])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--partitions", type=int, default=16)
    args = parser.parse_args()
    if args.engine == "spark":
        corpus, prefix = args.paths
        metrics = run_spark(corpus, prefix, args.partitions)
    elif args.engine == "ray":
        corpus, prefix = args.paths
        metrics = run_ray(corpus, prefix)
    else:
        corpus, assignment, prefix = args.paths
        metrics = text_dedup_pred(corpus, assignment, prefix)
    with open(f"{prefix}.metrics.json", "w") as out:
        json.dump(metrics, out, indent=1)


if __name__ == "__main__":
    main()

"""Deduplicate a Parquet dataset on Ray with textdup, and write the cleaned
rows (every column) as Parquet.

    pip install ./python "ray[data]"
    python examples/ray_dedup.py data/ clean/ --text text --id id --cpus 2

On a Ray cluster, start it as any Ray Data job. The workers need the
package: build its wheel (`pip wheel ./python -w dist/`) and name it in
the job's runtime_env, or install it in the cluster's image:

    ray job submit --runtime-env-json '{"pip": ["dist/textdup-0.1.0-cp39-abi3-linux_x86_64.whl"]}' \\
        -- python examples/ray_dedup.py s3://bucket/crawl/ s3://bucket/clean/

Add --clusters DIR to also write the clusters (id, cluster, similarity,
kept).
"""

from __future__ import annotations

import argparse

import ray
import ray.data

from textdup.ray import dedup_with_clusters


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", help="Parquet file or folder")
    parser.add_argument("output", help="folder to write the cleaned Parquet files to")
    parser.add_argument("--text", default="text", help="the text column")
    parser.add_argument("--id", default="id", help="the id column (for --clusters)")
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--keep", default="first", choices=["first", "longest", "shortest"])
    parser.add_argument("--clusters", help="also write the clusters here (Parquet)")
    parser.add_argument("--cpus", type=int, help="start a local Ray with this many CPUs")
    args = parser.parse_args()

    ray.init(num_cpus=args.cpus, include_dashboard=False)
    ds = ray.data.read_parquet(args.input)
    cleaned, found = dedup_with_clusters(
        ds, text=args.text, id=args.id, threshold=args.threshold, keep=args.keep
    )
    cleaned.write_parquet(args.output)
    if args.clusters:
        found.write_parquet(args.clusters)
    written = ray.data.read_parquet(args.output).count()
    print(f"{ds.count()} rows read, {written} written to {args.output}")
    ray.shutdown()


if __name__ == "__main__":
    main()

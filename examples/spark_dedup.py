"""Deduplicate a Parquet dataset on Apache Spark with textdup, and write the
cleaned rows (every column) as Parquet.

On one machine (Spark in local mode, Java 17, the package installed from
this repository):

    pip install ./python pyspark
    python examples/spark_dedup.py data/ clean/ --text text --id id

On a cluster, the executors need the package too. It holds a native
module, so ship it in a packed virtualenv rather than with --py-files
(Python cannot import a native module from a zip):

    python -m venv env && env/bin/pip install ./python venv-pack
    env/bin/venv-pack -o env.tar.gz
    PYSPARK_PYTHON=./environment/bin/python spark-submit \\
        --master yarn --archives env.tar.gz#environment \\
        examples/spark_dedup.py s3://bucket/crawl/ s3://bucket/clean/

Add --clusters DIR to also write which rows were removed in favour of
which (id, cluster, similarity, kept).
"""

from __future__ import annotations

import argparse

from pyspark.sql import SparkSession

from textdup.spark import dedup_with_clusters


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", help="Parquet file or folder")
    parser.add_argument("output", help="Parquet folder to write (must not exist)")
    parser.add_argument("--text", default="text", help="the text column")
    parser.add_argument("--id", default="id", help="the id column (for --clusters)")
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--keep", default="first", choices=["first", "longest", "shortest"])
    parser.add_argument("--clusters", help="also write the clusters here (Parquet)")
    args = parser.parse_args()

    spark = SparkSession.builder.appName("textdup-dedup").getOrCreate()
    df = spark.read.parquet(args.input)
    cleaned, found = dedup_with_clusters(
        df, text=args.text, id=args.id, threshold=args.threshold, keep=args.keep
    )
    cleaned.write.mode("errorifexists").parquet(args.output)
    if args.clusters:
        found.write.mode("errorifexists").parquet(args.clusters)
    written = spark.read.parquet(args.output).count()
    print(f"{df.count()} rows read, {written} written to {args.output}")
    spark.stop()


if __name__ == "__main__":
    main()

"""textdup on Apache Spark: the same clusters as ``textdup scan --level
document``, computed as Spark operations over a DataFrame.

    >>> from textdup.spark import dedup, clusters
    >>> out = dedup(df, text="text", id="id", threshold=0.8, keep="first")
    >>> cl = clusters(df, text="text", id="id")   # id, cluster, similarity, kept

Nothing is collected to the driver; every step is a DataFrame operation,
and the Rust core runs inside them on the executors:

1. **Sketch** (``mapInArrow``): each text's exact-text hash, its LSH band
   keys and its length in bytes, as the CLI computes them.
2. **Exact copies**: rows with the same exact hash; the first (in input
   order) is the *first copy*, and each other joins it.
3. **Candidates**: the first copies' band keys exploded to (band, key)
   rows and grouped into buckets. A bucket pairs as the CLI's does
   (``BUCKET_ALL_PAIRS`` = 64): its first 64 members pairwise, each later
   member with those 64 and with its neighbour in the bucket. That keeps a
   bucket of k members at under 65·k pairs, where all pairs would be
   k(k−1)/2.
4. **Verification** (``mapInArrow``): the exact Jaccard similarity of each
   candidate pair, from the two documents' shingle sets. Each set is
   computed once, in Rust, where its text lies (the candidates' orders are
   broadcast to pick the texts out when there are at most
   ``BROADCAST_ROWS`` of them), and only the sets are shuffled to meet
   their pairs.
5. **Components**: the large-star / small-star iteration (Kiveris et al.,
   "Connected Components in MapReduce and Beyond", 2014) over the verified
   pairs and exact copies, as DataFrame joins, with the edges checkpointed
   every few rounds so that the plan does not grow with the rounds. Each
   component ends as a star around its least row: the first member.
6. **Keep** (``first``, ``longest`` or ``shortest``, ties to the earliest
   row) and each member's similarity to the kept one, then an anti-join
   for the cleaned DataFrame.

Input order is what ``keep="first"`` and the cluster numbers follow: the
DataFrame's order, partition by partition (``monotonically_increasing_id``),
or the column named by ``order=`` (any unique, sortable column), which
spares the run from caching the input to pin that order down. Given the
same rows in the same order, the result does not depend on the number of
partitions or executors.

The job runs when :func:`clusters` or :func:`dedup` is called: the
result is stored (checkpointed) and what the run cached on the executors
is released, so the DataFrame returned reads the stored result. The Rust
core runs one thread per Spark task by default (``threads=1``): Spark
already runs one task per core.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pyarrow as pa
import pyarrow.compute as pc

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import (
    ArrayType,
    BinaryType,
    BooleanType,
    DoubleType,
    IntegerType,
    LongType,
    StructField,
    StructType,
)

import textdup
from textdup import _textdup

__all__ = ["dedup", "clusters", "dedup_with_clusters", "BUCKET_ALL_PAIRS"]

#: A bucket pairs its first this many members pairwise, and each later
#: member with them and with its neighbour (the CLI's rule).
BUCKET_ALL_PAIRS: int = _textdup.BUCKET_ALL_PAIRS

#: Rounds of the component iteration between checkpoints.
CHECKPOINT_EVERY = 3

#: A list of document orders this long or shorter (40 MB of them) is
#: broadcast to every executor to pick rows out of the texts or the
#: shingle sets where they lie, rather than shuffling those to meet it.
BROADCAST_ROWS = 5_000_000

_log = logging.getLogger(__name__)

_ORDER = "__textdup_order"
_KEEPS = ("first", "longest", "shortest")

Batches = Iterator[pa.RecordBatch]


def clusters(
    df: DataFrame,
    text: str = "text",
    id: str = "id",
    threshold: float = 0.8,
    keep: str = "first",
    order: Optional[str] = None,
    threads: int = 1,
    **settings: Any,
) -> DataFrame:
    """One row per clustered document: ``id``, ``cluster`` (numbered from 0
    by first member, as the CLI numbers them), ``similarity`` (exact
    Jaccard to the kept member) and ``kept``. Documents in no cluster have
    no row. The job runs when this is called; the DataFrame returned reads
    its stored result.

    ``settings`` are :class:`textdup.Deduper`'s (``ngram``, ``unit``,
    ``num_perm``, ``seed``, ``normalize``, ``bands``, ``rows``).
    """
    run = _Run(df, text, id, threshold, keep, order, threads, settings)
    return run.members().select(
        F.col(id).alias("id"), "cluster", "similarity", "kept"
    )


def dedup(
    df: DataFrame,
    text: str = "text",
    id: str = "id",
    threshold: float = 0.8,
    keep: str = "first",
    order: Optional[str] = None,
    threads: int = 1,
    **settings: Any,
) -> DataFrame:
    """``df`` without its near-duplicates: every column kept, in input
    order, one document (the kept one) left of each cluster. Arguments as
    for :func:`clusters`."""
    return dedup_with_clusters(df, text, id, threshold, keep, order, threads, **settings)[0]


def dedup_with_clusters(
    df: DataFrame,
    text: str = "text",
    id: str = "id",
    threshold: float = 0.8,
    keep: str = "first",
    order: Optional[str] = None,
    threads: int = 1,
    **settings: Any,
) -> Tuple[DataFrame, DataFrame]:
    """:func:`dedup` and :func:`clusters` of one run: the work is done
    once (its clusters are kept on the executors) for both outputs."""
    run = _Run(df, text, id, threshold, keep, order, threads, settings)
    members = run.members()
    removed = members.where(~F.col("kept")).select(_ORDER)
    cleaned = run.indexed.join(removed, _ORDER, "left_anti").orderBy(_ORDER)
    cleaned = cleaned.drop(_ORDER) if order is None else cleaned.withColumnRenamed(_ORDER, order)
    found = members.select(F.col(id).alias("id"), "cluster", "similarity", "kept")
    return cleaned, found


class _Run:
    """One deduplication over a DataFrame: the steps of the module docs, as
    lazy DataFrames built on one another."""

    def __init__(
        self,
        df: DataFrame,
        text: str,
        id: str,
        threshold: float,
        keep: str,
        order: Optional[str],
        threads: int,
        settings: Dict[str, Any],
    ) -> None:
        for name in (text, id) + ((order,) if order else ()):
            if name not in df.columns:
                raise KeyError(f"no column {name!r} (columns: {', '.join(df.columns)})")
        if keep not in _KEEPS:
            raise ValueError(f"keep must be one of {', '.join(_KEEPS)}, not {keep!r}")
        if _ORDER in df.columns:
            raise ValueError(f"the column name {_ORDER!r} is textdup's own")
        self.settings = dict(settings, threshold=threshold, threads=threads)
        # Checks the settings on the driver, with the library's message.
        textdup.Deduper(**self.settings)
        self.spark = df.sparkSession
        self.text, self.id, self.keep, self.threshold = text, id, keep, threshold
        if order is None:
            # Pinned once: a second evaluation of the input could deal its
            # rows to partitions in another order.
            self.indexed = df.withColumn(_ORDER, F.monotonically_increasing_id()).persist(
                StorageLevel.MEMORY_AND_DISK
            )
        else:
            self.indexed = df.withColumnRenamed(order, _ORDER)
        self._members: Optional[DataFrame] = None
        # What this run caches on the executors until its result is stored.
        self._held: List[DataFrame] = []

    def members(self) -> DataFrame:
        """Every clustered document with its cluster, similarity and kept
        flag, computed now and stored (cut from its plan): the cached
        intermediates are released before this returns."""
        if self._members is None:
            built = self._build()
            self._members = _checkpoint(built, reliable=True)
            for df in self._held:
                df.unpersist()
            self._held.clear()
        return self._members

    def _build(self) -> DataFrame:
        sketches = self._sketches()
        # The first copy of each exact text: exact copies join it.
        by_text = Window.partitionBy("exact")
        sketches = self._hold(sketches.withColumn("first", F.min(_ORDER).over(by_text)))
        copies = sketches.where(F.col(_ORDER) != F.col("first")).select(
            F.col(_ORDER).alias("a"), F.col("first").alias("b")
        )
        firsts = sketches.where(F.col(_ORDER) == F.col("first"))
        pairs = self._hold(_candidates(firsts, self._held))
        # Kept for the similarities to kept members below: those are
        # between first copies of clusters, and every such first copy is
        # in a candidate pair. Built once, the texts travel once.
        sets = self._hold(
            self._shingle_sets(
                pairs.select(F.col("a").alias(_ORDER)).union(pairs.select(F.col("b").alias(_ORDER)))
            )
        )
        scored = self._hold(self._scored(pairs, sets))
        similar = scored.where(F.col("similarity") >= F.lit(self.threshold)).select("a", "b")
        roots = _components(copies.union(similar))

        # Each member with its first copy and length; the kept member of
        # each component, and its first copy.
        members = roots.join(sketches.select(_ORDER, "first", "bytes"), _ORDER)
        if self.keep == "first":
            kept = members.where(F.col(_ORDER) == F.col("root"))
        else:
            by_size = F.col("bytes").desc() if self.keep == "longest" else F.col("bytes").asc()
            pick = Window.partitionBy("root").orderBy(by_size, F.col(_ORDER).asc())
            kept = members.withColumn("rank", F.row_number().over(pick)).where(F.col("rank") == 1)
        kept = kept.select("root", F.col(_ORDER).alias("kept_row"), F.col("first").alias("kept_first"))
        members = members.join(kept, "root")

        # Similarity to the kept member: 1 for its exact copies, else the
        # verified pair's, else computed now (a member joined through a
        # chain need not have been a candidate with the kept one).
        lo = F.least("first", "kept_first")
        hi = F.greatest("first", "kept_first")
        members = members.withColumn("a", lo).withColumn("b", hi)
        wanted = members.where(F.col("a") != F.col("b")).select("a", "b").distinct()
        known = wanted.join(scored, ["a", "b"])
        unknown = wanted.join(scored, ["a", "b"], "left_anti")
        # Members joined to the kept one through a chain: few pairs.
        similarities = known.union(self._scored(unknown, sets, few=True))
        members = (
            members.join(similarities, ["a", "b"], "left")
            .withColumn(
                "similarity",
                F.when(F.col("a") == F.col("b"), F.lit(1.0)).otherwise(F.col("similarity")),
            )
            .withColumn("kept", F.col(_ORDER) == F.col("kept_row"))
        )
        numbers = _number(members.select("root").distinct(), "root", "cluster", self.spark)
        members = members.join(numbers, "root").select(_ORDER, "cluster", "similarity", "kept")
        return (
            members.join(self.indexed.select(_ORDER, self.id), _ORDER)
            .orderBy("cluster", _ORDER)
        )

    def _hold(self, df: DataFrame) -> DataFrame:
        """`df` cached until the run's result is stored."""
        self._held.append(df.persist(StorageLevel.MEMORY_AND_DISK))
        return self._held[-1]

    def _sketches(self) -> DataFrame:
        """Per document with words: its order, exact hash, bytes, band keys."""
        settings = self.settings
        schema = StructType(
            [
                StructField(_ORDER, LongType(), False),
                StructField("exact", BinaryType(), True),
                StructField("bytes", LongType(), True),
                StructField("keys", ArrayType(LongType(), False), True),
            ]
        )

        def sketch(batches: Batches) -> Batches:
            deduper = textdup.Deduper(**settings)
            for batch in batches:
                texts = batch.column(1)
                sketched = deduper.sketch(texts)
                exact = sketched.column("exact").combine_chunks().cast(pa.binary())
                keys = pc.cast(
                    sketched.column("band_keys").combine_chunks(),
                    pa.list_(pa.int64()),
                    safe=False,
                )
                # Bytes of the original text, as the CLI measures length.
                lengths: Any = pc.cast(pc.binary_length(texts), pa.int64())  # type: ignore[call-overload]
                yield pa.RecordBatch.from_arrays(
                    [batch.column(0), exact, lengths, keys],
                    schema=_arrow(schema),
                )

        return (
            self.indexed.select(_ORDER, F.col(self.text))
            .mapInArrow(sketch, schema)
            # A text with no words to compare is in no cluster, as in the CLI.
            .where(F.col("exact").isNotNull())
        )

    def _shingle_sets(self, rows: DataFrame) -> DataFrame:
        """The shingle sets of the documents whose order is in `rows`."""
        settings = self.settings
        schema = StructType(
            [
                StructField(_ORDER, LongType(), False),
                StructField("set", ArrayType(IntegerType(), False), True),
            ]
        )

        def shingles(batches: Batches) -> Batches:
            deduper = textdup.Deduper(**settings)
            for batch in batches:
                sets = pc.cast(
                    deduper.shingles(batch.column(1)), pa.list_(pa.int32()), safe=False
                )
                yield pa.RecordBatch.from_arrays([batch.column(0), sets], schema=_arrow(schema))

        return (
            self.indexed.select(_ORDER, F.col(self.text))
            .join(_broadcast_if_small(rows.distinct(), self._held), _ORDER, "left_semi")
            .mapInArrow(shingles, schema)
        )

    def _scored(self, pairs: DataFrame, sets: DataFrame, few: bool = False) -> DataFrame:
        """`pairs` (a, b) with the exact Jaccard similarity of their sets;
        `few` when the pairs need only a few of the sets."""
        schema = StructType(
            [
                StructField("a", LongType(), False),
                StructField("b", LongType(), False),
                StructField("similarity", DoubleType(), True),
            ]
        )

        def jaccard(batches: Batches) -> Batches:
            for batch in batches:
                scores = _textdup.jaccard_arrow(batch.column(2), batch.column(3))
                similarity = pa.record_batch(scores).column(0)
                yield pa.RecordBatch.from_arrays(
                    [batch.column(0), batch.column(1), similarity], schema=_arrow(schema)
                )

        if few:
            # Only the sets these pairs need, by a broadcast filter over
            # the sets where they lie, rather than all of them shuffled.
            ends = pairs.select(F.col("a").alias(_ORDER)).union(
                pairs.select(F.col("b").alias(_ORDER))
            )
            sets = sets.join(_broadcast_if_small(ends.distinct(), self._held), _ORDER, "left_semi")
        left = sets.select(F.col(_ORDER).alias("a"), F.col("set").alias("set_a"))
        right = sets.select(F.col(_ORDER).alias("b"), F.col("set").alias("set_b"))
        return (
            pairs.join(left, "a")
            .join(right, "b")
            .select("a", "b", "set_a", "set_b")
            .mapInArrow(jaccard, schema)
        )


def _broadcast_if_small(rows: DataFrame, held: List[DataFrame]) -> DataFrame:
    """`rows` (cached, added to `held`, and counted: one action) marked
    for broadcast when there are at most BROADCAST_ROWS of them."""
    rows = rows.persist(StorageLevel.MEMORY_AND_DISK)
    held.append(rows)
    return F.broadcast(rows) if rows.count() <= BROADCAST_ROWS else rows


def _arrow(schema: StructType) -> pa.Schema:
    """The Arrow schema Spark expects back from a `mapInArrow` function."""
    types: Dict[type, Callable[[Any], pa.DataType]] = {
        LongType: lambda _: pa.int64(),
        BinaryType: lambda _: pa.binary(),
        DoubleType: lambda _: pa.float64(),
        BooleanType: lambda _: pa.bool_(),
        IntegerType: lambda _: pa.int32(),
    }

    def of(t: Any) -> pa.DataType:
        if isinstance(t, ArrayType):
            return pa.list_(pa.field("element", of(t.elementType), t.containsNull))
        return types[type(t)](t)

    return pa.schema([pa.field(f.name, of(f.dataType), f.nullable) for f in schema.fields])


def _candidates(firsts: DataFrame, held: List[DataFrame]) -> DataFrame:
    """Candidate pairs (a < b, by order) of first copies sharing a band key,
    each bucket paired as the CLI pairs it."""
    banded = firsts.select(_ORDER, F.posexplode("keys").alias("band", "key"))
    bucket = Window.partitionBy("band", "key")
    in_order = bucket.orderBy(_ORDER)
    ranked = (
        banded.withColumn("size", F.count(F.lit(1)).over(bucket))
        .where(F.col("size") >= 2)
        .withColumn("rank", F.row_number().over(in_order) - 1)
        .withColumn("previous", F.lag(_ORDER).over(in_order))
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    held.append(ranked)
    heads = ranked.where(F.col("rank") < BUCKET_ALL_PAIRS).select(
        "band", "key", F.col(_ORDER).alias("head"), F.col("rank").alias("head_rank")
    )
    # Each member with every head before it: all pairs among the heads,
    # and each later member with all the heads.
    with_heads = (
        ranked.join(heads, ["band", "key"])
        .where(F.col("head_rank") < F.least(F.col("rank"), F.lit(BUCKET_ALL_PAIRS)))
        .select(F.col("head").alias("a"), F.col(_ORDER).alias("b"))
    )
    # And each member past the heads with its neighbour, so that two late
    # members of a huge bucket still meet.
    neighbours = ranked.where(F.col("rank") > BUCKET_ALL_PAIRS).select(
        F.col("previous").alias("a"), F.col(_ORDER).alias("b")
    )
    return with_heads.union(neighbours).distinct()


def _checkpoint(df: DataFrame, reliable: bool) -> DataFrame:
    """`df` computed now and cut from its plan: on the checkpoint folder if
    the SparkContext has one and `reliable`, else on the executors."""
    if reliable and df.sparkSession.sparkContext.getCheckpointDir():
        return df.checkpoint(eager=True)
    return df.localCheckpoint(eager=True)


def _components(edges: DataFrame) -> DataFrame:
    """Per node of `edges` (columns a, b), its component's least node:
    ``(order, root)``, roots included.

    Alternates large-star and small-star until every component is a star
    around its least node: then each node but the root has one edge, to
    the root, and no root has an edge of its own."""
    a, b = F.col("a"), F.col("b")
    # Oriented from the larger node to the smaller.
    current = edges.select(F.greatest(a, b).alias("a"), F.least(a, b).alias("b")).where(a != b)
    current = _checkpoint(current.distinct(), reliable=True)
    round = 0
    while True:
        round += 1
        # Large-star: each node's larger neighbours go to its least
        # neighbour (or to itself).
        both = current.union(current.select(b.alias("a"), a.alias("b")))
        least = both.groupBy("a").agg(F.min("b").alias("m"))
        least = least.withColumn("m", F.least(a, F.col("m")))
        large = (
            both.join(least, "a")
            .where(b > a)
            .select(b.alias("a"), F.col("m").alias("b"))
            .distinct()
        )
        # Small-star: each node and its smaller neighbours go to the least
        # of them.
        least = large.groupBy("a").agg(F.min("b").alias("m"))
        small = (
            large.join(least, "a")
            .select(b.alias("a"), F.col("m").alias("b"))
            .where(a != b)
            .union(least.select("a", F.col("m").alias("b")))
            .distinct()
        )
        previous, current = current, _checkpoint(small, reliable=round % CHECKPOINT_EVERY == 0)
        previous.unpersist()
        sources = current.select(a.alias("b"))
        points_past_a_root = not current.join(sources, "b", "left_semi").isEmpty()
        forks = not current.groupBy("a").count().where(F.col("count") > 1).isEmpty()
        if not points_past_a_root and not forks:
            _log.info("components: %d rounds of large-star and small-star", round)
            break
    roots = current.select("b").distinct()
    return current.select(F.col("a").alias(_ORDER), F.col("b").alias("root")).union(
        roots.select(F.col("b").alias(_ORDER), F.col("b").alias("root"))
    )


def _number(df: DataFrame, column: str, name: str, spark: SparkSession) -> DataFrame:
    """`df`'s distinct values of `column`, numbered from 0 in ascending
    order as `name`, without gathering them in one partition."""
    ranked = df.select(column).orderBy(column).rdd.zipWithIndex()
    schema = StructType(
        [StructField(column, LongType(), False), StructField(name, LongType(), False)]
    )
    return spark.createDataFrame(ranked.map(lambda pair: (pair[0][0], pair[1])), schema)

"""textdup on Ray: the same clusters as ``textdup scan --level document``
over a ``ray.data.Dataset``.

    >>> import ray, textdup.ray
    >>> ds = ray.data.read_parquet("crawl/")
    >>> clean = textdup.ray.dedup(ds, text="text")
    >>> found = textdup.ray.clusters(ds, text="text", id="id")  # id, cluster, similarity, kept

The steps are those of :mod:`textdup.spark`, in Ray's terms:

1. **Sketch** in ``map_batches`` (``batch_format="pyarrow"``) with the
   Rust core: exact-text hash, band keys, length in bytes.
2. **Exact copies**, **buckets** and **clusters** are groups: the rows are
   hash-partitioned by the group's key (``repartition(keys=..., sort=True)``,
   as Ray's own ``map_groups`` does) and each partition is processed whole
   by one task, vectorized: a bucket is paired in Rust by the CLI's rule
   (its first 64 members pairwise, each later one with those and with its
   neighbour).
3. **Verification** in tasks: the pairs joined (``Dataset.join``) to the
   shingle sets of their documents, scored in Rust.
4. **Components** by union-find in one task over all the verified pairs
   and exact copies (40 bytes each at most while it runs: 100 million
   edges take about 4 GB on that worker). Past that, use
   :mod:`textdup.spark`, whose star iteration is distributed.

Input order (what ``keep="first"`` and cluster numbers follow) is the
Dataset's order: the input is materialized once to number its rows, or
give ``order=`` (a unique, sortable column) to skip that.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

import ray
import ray.data

import textdup
from textdup import _textdup

__all__ = ["dedup", "clusters", "dedup_with_clusters"]

_ORDER = "__textdup_order"
_KEEPS = ("first", "longest", "shortest")

#: What `map_batches` hands the functions below: a ``pyarrow.Table`` (Ray
#: types the argument as any of its batch formats, so it is `Any` here).
Block = Any


def clusters(
    ds: "ray.data.Dataset",
    text: str = "text",
    id: str = "id",
    threshold: float = 0.8,
    keep: str = "first",
    order: Optional[str] = None,
    partitions: Optional[int] = None,
    **settings: Any,
) -> "ray.data.Dataset":
    """One row per clustered document, by cluster then input order: ``id``,
    ``cluster`` (from 0, by first member), ``similarity`` (exact Jaccard to
    the kept member) and ``kept``.

    ``partitions`` is the number of hash partitions of each grouping step
    (default: twice the cluster's CPUs). ``settings`` are
    :class:`textdup.Deduper`'s (``ngram``, ``num_perm``, ``seed``, ...).
    """
    return dedup_with_clusters(ds, text, id, threshold, keep, order, partitions, **settings)[1]


def dedup(
    ds: "ray.data.Dataset",
    text: str = "text",
    id: str = "id",
    threshold: float = 0.8,
    keep: str = "first",
    order: Optional[str] = None,
    partitions: Optional[int] = None,
    **settings: Any,
) -> "ray.data.Dataset":
    """``ds`` without its near-duplicates: every column kept, in input
    order, one document (the kept one) left of each cluster."""
    return dedup_with_clusters(ds, text, id, threshold, keep, order, partitions, **settings)[0]


def dedup_with_clusters(
    ds: "ray.data.Dataset",
    text: str = "text",
    id: str = "id",
    threshold: float = 0.8,
    keep: str = "first",
    order: Optional[str] = None,
    partitions: Optional[int] = None,
    **settings: Any,
) -> Tuple["ray.data.Dataset", "ray.data.Dataset"]:
    """:func:`dedup` and :func:`clusters` of one run."""
    columns = ds.columns() or []
    for name in [text] + ([order] if order else []):
        if name not in columns:
            raise KeyError(f"no column {name!r} (columns: {', '.join(columns)})")
    if keep not in _KEEPS:
        raise ValueError(f"keep must be one of {', '.join(_KEEPS)}, not {keep!r}")
    if _ORDER in columns:
        raise ValueError(f"the column name {_ORDER!r} is textdup's own")
    settings = dict(settings, threshold=threshold, threads=1)
    textdup.Deduper(**settings)  # the library's message for bad settings
    n = partitions or max(2, 2 * int(ray.cluster_resources().get("CPU", 1)))  # type: ignore[no-untyped-call]

    indexed = _numbered(ds) if order is None else ds.rename_columns({order: _ORDER})
    if indexed is None:
        empty = pa.table(
            {
                "id": pa.array([], pa.string()),
                "cluster": pa.array([], pa.int64()),
                "similarity": pa.array([], pa.float64()),
                "kept": pa.array([], pa.bool_()),
            }
        )
        return ds, ray.data.from_arrow(empty)
    texts = indexed.select_columns([_ORDER, text]).rename_columns({text: "text"})
    sketches = texts.map_batches(partial(_sketch, settings=settings), batch_format="pyarrow")
    sketches = _by_key(sketches, ["exact"], _first_copies, n).materialize()
    copies = sketches.map_batches(_copy_edges, batch_format="pyarrow")
    bands = sketches.map_batches(_band_rows, batch_format="pyarrow")
    pairs = _by_key(_by_key(bands, ["band", "key"], _pairs, n), ["a", "b"], _distinct, n)
    pairs = pairs.materialize()
    # Kept for the similarities to kept members below: those are between
    # first copies of clusters, and each is in a candidate pair.
    sets = _shingle_sets(pairs, texts, settings, n).materialize()
    scored = _scored(pairs, sets, n).materialize()
    similar = scored.map_batches(_at_least, fn_args=(threshold,), batch_format="pyarrow")
    roots = _components(copies.union(similar))

    members = roots.join(
        sketches.select_columns([_ORDER, "first", "bytes"]), "inner", n, on=(_ORDER,)
    )
    members = _by_key(members, ["root"], _kept, n, fn_args=(keep,))
    # Similarity to the kept member: 1 for its exact copies, else the
    # scored pair's, else computed now (a member joined through a chain
    # need not have been a candidate with the kept one).
    members = members.map_batches(_pair_with_kept, batch_format="pyarrow").materialize()
    wanted = _by_key(
        members.map_batches(_different_pairs, batch_format="pyarrow"), ["a", "b"], _distinct, n
    ).materialize()
    known = wanted.join(scored, "inner", n, on=("a", "b"))
    unknown = wanted.join(scored, "left_anti", n, on=("a", "b"))
    similarities = known.union(_scored(unknown, sets, n))
    members = members.join(similarities, "left_outer", n, on=("a", "b"))
    members = members.map_batches(_similarity, batch_format="pyarrow")
    numbers = _numbered_values(members.select_columns(["root"]), "root", "cluster", n)
    members = members.join(numbers, "inner", n, on=("root",)).materialize()

    found = (
        members.join(indexed.select_columns([_ORDER, id]), "inner", n, on=(_ORDER,))
        .sort(["cluster", _ORDER])
        .select_columns([id, "cluster", "similarity", "kept"])
    )
    if id != "id":
        found = found.rename_columns({id: "id"})
    removed = members.map_batches(_removed_rows, batch_format="pyarrow")
    cleaned = indexed.join(removed, "left_anti", n, on=(_ORDER,)).sort(_ORDER)
    if order is None:
        cleaned = cleaned.drop_columns([_ORDER])
    else:
        cleaned = cleaned.rename_columns({_ORDER: order})
    return cleaned, found


def _by_key(
    ds: "ray.data.Dataset",
    keys: List[str],
    fn: Any,
    partitions: int,
    fn_args: Tuple[Any, ...] = (),
) -> "ray.data.Dataset":
    """`fn` over `ds` hash-partitioned by `keys`: each call gets one whole
    partition (every row of each of its keys), sorted by `keys`. This is
    how Ray's own ``map_groups`` groups, without a Python call per group."""
    return ds.repartition(partitions, keys=keys, sort=True).map_batches(
        fn, fn_args=fn_args, batch_size=None, batch_format="pyarrow"
    )


@ray.remote
def _count(block: pa.Table) -> int:
    return int(block.num_rows)


@ray.remote
def _number_rows(block: pa.Table, start: int, name: str) -> pa.Table:
    return block.append_column(name, pa.array(np.arange(start, start + block.num_rows)))


def _number_blocks(blocks: List[Any], name: str) -> Tuple[List[Any], int]:
    """Each block (in order) with a column `name` numbering its rows on
    from the blocks before it: counted, then numbered by a task each.
    Also the number of rows in all."""
    counts = ray.get([_count.remote(b) for b in blocks])
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(int).tolist() if counts else []
    numbered = [_number_rows.remote(b, s, name) for b, s in zip(blocks, starts)]
    return numbered, int(sum(counts))


def _numbered(ds: "ray.data.Dataset") -> Optional["ray.data.Dataset"]:
    """`ds` with its rows numbered in order: the blocks are materialized in
    order once, counted, and numbered by a task each from its offset. None
    for a Dataset without rows."""
    context = ds.context
    keep = context.execution_options.preserve_order
    context.execution_options.preserve_order = True
    try:
        blocks = ds.to_arrow_refs()
    finally:
        context.execution_options.preserve_order = keep
    numbered, rows = _number_blocks(blocks, _ORDER)
    return ray.data.from_arrow_refs(numbered) if rows else None


def _numbered_values(
    ds: "ray.data.Dataset", column: str, name: str, partitions: int
) -> "ray.data.Dataset":
    """The distinct values of `column`, numbered from 0 in ascending order
    as `name`: sorted by Ray, then numbered block by block from offsets."""
    distinct = _by_key(ds, [column], _distinct, partitions).sort(column)
    numbered, _ = _number_blocks(distinct.to_arrow_refs(), name)
    if not numbered:
        return ray.data.from_arrow(
            pa.table({column: pa.array([], pa.int64()), name: pa.array([], pa.int64())})
        )
    return ray.data.from_arrow_refs(numbered)


def _sketch(batch: Block, settings: Dict[str, Any]) -> Block:
    """Order, exact hash, bytes and band keys of the texts with words."""
    sketched = textdup.Deduper(**settings).sketch(batch.column("text"))
    exact = sketched.column("exact").cast(pa.binary())
    keys = pc.cast(sketched.column("band_keys"), pa.list_(pa.int64()), safe=False)
    lengths = pc.cast(pc.binary_length(batch.column("text")), pa.int64())
    out = pa.table(
        {_ORDER: batch.column(_ORDER), "exact": exact, "bytes": lengths, "keys": keys}
    )
    # A text with no words to compare is in no cluster, as in the CLI.
    return out.filter(pc.is_valid(out.column("exact")))


def _first_copies(block: Block) -> Block:
    """Each row's first copy: the least order among rows of its exact text
    (all in this block)."""
    block = block.take(pc.sort_indices(block, [("exact", "ascending"), (_ORDER, "ascending")]))
    exact = block.column("exact").combine_chunks()
    starts = np.ones(len(exact), bool)
    if len(exact) > 1:
        later, earlier = exact.slice(1), exact.slice(0, len(exact) - 1)
        starts[1:] = pc.not_equal(later, earlier).to_numpy(zero_copy_only=False)
    order = block.column(_ORDER).to_numpy()
    first = order[starts][np.cumsum(starts) - 1]
    return block.append_column("first", pa.array(first)).sort_by(_ORDER)


def _copy_edges(block: Block) -> Block:
    copies = block.filter(pc.not_equal(block.column(_ORDER), block.column("first")))
    return pa.table({"a": copies.column(_ORDER), "b": copies.column("first")})


def _band_rows(block: Block) -> Block:
    """(band, key, order) for each band key of each first copy."""
    firsts = block.filter(pc.equal(block.column(_ORDER), block.column("first")))
    keys = firsts.column("keys").combine_chunks()
    width = pc.list_value_length(keys)
    rows = pc.list_parent_indices(keys)
    starts = np.repeat(np.cumsum(np.concatenate([[0], width.to_numpy()]))[:-1], width.to_numpy())
    band = np.arange(len(rows)) - starts
    return pa.table(
        {
            "band": pa.array(band, pa.int64()),
            "key": pc.list_flatten(keys),
            _ORDER: pc.take(firsts.column(_ORDER), rows),
        }
    )


def _pairs(block: Block) -> Block:
    """The candidate pairs of the buckets in this block, by the CLI's rule."""
    pairs = _textdup.bucket_pairs_arrow(
        block.column("band").combine_chunks(),
        block.column("key").combine_chunks(),
        block.column(_ORDER).combine_chunks(),
    )
    return pa.table(pa.record_batch(pairs))


def _distinct(block: Block) -> Block:
    return block.group_by(block.column_names).aggregate([])


def _shingle_sets(
    pairs: "ray.data.Dataset",
    texts: "ray.data.Dataset",
    settings: Dict[str, Any],
    partitions: int,
) -> "ray.data.Dataset":
    """The shingle sets (packed) of the documents in `pairs` (a, b)."""
    docs = pairs.map_batches(_both_ends, batch_format="pyarrow")
    docs = _by_key(docs, [_ORDER], _distinct, partitions)
    return texts.join(docs, "left_semi", partitions, on=(_ORDER,)).map_batches(
        partial(_shingles, settings=settings), batch_format="pyarrow"
    )


def _scored(
    pairs: "ray.data.Dataset", sets: "ray.data.Dataset", partitions: int
) -> "ray.data.Dataset":
    """`pairs` (a, b) with the exact Jaccard similarity of their sets."""
    left = sets.rename_columns({_ORDER: "a", "set": "set_a"})
    right = sets.rename_columns({_ORDER: "b", "set": "set_b"})
    joined = pairs.join(left, "inner", partitions, on=("a",)).join(
        right, "inner", partitions, on=("b",)
    )
    return joined.map_batches(_jaccard, batch_format="pyarrow")


def _both_ends(block: Block) -> Block:
    return pa.table({_ORDER: pa.concat_arrays([
        block.column("a").combine_chunks(), block.column("b").combine_chunks()
    ])})


def _shingles(batch: Block, settings: Dict[str, Any]) -> Block:
    sets = textdup.Deduper(**settings).shingles(batch.column("text"))
    return pa.table({_ORDER: batch.column(_ORDER), "set": _packed(sets)})


def _packed(sets: Any) -> Any:
    """Sets of 32-bit hashes as binary (little-endian): Ray's joins carry
    binary columns but not list columns."""
    lengths = pc.fill_null(pc.list_value_length(sets), 0).to_numpy().astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths * 4)]).astype(np.int32)
    values = pc.list_flatten(sets).to_numpy().astype("<u4").tobytes()
    packed = pa.Array.from_buffers(
        pa.binary(), len(sets), [None, pa.py_buffer(offsets.tobytes()), pa.py_buffer(values)]
    )
    return pc.if_else(sets.is_valid(), packed, pa.scalar(None, pa.binary()))


def _jaccard(batch: Block) -> Block:
    scores = _textdup.jaccard_arrow(
        batch.column("set_a").combine_chunks(), batch.column("set_b").combine_chunks()
    )
    similarity = pa.record_batch(scores).column(0)
    return pa.table({"a": batch.column("a"), "b": batch.column("b"), "similarity": similarity})


def _at_least(batch: Block, threshold: float) -> Block:
    similar = batch.filter(pc.greater_equal(batch.column("similarity"), pa.scalar(threshold)))
    return similar.select(["a", "b"])


@ray.remote
def _union_find(*blocks: pa.Table) -> pa.Table:
    edges = pa.concat_tables(blocks) if blocks else pa.table(
        {"a": pa.array([], pa.int64()), "b": pa.array([], pa.int64())}
    )
    found = _textdup.components_arrow(
        edges.column("a").combine_chunks().cast(pa.int64()),
        edges.column("b").combine_chunks().cast(pa.int64()),
    )
    return pa.table(pa.record_batch(found)).rename_columns([_ORDER, "root"])


def _components(edges: "ray.data.Dataset") -> "ray.data.Dataset":
    """Per node of `edges`, its component's least node (its root): union-find
    in one task over every edge (see the module docs for its memory)."""
    found: List[Any] = [_union_find.remote(*edges.to_arrow_refs())]
    return ray.data.from_arrow_refs(found)


def _kept(block: Block, keep: str) -> Block:
    """Each member with its component's kept member (row and first copy):
    the first, or the longest or shortest, ties to the earliest."""
    order = block.column(_ORDER).to_numpy()
    root = block.column("root").to_numpy()
    size = block.column("bytes").to_numpy()
    by = {"first": (order,), "longest": (order, -size), "shortest": (order, size)}[keep]
    # Sorted by root, then by the policy: each root's first row is kept.
    ranked = np.lexsort(by + (root,))
    heads = np.ones(len(ranked), bool)
    heads[1:] = root[ranked][1:] != root[ranked][:-1]
    winners: Any = pa.array(ranked[heads])
    kept_rows = pa.table(
        {
            "root": pc.take(block.column("root"), winners),
            "kept_row": pc.take(block.column(_ORDER), winners),
            "kept_first": pc.take(block.column("first"), winners),
        }
    )
    return block.join(kept_rows, "root")


def _pair_with_kept(block: Block) -> Block:
    first, kept = block.column("first"), block.column("kept_first")
    return block.append_column("a", pc.min_element_wise(first, kept)).append_column(
        "b", pc.max_element_wise(first, kept)
    )


def _different_pairs(block: Block) -> Block:
    pairs = block.select(["a", "b"])
    return pairs.filter(pc.not_equal(pairs.column("a"), pairs.column("b")))


def _similarity(block: Block) -> Block:
    same = pc.equal(block.column("a"), block.column("b"))
    similarity = pc.if_else(same, 1.0, block.column("similarity"))
    kept = pc.equal(block.column(_ORDER), block.column("kept_row"))
    return pa.table(
        {
            _ORDER: block.column(_ORDER),
            "root": block.column("root"),
            "similarity": similarity,
            "kept": kept,
        }
    )


def _removed_rows(block: Block) -> Block:
    return block.filter(pc.invert(block.column("kept"))).select([_ORDER])

"""textdup: find repeated and near-duplicate text at scale.

The work is done by the Rust library (``textdup._textdup``); this module
only meets Python's data types: it turns the caller's data into Arrow
columns (without a Python ``str`` per row where the data is Arrow
already) and the results back into the caller's type.

    >>> import textdup
    >>> d = textdup.Deduper(threshold=0.8)
    >>> r = d.scan(["a b c d e f g", "a b c d e f g", "something else entirely here"])
    >>> r.summary["removed"]
    1
    >>> d.dedup(["a b c d e f g", "a b c d e f g", "something else entirely here"])
    ['a b c d e f g', 'something else entirely here']
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable, Iterable, Optional, Tuple, Union

import pyarrow as pa

from . import _textdup
from ._textdup import HASH_SCHEME, __version__

__all__ = [
    "Deduper",
    "Result",
    "Index",
    "Matches",
    "sketch",
    "shingles",
    "similarity",
    "banding",
    "HASH_SCHEME",
    "__version__",
]

Progress = Union[bool, Callable[[str, int, Optional[int]], None], None]


def _table(batch: Any) -> pa.Table:
    """A record batch exported by the native module, as a pyarrow Table."""
    return pa.Table.from_batches([pa.record_batch(batch)])


def _chunks(column: Any) -> list:
    """The chunks of an Arrow column (Array or ChunkedArray)."""
    if isinstance(column, pa.ChunkedArray):
        return list(column.chunks) or [pa.array([], type=pa.large_string())]
    return [column]


class _Input:
    """The caller's data as Arrow text (and id) columns, and how to give a
    filtered copy back in the caller's type."""

    def __init__(self, data: Any, text: str, id: Optional[str]) -> None:
        self.data = data
        self.paths: Optional[list] = None
        self.texts: Any = None
        self.ids: Any = None
        self.kind = ""
        self.items: Optional[list] = None
        self._read(data, text, id)

    def _table_columns(self, table: Any, text: str, id: Optional[str]) -> None:
        names = table.schema.names
        if text not in names:
            raise KeyError(f"no column {text!r} (columns: {', '.join(names)})")
        self.texts = _strings(table.column(text))
        if id is not None and id in names:
            self.ids = _strings(table.column(id), as_text=True)

    def _read(self, data: Any, text: str, id: Optional[str]) -> None:
        if isinstance(data, (str, os.PathLike)):
            self.kind, self.paths = "paths", [os.fspath(data)]
            return
        if isinstance(data, (list, tuple)) and data and all(
            isinstance(p, os.PathLike) for p in data
        ):
            self.kind, self.paths = "paths", [os.fspath(p) for p in data]
            return
        if isinstance(data, (pa.Table, pa.RecordBatch)):
            self.kind = "arrow-table"
            self._table_columns(data, text, id)
            return
        if isinstance(data, (pa.ChunkedArray, pa.Array)):
            self.kind, self.texts = "arrow-array", _strings(data)
            return
        module = type(data).__module__.split(".")[0]
        if module == "datasets":
            self.kind = "dataset"
            # The rows as the Dataset shows them (after select/shuffle).
            self._table_columns(data.with_format("arrow")[:], text, id)
            return
        if module == "polars":
            import polars as pl

            if isinstance(data, pl.DataFrame):
                self.kind = "polars"
                self._table_columns(data.select(
                    [c for c in (text, id) if c is not None and c in data.columns]
                    or [text]
                ).to_arrow(), text, id)
            else:
                self.kind, self.texts = "polars-series", _strings(data.to_arrow())
            return
        if module == "pandas":
            import pandas as pd

            if isinstance(data, pd.DataFrame):
                self.kind = "pandas"
                if text not in data.columns:
                    raise KeyError(
                        f"no column {text!r} (columns: {', '.join(map(str, data.columns))})"
                    )
                self.texts = _strings(_column_from_python(data[text]))
                if id is not None and id in data.columns:
                    self.ids = _strings(_column_from_python(data[id], as_text=True))
            else:
                self.kind = "pandas-series"
                self.texts = _strings(_column_from_python(data))
            return
        if isinstance(data, Iterable):
            # Read by the native module straight into Arrow buffers.
            self.kind = "items"
            self.items = list(data)
            return
        raise TypeError(
            f"cannot read {type(data).__name__}: give texts (a list or iterable of str, "
            "or of (id, text) pairs), an Arrow, pandas or polars table or column, "
            "a datasets.Dataset, or paths (str or pathlib.Path)"
        )

    def filtered(self, keep: pa.BooleanArray) -> Any:
        """The input without the rows `keep` says to drop, in its own type."""
        data, kind = self.data, self.kind
        if kind in ("arrow-table", "arrow-array"):
            return _arrow_filter(data, keep)
        if kind == "items":
            assert self.items is not None
            mask = keep.to_pylist()
            kept = [item for item, k in zip(self.items, mask) if k]
            return type(data)(kept) if isinstance(data, (list, tuple)) else kept
        if kind == "dataset":
            import numpy as np

            return data.select(np.flatnonzero(keep.to_numpy(zero_copy_only=False)))
        if kind in ("polars", "polars-series"):
            import polars as pl

            return data.filter(pl.Series(keep.to_numpy(zero_copy_only=False)))
        if kind in ("pandas", "pandas-series"):
            return data[keep.to_numpy(zero_copy_only=False)]
        raise TypeError(
            "dedup of files writes files: run `textdup dedup` on them, "
            "or use scan(...).keep to choose documents"
        )


def _arrow_filter(data: Any, keep: pa.BooleanArray) -> Any:
    """`data.filter(keep)`, also where pyarrow has no kernel for a column's
    type (string views): such columns go through large strings and back."""
    if isinstance(data, (pa.Array, pa.ChunkedArray)):
        if pa.types.is_string_view(data.type):
            return data.cast(pa.large_string()).filter(keep).cast(data.type)
        return data.filter(keep)
    views = [i for i, f in enumerate(data.schema) if pa.types.is_string_view(f.type)]
    if not views:
        return data.filter(keep)
    wide = data
    for i in views:
        wide = wide.set_column(i, data.schema[i].name, data.column(i).cast(pa.large_string()))
    kept = wide.filter(keep)
    for i in views:
        kept = kept.set_column(i, data.schema[i], kept.column(i).cast(data.schema[i].type))
    return kept


def _strings(column: Any, as_text: bool = False) -> list:
    """Chunks of an Arrow string column; other types are refused, or cast
    to text when `as_text` (ids may be numbers)."""
    kinds = (pa.types.is_string, pa.types.is_large_string, pa.types.is_string_view)
    if not any(k(column.type) for k in kinds):
        if as_text or pa.types.is_null(column.type):
            column = column.cast(pa.large_string())
        else:
            raise TypeError(f"the text column holds {column.type}, not strings")
    return _chunks(column)


def _column_from_python(series: Any, as_text: bool = False) -> Any:
    """A pandas column as Arrow strings: rows that are not strings (None,
    NaN, numbers) become nulls, skipped as documents; ids become text. A
    column of strings (Arrow-backed, as pandas 3 stores them, or objects)
    goes to Arrow in one step, with no Python object per row made."""
    try:
        column = pa.array(series, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        column = None
    if column is not None:
        kinds = (pa.types.is_string, pa.types.is_large_string, pa.types.is_string_view)
        if any(k(column.type) for k in kinds):
            return column
    values = series.tolist()
    if as_text:
        return pa.array([None if v is None else str(v) for v in values], type=pa.large_string())
    return pa.array(
        [v if isinstance(v, str) else None for v in values], type=pa.large_string()
    )


def _progress(progress: Progress) -> Optional[Callable[[str, int, Optional[int]], None]]:
    """The callback for `progress`: the caller's, a tqdm bar, or none."""
    if progress is None or progress is False:
        return None
    if callable(progress):
        return progress
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    bars: dict = {}

    def update(stage: str, done: int, total: Optional[int]) -> None:
        bar = bars.get(stage)
        if bar is None:
            for old in bars.values():
                old.close()
            bars.clear()
            bar = bars[stage] = tqdm(total=total, desc=stage, unit="doc", leave=False)
        bar.update(done - bar.n)
        if total is not None and done >= total:
            bar.close()

    return update


class Result:
    """What a scan found. ``clusters`` has one row per clustered document;
    ``keep`` is a boolean mask aligned with the input rows (for paths: with
    the documents read, in order); ``summary`` holds the counts and
    parameters, as the CLI's JSON summary does."""

    def __init__(self, scan: Any, source: _Input) -> None:
        self._scan = scan
        self._source = source
        self.clusters: pa.Table = _table(scan.clusters())
        self.keep: pa.BooleanArray = _table(scan.keep()).column("keep").combine_chunks()
        self.summary: dict = json.loads(scan.summary_json())

    def passages(self) -> pa.Table:
        """Passage and span clusters: one row per member."""
        return _table(self._scan.passages())

    def cluster_lines(self) -> str:
        """The JSON Lines the CLI writes to ``--clusters``."""
        return str(self._scan.cluster_lines())

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"<textdup.Result: {s['read']} read = {s['kept']} kept + {s['removed']} removed"
            f" + {s['skipped']} skipped; {s['clusters']} clusters>"
        )


class Deduper:
    """Near-duplicate detection with fixed settings, for any number of runs.

    The settings are the CLI's, with its defaults; ``normalize`` is a comma
    list of steps (``nfkc,lowercase,hyphens,punctuation,whitespace``,
    ``all`` or ``none``). ``threads`` limits this deduper's runs to that
    many threads (default: all cores); ``memory`` bounds a run as the
    CLI's ``--memory`` does (bytes, or a size such as ``"4GiB"``).
    """

    def __init__(
        self,
        threshold: float = 0.8,
        ngram: int = 5,
        unit: str = "word",
        num_perm: int = 128,
        seed: int = 1,
        normalize: str = "nfkc,lowercase,hyphens,punctuation,whitespace",
        keep: str = "first",
        verify: str = "exact",
        bands: Optional[int] = None,
        rows: Optional[int] = None,
        passage: str = "line",
        passage_ngram: int = 3,
        passage_threshold: float = 0.8,
        min_span: int = 10,
        boilerplate_min_docs: int = 3,
        memory: Union[int, str, None] = None,
        tmp_dir: Optional[str] = None,
        threads: Optional[int] = None,
    ) -> None:
        self._native = _textdup.Deduper(
            threshold=threshold,
            ngram=ngram,
            unit=unit,
            num_perm=num_perm,
            seed=seed,
            normalize=normalize,
            keep=keep,
            verify=verify,
            bands=bands,
            rows=rows,
            passage=passage,
            passage_ngram=passage_ngram,
            passage_threshold=passage_threshold,
            min_span=min_span,
            boilerplate_min_docs=boilerplate_min_docs,
            memory=memory,
            tmp_dir=tmp_dir,
            threads=threads,
        )

    @property
    def banding(self) -> Tuple[int, int]:
        """The LSH (bands, rows) of this deduper."""
        return tuple(self._native.banding())  # type: ignore[return-value]

    def _run(
        self, data: Any, text: str, id: Optional[str], level: str, progress: Progress
    ) -> Result:
        source = _Input(data, text, id)
        callback = _progress(progress)
        if source.paths is not None:
            scan = self._native.scan_paths(
                source.paths, text_field=text, id_field=id or "id", level=level,
                progress=callback,
            )
        elif source.items is not None:
            scan = self._native.scan_items(source.items, level=level, progress=callback)
        else:
            scan = self._native.scan_arrow(
                source.texts, ids=source.ids, level=level, progress=callback
            )
        return Result(scan, source)

    def scan(
        self, data: Any, text: str = "text", id: Optional[str] = "id", progress: Progress = None
    ) -> Result:
        """Finds the near-duplicate documents of `data`."""
        return self._run(data, text, id, "document", progress)

    def dedup(
        self,
        data: Any,
        text: str = "text",
        id: Optional[str] = "id",
        progress: Progress = None,
        output: Union[str, "os.PathLike[str]", None] = None,
        force: bool = False,
        against: Optional["Index"] = None,
    ) -> Any:
        """`data` without its near-duplicates (the first of each cluster, by
        default, stays), in the type it came in, every column kept.

        Files and folders are cleaned into files, as the CLI's `dedup`
        does: give `output` (a file for one input file, else a folder); the
        removed list goes beside it as `OUTPUT.removed.jsonl`. An existing
        output is replaced only with `force=True`. Returns the output path.
        `progress` hears of the writing too, as the stage ``"writing"``.

        With `against=` an :class:`Index`, also without every document the
        index holds (or a near-duplicate of one), as the CLI's
        ``dedup --against`` does; this deduper's settings must be the
        index's.
        """
        if against is not None:
            return against._dedup(self, data, text, id, progress, output, force)
        source = _Input(data, text, id)
        if source.paths is not None:
            if output is None:
                raise TypeError(
                    "dedup of files writes files: give output= (a file or folder to write)"
                )
            self._native.dedup_paths(
                source.paths, os.fspath(output), text_field=text, id_field=id or "id",
                level="document", force=force, progress=_progress(progress),
            )
            return os.fspath(output)
        result = self._run(data, text, id, "document", progress)
        return result._source.filtered(result.keep)

    def passages(
        self, data: Any, text: str = "text", id: Optional[str] = "id", progress: Progress = None
    ) -> pa.Table:
        """Repeated passages and spans, within and across documents: one
        row per member (id, row, byte and character offsets, text, cluster,
        level, match, similarity)."""
        return self._run(data, text, id, "passage", progress).passages()

    def sketch(self, texts: Any) -> pa.Table:
        """Per text: ``exact``, the little-endian XXH3-128 of its normalized
        text (16 bytes), and ``band_keys``, its LSH band keys; both null for a
        text with nothing to compare. Bit-identical to the CLI's sketch files."""
        return _table(self._native.sketch_arrow(_texts(texts)))

    def shingles(self, texts: Any) -> pa.Array:
        """Per text, its exact shingle set: sorted 32-bit hashes."""
        return _table(self._native.shingles_arrow(_texts(texts))).column("shingles").combine_chunks()

    def similarity(self, a: Any, b: Any) -> pa.Array:
        """The exact Jaccard similarity of each aligned pair of texts."""
        return (
            _table(self._native.similarity_arrow(_texts(a), _texts(b)))
            .column("similarity")
            .combine_chunks()
        )


class Matches:
    """What a query of an :class:`Index` found. ``matches`` has one row per
    matched document (id, row, kept, kept_in, similarity, and for span
    windows start, end, text); ``keep`` is a boolean mask aligned with the
    input rows; ``summary`` holds the counts, the seconds, and each stage's
    seconds (``stages``, as in a scan's summary)."""

    def __init__(self, query: Any, source: _Input) -> None:
        self._query = query
        self._source = source
        self.matches: pa.Table = _table(query.matches())
        self.keep: pa.BooleanArray = _table(query.keep()).column("keep").combine_chunks()
        self.summary: dict = json.loads(query.summary_json())

    def lines(self) -> str:
        """The JSON Lines the CLI's ``scan --against`` prints."""
        return str(self._query.lines())

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"<textdup.Matches: {s['documents']} documents, {s['removed']} matched"
            f" ({s['removed_by_index']} by the index), {s['kept']} kept>"
        )


class Index:
    """A persistent index on disk: what earlier data held, to deduplicate
    new data against without reading the old again.

    ``Index(path)`` opens the index at `path`; when nothing is there, it
    makes an empty one with `deduper`'s settings (default: the defaults)
    and, with `spans=N`, every N-word window of its documents for span
    queries (decontamination). The settings are the index's for good:
    queries use them.

        >>> import tempfile, os, textdup
        >>> path = os.path.join(tempfile.mkdtemp(), "archive.tdx")
        >>> index = textdup.Index(path)
        >>> index.add(["a b c d e f g h i j", "k l m n o p q r s t"])["indexed"]
        2
        >>> index.query(["a b c d e f g h i j", "something new"]).keep.to_pylist()
        [False, True]
    """

    def __init__(
        self,
        path: Union[str, "os.PathLike[str]"],
        deduper: Optional[Deduper] = None,
        spans: Optional[int] = None,
        tmp_dir: Optional[str] = None,
        threads: Optional[int] = None,
    ) -> None:
        self._native = _textdup.Index(
            os.fspath(path),
            deduper=deduper._native if deduper is not None else None,
            spans=spans,
            tmp_dir=tmp_dir,
            threads=threads,
        )

    @property
    def path(self) -> str:
        """The index's folder."""
        return os.fspath(self._native.path)

    def add(
        self,
        data: Any,
        text: str = "text",
        id: Optional[str] = "id",
        all: bool = False,
        keep: str = "first",
        progress: Progress = None,
    ) -> dict:
        """Adds `data`'s documents: each is matched against the index and
        the documents before it, and the ones that stay (with ``all=True``,
        all but exact copies) are written as a new segment. Returns the
        counts: read, indexed, duplicates_of_index, duplicates_within,
        documents (in the index after), segment, seconds."""
        source = _Input(data, text, id)
        return dict(json.loads(self._native.add(
            source, text_field=text, id_field=id or "id", all=all, keep=keep,
            progress=_progress(progress),
        )))

    def query(
        self, data: Any, text: str = "text", id: Optional[str] = "id", progress: Progress = None
    ) -> Matches:
        """The documents of `data` that the index (or an earlier document
        of `data`) makes duplicates, with the index's settings."""
        source = _Input(data, text, id)
        return Matches(self._native.query(
            source, text_field=text, id_field=id or "id", progress=_progress(progress)
        ), source)

    def spans(
        self, data: Any, text: str = "text", id: Optional[str] = "id", progress: Progress = None
    ) -> Matches:
        """The documents of `data` that share a span window with an indexed
        document (an index made with ``spans=N``): with an index of
        evaluation data, the contaminated training documents."""
        source = _Input(data, text, id)
        return Matches(self._native.query(
            source, text_field=text, id_field=id or "id", spans=True,
            progress=_progress(progress),
        ), source)

    def _dedup(
        self,
        deduper: Deduper,
        data: Any,
        text: str,
        id: Optional[str],
        progress: Progress,
        output: Union[str, "os.PathLike[str]", None],
        force: bool,
    ) -> Any:
        source = _Input(data, text, id)
        if source.paths is not None and output is None:
            raise TypeError("dedup of files writes files: give output= (a file or folder to write)")
        query = self._native.query(
            source, text_field=text, id_field=id or "id", deduper=deduper._native,
            output=os.fspath(output) if output is not None else None, force=force,
            progress=_progress(progress),
        )
        if source.paths is not None:
            return os.fspath(output)  # type: ignore[arg-type]
        return source.filtered(_table(query.keep()).column("keep").combine_chunks())

    def stats(self) -> dict:
        """Documents, text and disk bytes, segments and settings, as
        ``textdup index stats --json`` prints them."""
        return dict(json.loads(self._native.stats_json()))

    def compact(self, progress: Progress = None) -> dict:
        """Merges the segments into one (queries give the same answers).
        Rewrites every document: `progress` is told of them."""
        return dict(json.loads(self._native.compact(progress=_progress(progress))))

    def verify(self, progress: Progress = None) -> dict:
        """Checks every byte against its checksum; raises on damage.
        Reads every segment: `progress` is told of them."""
        return dict(json.loads(self._native.verify(progress=_progress(progress))))

    def __len__(self) -> int:
        return int(self.stats()["documents"])

    def __repr__(self) -> str:
        return f"<textdup.Index {self.path!r}: {len(self)} documents>"


def _texts(texts: Any) -> list:
    """Arrow chunks of `texts`; an item that is not a str is a null."""
    source = _Input(texts, "text", None)
    if source.paths is not None:
        raise TypeError("expected texts, not paths")
    if source.items is not None:
        values = [t if isinstance(t, str) else None for t in source.items]
        return [pa.array(values, type=pa.large_string())]
    return source.texts


def sketch(texts: Any, **settings: Any) -> pa.Table:
    """Band keys and exact hashes of `texts` (see :meth:`Deduper.sketch`)."""
    return Deduper(**settings).sketch(texts)


def shingles(texts: Any, **settings: Any) -> pa.Array:
    """Exact shingle sets of `texts` (see :meth:`Deduper.shingles`)."""
    return Deduper(**settings).shingles(texts)


def similarity(a: Any, b: Any, **settings: Any) -> pa.Array:
    """Exact Jaccard similarity of aligned texts (see :meth:`Deduper.similarity`)."""
    return Deduper(**settings).similarity(a, b)


def banding(threshold: float = 0.8, num_perm: int = 128) -> Tuple[int, int]:
    """The (bands, rows) the CLI picks for `threshold` and `num_perm`."""
    return tuple(_textdup.banding(threshold, num_perm))  # type: ignore[return-value]

"""Type stubs of textdup's Python API."""

from os import PathLike
from typing import Any, Callable, Iterable, Optional, Sequence, Tuple, Union

import pyarrow as pa

__version__: str
HASH_SCHEME: str

ProgressCallback = Callable[[str, int, Optional[int]], None]
Progress = Union[bool, ProgressCallback, None]
Path = Union[str, "PathLike[str]"]

# What `scan`, `dedup` and `passages` read: texts (a list or iterable of
# str, or of (id, text) pairs), a pyarrow Table, RecordBatch, Array or
# ChunkedArray, a pandas or polars DataFrame or Series, a datasets.Dataset,
# or paths the CLI would accept (a str or PathLike, or a list of PathLike).
Data = Union[
    Iterable[Optional[str]],
    Iterable[Tuple[Any, Optional[str]]],
    pa.Table,
    pa.RecordBatch,
    pa.Array,
    pa.ChunkedArray,
    Path,
    Sequence["PathLike[str]"],
    Any,
]

# The texts the building blocks take: a list of str (None for a missing
# one), or an Arrow, pandas or polars string column.
Texts = Union[Sequence[Optional[str]], pa.Array, pa.ChunkedArray, Any]

class Result:
    clusters: pa.Table
    """cluster, id, row, similarity (to the kept member), kept: one row per
    clustered document."""
    keep: pa.BooleanArray
    """True for every input row to keep."""
    summary: dict[str, Any]
    """The CLI's JSON summary: read, kept, removed, skipped,
    skipped_by_reason, clusters, ..., parameters."""
    def passages(self) -> pa.Table: ...
    def cluster_lines(self) -> str: ...

class Deduper:
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
    ) -> None: ...
    @property
    def banding(self) -> Tuple[int, int]: ...
    def scan(
        self,
        data: Data,
        text: str = "text",
        id: Optional[str] = "id",
        progress: Progress = None,
    ) -> Result: ...
    def dedup(
        self,
        data: Data,
        text: str = "text",
        id: Optional[str] = "id",
        progress: Progress = None,
        output: Optional[Path] = None,
        force: bool = False,
        against: Optional[Index] = None,
    ) -> Any: ...
    def passages(
        self,
        data: Data,
        text: str = "text",
        id: Optional[str] = "id",
        progress: Progress = None,
    ) -> pa.Table: ...
    def sketch(self, texts: Texts) -> pa.Table: ...
    def shingles(self, texts: Texts) -> pa.Array: ...
    def similarity(self, a: Texts, b: Texts) -> pa.Array: ...

class Matches:
    matches: pa.Table
    """id, row, kept, kept_in ("index" or "input"), similarity, and for span
    windows start, end, text: one row per matched document."""
    keep: pa.BooleanArray
    """True for every input row to keep."""
    summary: dict[str, Any]
    """read, documents, skipped, removed, removed_by_index, removed_within,
    kept, indexed, candidate_pairs, seconds."""
    def lines(self) -> str: ...

class Index:
    def __init__(
        self,
        path: Path,
        deduper: Optional[Deduper] = None,
        spans: Optional[int] = None,
        tmp_dir: Optional[str] = None,
        threads: Optional[int] = None,
    ) -> None: ...
    @property
    def path(self) -> str: ...
    def add(
        self,
        data: Data,
        text: str = "text",
        id: Optional[str] = "id",
        all: bool = False,
        keep: str = "first",
        progress: Progress = None,
    ) -> dict[str, Any]: ...
    def query(
        self,
        data: Data,
        text: str = "text",
        id: Optional[str] = "id",
        progress: Progress = None,
    ) -> Matches: ...
    def spans(
        self,
        data: Data,
        text: str = "text",
        id: Optional[str] = "id",
        progress: Progress = None,
    ) -> Matches: ...
    def stats(self) -> dict[str, Any]: ...
    def compact(self, progress: Progress = None) -> dict[str, Any]: ...
    def verify(self, progress: Progress = None) -> dict[str, Any]: ...
    def __len__(self) -> int: ...

def sketch(texts: Texts, **settings: Any) -> pa.Table: ...
def shingles(texts: Texts, **settings: Any) -> pa.Array: ...
def similarity(a: Texts, b: Texts, **settings: Any) -> pa.Array: ...
def banding(threshold: float = 0.8, num_perm: int = 128) -> Tuple[int, int]: ...

"""Shared fixtures: the CLI binary, and a planted corpus it synthesizes.

A test that needs a package which is not installed is skipped with a
reason, except under CI (the environment variable CI is set), where every
package must be present and a missing one fails the test.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def need(module: str) -> ModuleType:
    """Imports `module`, or skips the test (fails it under CI)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"{module} is not installed")


def textdup_binary() -> Path:
    """The CLI: $TEXTDUP_BIN, or the one cargo built in this checkout
    (release first), built now if there is none."""
    given = os.environ.get("TEXTDUP_BIN")
    if given:
        return Path(given)
    for profile in ("release", "debug"):
        path = ROOT / "target" / profile / "textdup"
        if path.exists():
            return path
    if shutil.which("cargo") is None:
        pytest.skip("no textdup binary and no cargo to build one")
    subprocess.run(
        ["cargo", "build", "--release", "--locked", "--bin", "textdup"], cwd=ROOT, check=True
    )
    return ROOT / "target" / "release" / "textdup"


@pytest.fixture(scope="session")
def cli() -> Path:
    return textdup_binary()


def synthesize(cli: Path, out: Path, docs: int, seed: int) -> Path:
    """OUT/corpus.jsonl: `docs` documents from the committed dictionary,
    with planted near-duplicates and recombined paragraphs."""
    subprocess.run(
        [
            str(cli), "synth", "--from", str(ROOT / "tests" / "data" / "devils-dictionary.txt"),
            "--docs", str(docs), "--seed", str(seed), "--output", str(out), "--recombine",
        ],
        check=True,
        capture_output=True,
    )
    return out / "corpus.jsonl"


@pytest.fixture(scope="session")
def planted(cli: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus.jsonl of 1,500 documents with planted near-duplicates."""
    return synthesize(cli, tmp_path_factory.mktemp("planted") / "corpus", 1500, 7)


@pytest.fixture(scope="session")
def planted10k(cli: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """10,000 documents: what the engines (Spark, Ray) are checked on."""
    return synthesize(cli, tmp_path_factory.mktemp("planted10k") / "corpus", 10000, 11)


def cli_members(cli: Path, corpus: Path, tmp_path: Path, *args: str) -> list:
    """The CLI's document clusters of `corpus` as sorted (cluster, id,
    similarity, kept) rows."""
    import json

    out = tmp_path / "cli-clusters.jsonl"
    subprocess.run(
        [str(cli), "scan", "--level", "document", "-q", "--clusters", str(out), *args, str(corpus)],
        check=True,
    )
    members = [
        (c["cluster"], m["id"], m["similarity"], m["kept"])
        for c in map(json.loads, out.read_text().splitlines())
        for m in c["members"]
    ]
    assert len(members) > 100, "the planted corpus should have clusters"
    return sorted(members)


def rounded(similarity: float) -> float:
    """Six decimals, rounded half away from zero as the CLI rounds them."""
    import math

    return math.floor(similarity * 1e6 + 0.5) / 1e6

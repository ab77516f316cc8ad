"""A stand-in for GraphFrames, which text-dedup's Spark MinHash imports for
one call: ``GraphFrame(vertices, edges).connectedComponents()``. The real
package needs its JVM jar from a Maven repository, which the benchmark
machine cannot reach. This computes the same components with the same
family of algorithm GraphFrames uses (alternating large-star / small-star
over DataFrames), through textdup.spark's implementation; every other step
of the peer's run is its own code. Columns as GraphFrames gives them:
``id`` and ``component`` (the least id of the component)."""

from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


class GraphFrame:
    def __init__(self, vertices: DataFrame, edges: DataFrame) -> None:
        self.vertices, self.edges = vertices, edges

    def connectedComponents(self, *args: Any, **kwargs: Any) -> DataFrame:
        from textdup.spark import _ORDER, _components

        edges = self.edges.select(F.col("src").alias("a"), F.col("dst").alias("b"))
        found = _components(edges)
        found = found.select(F.col(_ORDER).alias("id"), F.col("root").alias("component"))
        # Vertices without an edge are their own component.
        alone = self.vertices.join(found, "id", "left_anti").select(
            "id", F.col("id").alias("component")
        )
        return found.union(alone)

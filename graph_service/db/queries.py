"""The one loader of `.cypher` files (shipped as the resource package graph_service.cypher).

A file holds one query with a header comment; `schema.cypher` holds several statements, each
ending with `;` at the end of a line. Cypher is never built from input: parameters only.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from neo4j import Query


@cache
def _root() -> Traversable:
    try:
        return resources.files("graph_service.cypher")  # installed wheel
    except ModuleNotFoundError:
        # editable checkout: graph_service is imported from the source tree, beside cypher/
        return Path(__file__).resolve().parents[2] / "cypher"


@cache
def cypher(name: str) -> str:
    """Text of `cypher/<name>.cypher`, e.g. `cypher("import/create_distributors")`."""
    return _root().joinpath(*f"{name}.cypher".split("/")).read_text(encoding="utf-8")


def names(folder: str) -> list[str]:
    """The queries of a folder of `cypher/`, e.g. `names("queries")` -> ["inactive_legs", ...]."""
    return sorted(
        f"{folder}/{entry.name.removesuffix('.cypher')}"
        for entry in _root().joinpath(folder).iterdir()
        if entry.is_file() and entry.name.endswith(".cypher")
    )


def query(name: str, timeout: float | None = None) -> Query:
    # LiteralString is what the driver wants; these texts come from files in the package, not input.
    return Query(cypher(name), timeout=timeout)


def statements(name: str) -> list[str]:
    """Split a multi-statement file on lines ending with `;`, dropping comment-only chunks."""
    out: list[str] = []
    chunk: list[str] = []
    for line in cypher(name).splitlines():
        chunk.append(line)
        if line.rstrip().endswith(";"):
            text = "\n".join(chunk).strip().rstrip(";").strip()
            body = [ln for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("//")]
            if body:
                out.append(text)
            chunk = []
    return out

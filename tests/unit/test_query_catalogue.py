"""The named-query catalogue (cypher/queries/): every file declares itself properly, uses only
declared and system parameters, and keeps what it returns inside the caller's scope. No database."""

from __future__ import annotations

import re
from typing import Any

import pytest

from graph_service.analytics.queries import (
    PARAM_TYPES,
    SYSTEM_PARAMS,
    CatalogueError,
    NamedQuery,
    bind,
    catalogue,
    find,
    parse,
)
from graph_service.errors import BadRequest, NotFound
from tests.helpers import REPO

FILES = sorted((REPO / "cypher" / "queries").glob("*.cypher"))
USED = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def _body(text: str) -> str:
    """The Cypher without comments (a `//` inside a string does not occur in these files)."""
    return "\n".join(line.split("//", 1)[0] for line in text.splitlines())


def test_the_catalogue_ships_the_promised_queries() -> None:
    assert {f.stem for f in FILES} >= {
        "inactive_legs", "rank_candidates", "recruiters_of_the_month",
        "volume_by_country_and_level", "stalled_branches", "top_by_gv",
    }  # fmt: skip
    assert [q.name for q in catalogue()] == [f.stem for f in FILES]


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_every_query_file_parses_and_declares_itself(path: Any) -> None:
    text = path.read_text(encoding="utf-8")
    query = parse(text, path.stem)
    assert query.name == path.stem
    assert query.title
    assert len(query.description) >= 20
    assert text.startswith("//")
    header = [line for line in text.splitlines() if line.startswith("//")]
    assert any("Parameters" in line for line in header)
    for param in query.params:
        assert param.type in PARAM_TYPES
        assert param.description
        assert not (param.required and param.default is not None)
    body = _body(text)
    used = set(USED.findall(body))
    declared = {p.name for p in query.params}
    assert used <= declared | SYSTEM_PARAMS, f"undeclared parameters: {used - declared - SYSTEM_PARAMS}"
    assert declared - {"period"} <= used, f"declared but never used: {declared - used}"
    if "period" in declared:  # the service turns it into $period and its index $i
        assert used & {"period", "i"}
    # what every reader must do: published rows only, and the caller's scope
    assert "$gen" in body
    assert "$scope_lo IS NULL OR" in body
    assert "$scope_hi" in body
    assert query.to_json()["name"] == query.name
    assert find(query.name).description == query.description


HEADER = """// Query: sample
// Title: A sample
// Description: What it does, in more than a few words,
//   continued on the next line.
// Param: id id required  -- the distributor
// Param: limit int optional 10 1..100  -- rows at most
// Param: share float optional 0.5 0..1  -- a share
// Param: flag bool optional false  -- a flag
// Param: period period optional  -- YYYY-MM
// Param: word string optional  -- a word
// Parameters (system, set by the service): $gen, $k.
// Returns rows id.
//   (a free comment's continuation is not part of the description)
MATCH (d:Distributor {id: $id}) RETURN d.id AS id LIMIT $limit
"""


def test_a_header_is_read_whole() -> None:
    query = parse(HEADER, "sample")
    assert isinstance(query, NamedQuery)
    assert query.title == "A sample"
    assert query.description == "What it does, in more than a few words, continued on the next line."
    params = {p.name: p for p in query.params}
    assert list(params) == ["id", "limit", "share", "flag", "period", "word"]
    assert params["id"].required
    assert (params["limit"].default, params["limit"].minimum, params["limit"].maximum) == (10, 1, 100)
    assert params["share"].default == 0.5
    assert params["flag"].default is False
    assert params["period"].default is None
    assert params["word"].description == "a word"


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (("// Query: sample", "// Query: other"), "file's name"),
        (("// Description: What it does, in more than a few words,\n", ""), "Description"),
        (("// Title: A sample\n", ""), "Title"),
        (("limit int optional", "limit integer optional"), "unknown type"),
        (("limit int optional 10", "gen int optional 10"), "system parameter"),
        (("id id required", "id id required 7"), "cannot have a default"),
        (("flag bool optional false", "flag bool optional maybe"), "bad default"),
        (("-- the distributor", "the distributor"), "cannot read"),
        (("// Parameters (system, set by the service): $gen, $k.\n", ""), "Parameters"),
        (("// Param: word string", "// Param: id string"), "twice"),
    ],
)
def test_a_bad_header_is_a_catalogue_error(change: tuple[str, str], says: str) -> None:
    text = HEADER.replace(*change)
    assert text != HEADER
    with pytest.raises(CatalogueError, match=says):
        parse(text, "sample")


def test_parameters_are_bound_to_their_declared_types() -> None:
    query = parse(HEADER, "sample")
    values = bind(query, {"id": "D7", "limit": "20", "share": "0.25", "flag": "TRUE", "period": "2026-10"})
    assert values == {"id": "D7", "limit": 20, "share": 0.25, "flag": True, "period": "2026-10", "word": None}
    assert bind(query, {"id": "D7", "limit": 5.0})["limit"] == 5
    assert bind(query, {"id": "D7"})["limit"] == 10
    for bad, named in [
        ({}, "'id'"),
        ({"id": "D7", "limit": 101}, "'limit'"),
        ({"id": "D7", "limit": "1e2"}, "'limit'"),
        ({"id": "D7", "share": 1.5}, "'share'"),
        ({"id": "D7", "share": "inf"}, "'share'"),
        ({"id": "D7", "flag": 1}, "'flag'"),
        ({"id": "D7", "period": "2026-00"}, "'period'"),
        ({"id": "D7", "word": 3}, "'word'"),
        ({"id": "x" * 65}, "'id'"),
        ({"id": "D7", "other": 1}, "'other'"),
        ({"id": "D7", "k": {}}, "'k'"),
    ]:
        with pytest.raises(BadRequest, match=named):
            bind(query, bad)


def test_an_unknown_query_name_is_not_found() -> None:
    for name in ("nope", "../analytics/stats", "", "INACTIVE_LEGS"):
        with pytest.raises(NotFound):
            find(name)

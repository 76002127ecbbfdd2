"""Named analyst queries on a small hand-built network, every expected row worked out by hand.

    R  (US)                         Q  (DE)
    ├─ A  (US)                      ├─ Q1  (DE)
    │  ├─ A1  (FR)                  └─ Q2  (DE)
    │  └─ A2  (US)                     └─ Q21 (DE)
    │     └─ A21 (FR)
    ├─ B  (FR)
    │  └─ B1  (no country)
    └─ C  (US)

PV per period (from the orders below; refunds subtract):
    2026-08  R 100, B1 40, C 10
    2026-09  R 150, A 100, B 20, B1 30
    2026-10  R 120, A 50.5, A1 150, A21 49.75 (60 - 10.25), B 100, Q 200, Q1 99.9999, Q2 30, Q21 -30
GV in 2026-10: R 470.25, A 250.25, A1 150, A2 49.75, A21 49.75, B 100, B1 0, C 0,
               Q 299.9999, Q1 99.9999, Q2 0, Q21 -30.
GV in 2026-09: R 300, A 100, B 50, B1 30, C 0.     GV in 2026-08: R 150, B 40, B1 40, C 10, A 0.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from neo4j import Driver

from graph_service.analytics.queries import catalogue, run_named
from graph_service.config import Settings
from graph_service.errors import BadRequest, NotFound
from graph_service.ingest.load import import_folder
from tests.helpers import write_folder

DISTRIBUTORS = [
    ("R", "", "Root", "US", "2025-12-01", "", ""),
    ("A", "R", "Ann", "US", "2026-09-05", "", ""),
    ("A1", "A", "Al", "FR", "2026-10-03", "", ""),
    ("A2", "A", "Abe", "US", "2026-10-10", "", ""),
    ("A21", "A2", "Ada", "FR", "2026-10-15", "", ""),
    ("B", "R", "Bob", "FR", "2026-09-20", "", ""),
    ("B1", "B", "Bea", "", "2026-10-01", "", ""),
    ("C", "R", "Cy", "US", "2026-10-02", "", ""),
    ("Q", "", "Quinn", "DE", "2026-01-01", "", ""),
    ("Q1", "Q", "Quentin", "DE", "2026-10-05", "", ""),
    ("Q2", "Q", "Quill", "DE", "2026-09-01", "", ""),
    ("Q21", "Q2", "Quade", "DE", "2026-09-15", "", ""),
]
ORDERS = [
    ("o1", "R", "2026-08-03", "100", "", "retail"),
    ("o2", "B1", "2026-08-10", "40", "", "self"),
    ("o3", "C", "2026-08-11", "10", "", ""),
    ("o4", "R", "2026-09-01", "150", "", ""),
    ("o5", "A", "2026-09-02", "100", "", ""),
    ("o6", "B", "2026-09-03", "20", "", ""),
    ("o7", "B1", "2026-09-04", "30", "", ""),
    ("o8", "R", "2026-10-01", "120", "", ""),
    ("o9", "A", "2026-10-02", "50.5", "", ""),
    ("o10", "A1", "2026-10-03", "150", "", ""),
    ("o11", "A21", "2026-10-16", "60", "", ""),
    ("o12", "A21", "2026-10-20", "-10.25", "", ""),
    ("o13", "B", "2026-10-04", "100", "", ""),
    ("o14", "Q", "2026-10-05", "200", "", ""),
    ("o15", "Q1", "2026-10-06", "99.9999", "", ""),
    ("o16", "Q2", "2026-10-07", "30", "", ""),
    ("o17", "Q21", "2026-10-08", "-30", "", ""),
]
DOWNLINE = {"R": {"A", "A1", "A2", "A21", "B", "B1", "C"}, "A": {"A1", "A2", "A21"}, "B": {"B1"}}


@pytest.fixture
def network(driver: Driver, settings: Settings, tmp_path: Path) -> Driver:
    import_folder(
        driver, write_folder(tmp_path / "net", DISTRIBUTORS, ORDERS), database=settings.neo4j_database
    )
    return driver


@pytest.fixture
def run(network: Driver, settings: Settings) -> Any:
    def call(name: str, scope_id: str | None = None, active_pv: Decimal | None = None, **params: Any) -> Any:
        frame = run_named(
            network, settings.neo4j_database, name, params, scope_id=scope_id, active_pv=active_pv
        )
        assert isinstance(frame, pd.DataFrame)
        return frame

    return call


def rows(frame: pd.DataFrame, *columns: str) -> list[tuple[Any, ...]]:
    picked = frame[list(columns)] if columns else frame
    return [tuple(None if _missing(v) else v for v in r) for r in picked.itertuples(index=False)]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


# -- each query -------------------------------------------------------------------------------


def test_inactive_legs(run: Any) -> None:
    # latest period (2026-10): A's leg has A1 (150), B is active himself; C has nothing
    frame = run("inactive_legs", id="R")
    assert list(frame.columns) == ["leg", "name", "size", "gv"]
    assert rows(frame) == [("C", "Cy", 1, 0.0)]
    assert rows(run("inactive_legs", id="R", period="2026-09")) == [
        ("B", "Bob", 2, 50.0),
        ("C", "Cy", 1, 0.0),
    ]
    assert rows(run("inactive_legs", id="R", period="2026-08"), "leg", "size", "gv") == [
        ("B", 2, 40.0),
        ("C", 1, 10.0),
        ("A", 4, 0.0),
    ]
    assert rows(run("inactive_legs", id="R", period="2026-08", limit=1), "leg") == [("B",)]
    # a month without orders: nobody is active, every leg listed (ties by id)
    assert rows(run("inactive_legs", id="R", period="2026-11"), "leg", "size", "gv") == [
        ("A", 4, 0.0),
        ("B", 2, 0.0),
        ("C", 1, 0.0),
    ]
    # another threshold than the rollup's: legs are walked (B1 has exactly 40 in 2026-08)
    assert rows(run("inactive_legs", id="R", period="2026-08", active_pv=Decimal(40)), "leg") == [
        ("C",),
        ("A",),
    ]
    # Q1 is 0.0001 short of active; Q2's leg nets to 0 (30 and -30)
    assert rows(run("inactive_legs", id="Q"), "leg", "size", "gv") == [("Q1", 1, 99.9999), ("Q2", 2, 0.0)]
    assert rows(run("inactive_legs", id="Q", active_pv=Decimal("99.9999")), "leg") == [("Q2",)]
    assert rows(run("inactive_legs", id="C")) == []


def test_rank_candidates(run: Any) -> None:
    frame = run("rank_candidates", min_gv=100)
    assert list(frame.columns) == [
        "id", "name", "pv", "gv", "frontline", "downline_size", "strongest_leg_share",
    ]  # fmt: skip
    assert rows(frame, "id", "pv", "gv", "frontline", "downline_size") == [
        ("R", 120.0, 470.25, 3, 7),
        ("Q", 200.0, 299.9999, 2, 3),
        ("A", 50.5, 250.25, 2, 3),
        ("A1", 150.0, 150.0, 0, 0),
        ("B", 100.0, 100.0, 1, 1),
    ]
    shares = dict(rows(frame, "id", "strongest_leg_share"))
    assert shares == {
        "R": pytest.approx(250.25 / 350.25),
        "Q": 1.0,
        "A": pytest.approx(150 / 199.75),
        "A1": 0.0,  # no legs
        "B": 0.0,  # one leg, but the legs' volume is 0
    }
    assert rows(run("rank_candidates", min_gv=100, min_pv=100), "id") == [("R",), ("Q",), ("A1",), ("B",)]
    # thresholds compare exactly with four decimal places
    assert rows(run("rank_candidates", min_gv="470.25"), "id") == [("R",)]
    assert rows(run("rank_candidates", min_gv=470.2501)) == []
    assert rows(run("rank_candidates", min_gv=299.9999, limit=2), "id") == [("R",), ("Q",)]
    assert rows(run("rank_candidates", min_gv=100, period="2026-09"), "id", "gv") == [
        ("R", 300.0),
        ("A", 100.0),
    ]


def test_recruiters_of_the_month(run: Any) -> None:
    frame = run("recruiters_of_the_month")  # 2026-10, the latest period with orders
    assert list(frame.columns) == ["id", "name", "recruits", "active_recruits"]
    assert rows(frame) == [
        ("A", "Ann", 2, 1),  # A1 (active) and A2
        ("A2", "Abe", 1, 0),
        ("B", "Bob", 1, 0),
        ("Q", "Quinn", 1, 0),  # Q1 is 0.0001 short
        ("R", "Root", 1, 0),
    ]
    assert rows(run("recruiters_of_the_month", limit=2), "id") == [("A",), ("A2",)]
    assert rows(run("recruiters_of_the_month", period="2026-09")) == [
        ("R", "Root", 2, 1),  # A (active in 2026-09) and B
        ("Q", "Quinn", 1, 0),
        ("Q2", "Quill", 1, 0),
    ]
    assert rows(run("recruiters_of_the_month", period="2025-12")) == []  # R joined, sponsored by nobody


def test_volume_by_country_and_level(run: Any) -> None:
    frame = run("volume_by_country_and_level", id="R")
    assert list(frame.columns) == ["country", "level", "members", "active", "pv"]
    assert rows(frame) == [
        ("FR", 1, 1, 1, 100.0),
        ("US", 1, 2, 0, 50.5),
        ("FR", 2, 1, 1, 150.0),
        ("US", 2, 1, 0, 0.0),
        (None, 2, 1, 0, 0.0),
        ("FR", 3, 1, 0, 49.75),
    ]
    assert rows(run("volume_by_country_and_level", id="R", period="2026-08")) == [
        ("FR", 1, 1, 0, 0.0),
        ("US", 1, 2, 0, 10.0),
        ("FR", 2, 1, 0, 0.0),
        ("US", 2, 1, 0, 0.0),
        (None, 2, 1, 0, 40.0),
        ("FR", 3, 1, 0, 0.0),
    ]
    assert rows(run("volume_by_country_and_level", id="Q")) == [
        ("DE", 1, 2, 0, 129.9999),
        ("DE", 2, 1, 0, -30.0),
    ]
    assert rows(run("volume_by_country_and_level", id="C")) == []


def test_stalled_branches(run: Any) -> None:
    frame = run("stalled_branches", id="R", months=2)  # 2026-09 and 2026-10
    assert list(frame.columns) == ["leg", "name", "size", "since", "last_volume_period"]
    assert rows(frame) == [("C", "Cy", 1, "2026-09", "2026-08")]
    assert rows(run("stalled_branches", id="R")) == []  # three months: C had 10 in 2026-08
    assert rows(run("stalled_branches", id="R", months=1, period="2026-08"), "leg", "size") == [("A", 4)]
    # Q2's leg nets to 0 in 2026-10 (30 and -30), but it had volume: not stalled
    assert rows(run("stalled_branches", id="Q", months=1)) == []
    assert rows(run("stalled_branches", id="Q", period="2026-09")) == [
        ("Q2", "Quill", 2, "2026-08", None),
        ("Q1", "Quentin", 1, "2026-08", None),
    ]
    assert rows(run("stalled_branches", id="Q", period="2026-09", limit=1), "leg") == [("Q2",)]


def test_top_by_gv(run: Any) -> None:
    frame = run("top_by_gv", limit=3)
    assert list(frame.columns) == ["id", "name", "gv", "pv", "downline_size", "depth"]
    assert rows(frame) == [
        ("R", "Root", 470.25, 120.0, 7, 0),
        ("Q", "Quinn", 299.9999, 200.0, 3, 0),
        ("A", "Ann", 250.25, 50.5, 3, 1),
    ]
    assert len(run("top_by_gv")) == 10  # the default limit
    assert rows(run("top_by_gv", period="2026-08", limit=4), "id", "gv") == [
        ("R", 150.0),
        ("B", 40.0),
        ("B1", 40.0),
        ("C", 10.0),
    ]


# -- scope ------------------------------------------------------------------------------------


def test_scoped_queries_return_only_the_scope(run: Any) -> None:
    for scope, members in (("A", {"A", *DOWNLINE["A"]}), ("B", {"B", *DOWNLINE["B"]})):
        assert set(run("top_by_gv", scope_id=scope, limit=100)["id"]) == members
        assert set(run("rank_candidates", scope_id=scope, min_gv=-1000)["id"]) == members
        for period in ("2026-08", "2026-09", "2026-10"):
            assert (
                set(run("recruiters_of_the_month", scope_id=scope, period=period, limit=100)["id"]) <= members
            )
            assert set(run("inactive_legs", scope_id=scope, id=scope, period=period)["leg"]) <= members
            assert set(run("stalled_branches", scope_id=scope, id=scope, period=period)["leg"]) <= members
    assert rows(run("top_by_gv", scope_id="A"), "id", "gv") == [
        ("A", 250.25),
        ("A1", 150.0),
        ("A2", 49.75),
        ("A21", 49.75),
    ]
    assert rows(run("recruiters_of_the_month", scope_id="A"), "id", "recruits") == [("A", 2), ("A2", 1)]
    assert rows(run("volume_by_country_and_level", scope_id="A", id="A")) == [
        ("FR", 1, 1, 1, 150.0),
        ("US", 1, 1, 0, 0.0),
        ("FR", 2, 1, 0, 49.75),
    ]
    assert rows(run("inactive_legs", scope_id="A", id="A", period="2026-08"), "leg") == [("A1",), ("A2",)]
    # the scope's own member is inside it; the whole network is inside a root's scope
    assert rows(run("top_by_gv", scope_id="R", limit=1), "id") == [("R",)]
    assert set(run("top_by_gv", scope_id="Q", limit=100)["id"]) == {"Q", "Q1", "Q2", "Q21"}


def test_an_id_outside_the_scope_is_not_found_like_an_unknown_one(run: Any) -> None:
    with pytest.raises(NotFound) as unknown:
        run("inactive_legs", id="NOBODY")
    assert unknown.value.message == "no distributor with id 'NOBODY'"
    for name in ("inactive_legs", "volume_by_country_and_level", "stalled_branches"):
        for outside in ("R", "B", "Q", "Q1"):
            with pytest.raises(NotFound) as err:
                run(name, scope_id="A", id=outside)
            assert err.value.message == f"no distributor with id {outside!r}"
    with pytest.raises(NotFound):
        run("top_by_gv", scope_id="NOBODY")


# -- parameters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "params", "named"),
    [
        ("inactive_legs", {}, "'id'"),  # missing required
        ("inactive_legs", {"id": None}, "'id'"),
        ("rank_candidates", {}, "'min_gv'"),
        ("inactive_legs", {"id": "R", "limit": "many"}, "'limit'"),
        ("inactive_legs", {"id": "R", "limit": 2.5}, "'limit'"),
        ("inactive_legs", {"id": "R", "limit": True}, "'limit'"),
        ("inactive_legs", {"id": "R", "limit": 0}, "'limit'"),
        ("inactive_legs", {"id": "R", "limit": 10_001}, "'limit'"),
        ("inactive_legs", {"id": 7}, "'id'"),
        ("inactive_legs", {"id": ""}, "'id'"),
        ("rank_candidates", {"min_gv": "lots"}, "'min_gv'"),
        ("rank_candidates", {"min_gv": float("nan")}, "'min_gv'"),
        ("rank_candidates", {"min_gv": [1]}, "'min_gv'"),
        ("inactive_legs", {"id": "R", "period": "2026-13"}, "'period'"),
        ("inactive_legs", {"id": "R", "period": "2026-1"}, "'period'"),
        ("top_by_gv", {"period": 202610}, "'period'"),
        ("top_by_gv", {"top": 5}, "'top'"),  # unknown parameter
        ("top_by_gv", {"gen": 99}, "'gen'"),  # a system parameter cannot be set
        ("top_by_gv", {"scope_lo": 0}, "'scope_lo'"),
        ("stalled_branches", {"id": "R", "months": 121}, "'months'"),
    ],
)
def test_bad_parameters_are_refused_by_name(
    driver: Driver, settings: Settings, name: str, params: dict[str, Any], named: str
) -> None:
    # checked against the declaration before the database is asked anything
    with pytest.raises(BadRequest) as err:
        run_named(driver, settings.neo4j_database, name, params)
    assert named in err.value.message
    assert err.value.exit_code == 2
    assert err.value.http_status == 422


def test_text_values_are_read_as_their_type(run: Any) -> None:
    assert rows(run("top_by_gv", limit="2"), "id") == [("R",), ("Q",)]
    assert rows(run("rank_candidates", min_gv="100", min_pv="100", limit="1"), "id") == [("R",)]


def test_unknown_query_and_unknown_id_are_not_found(run: Any) -> None:
    with pytest.raises(NotFound):
        run("drop_everything")
    with pytest.raises(NotFound):
        run("stalled_branches", id="ZZZ")


def test_every_catalogued_query_runs_on_an_empty_database(driver: Driver, settings: Settings) -> None:
    for query in catalogue():
        params: dict[str, Any] = {p.name: 0 for p in query.params if p.required and p.type == "float"}
        if any(p.type == "id" and p.required for p in query.params):
            with pytest.raises(NotFound):
                run_named(driver, settings.neo4j_database, query.name, {**params, "id": "R"})
        else:
            frame = run_named(driver, settings.neo4j_database, query.name, params)
            assert frame.empty

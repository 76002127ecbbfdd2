"""A bounded load on loopback (issue 9): concurrent clients mixing API reads (a member's stats,
downline pages followed by their cursors, the network figures) with the dashboard's callbacks as
the browser posts them (overview, an explorer expansion, the legs page), against the session's
`downline serve` and the real Neo4j: not one error, and every kind of request served.

The workload is the benchmark's (benchmarks/http_load.py, `make bench` runs it for 60 s at each
size). 8 clients for 8 s in `make test`; 16 clients for 60 s when `DOWNLINE_SOAK_REPEATS` is set
(`make soak`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from neo4j import Driver

from benchmarks import http_load
from graph_service.api import keys as keystore
from graph_service.config import Settings
from graph_service.db.admin import delete_all
from graph_service.db.schema import ensure_schema
from graph_service.ingest.generator import generate
from graph_service.ingest.load import import_folder
from tests.reliability.tally import tally

pytestmark = pytest.mark.neo4j

SOAK = "DOWNLINE_SOAK_REPEATS" in os.environ
CLIENTS, SECONDS = (16, 60.0) if SOAK else (8, 8.0)


@pytest.fixture(scope="module")
def viewer(
    session_driver: Driver, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, list[str]]:
    """A generated network of 300 members, loaded once for the module: a viewer key and every id."""
    db = settings.neo4j_database
    delete_all(session_driver, database=db)
    ensure_schema(session_driver, db)
    folder: Path = tmp_path_factory.mktemp("load-net")
    generate(folder, distributors=300, months=2, seed=9)
    import_folder(session_driver, folder, database=db)
    records, _, _ = session_driver.execute_query("MATCH (d:Distributor) RETURN d.id AS id", database_=db)
    key = keystore.create_key(session_driver, db, role="viewer", name="load")[0]
    return key, [r["id"] for r in records]


def test_a_mixed_load_gets_no_errors(api: str, viewer: tuple[str, list[str]]) -> None:
    key, ids = viewer
    result = http_load.mixed_run(api, key, ids, clients=CLIENTS, seconds=SECONDS, warmup=2)
    for k in [*result.kinds, result.total]:
        print(
            f"{k.kind:28} {k.requests:6} requests {k.rps:7.1f}/s p50 {k.p50_ms:7.1f} ms "
            f"p99 {k.p99_ms:7.1f} ms {k.errors} errors"
        )
    tally("load_requests", result.total.requests + result.warmup_requests)
    tally("load_errors", result.errors)
    failures = {what: (n, result.examples.get(what, "")) for what, n in result.failures.items()}
    assert result.errors == 0, f"{result.errors} errors under load: {failures}"
    assert [k.kind for k in result.kinds if k.requests == 0] == [], "a kind of request was never served"

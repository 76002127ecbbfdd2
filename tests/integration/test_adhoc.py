"""Ad hoc Cypher for analysts on the real server: reads come back JSON-safe, everything else is
refused before it runs, and the database (data, schema, users) is exactly as before."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from neo4j import Driver

from graph_service.api.adhoc import AdhocResult, QueryRefused, QueryTimeout, run_adhoc
from graph_service.config import Settings
from graph_service.errors import BadRequest
from graph_service.ingest.load import import_folder
from tests.helpers import dump, write_folder

DISTRIBUTORS = [
    ("R", "", "Root", "US", "2025-12-01", "", ""),
    ("A", "R", "Ann", "FR", "2026-09-05", "", ""),
    ("B", "R", 'Bob, "the" builder', "", "", "", ""),
    ("A1", "A", "Al", "FR", "2026-10-03", "", ""),
]
ORDERS = [
    ("o1", "R", "2026-10-02", "120", "12.5", "retail"),
    ("o2", "A", "2026-10-03", "50.5", "", "self"),
    ("o3", "A1", "2026-09-04", "150", "", ""),
]


@pytest.fixture
def db(driver: Driver, settings: Settings, tmp_path: Path) -> str:
    import_folder(
        driver, write_folder(tmp_path / "net", DISTRIBUTORS, ORDERS), database=settings.neo4j_database
    )
    return settings.neo4j_database


def snapshot(driver: Driver) -> Any:
    """Data (what readers see and the raw store), schema and users: all a refusal must leave alone."""
    indexes, _, _ = driver.execute_query("SHOW INDEXES YIELD name, type, labelsOrTypes, properties")
    constraints, _, _ = driver.execute_query("SHOW CONSTRAINTS YIELD name")
    users, _, _ = driver.execute_query("SHOW USERS YIELD user", database_="system")
    labels, _, _ = driver.execute_query("CALL db.labels() YIELD label RETURN collect(label) AS l")
    return (
        dump(driver),
        dump(driver, visible_only=False),
        sorted(map(repr, indexes)),
        sorted(map(repr, constraints)),
        sorted(r["user"] for r in users),
        sorted(labels[0]["l"]),
    )


# -- reads ------------------------------------------------------------------------------------


def test_a_read_returns_columns_and_rows(driver: Driver, db: str) -> None:
    result = run_adhoc(
        driver,
        db,
        "MATCH (d:Distributor) WHERE d.country = $country RETURN d.id AS id, d.name AS name ORDER BY id",
        {"country": "FR"},
    )
    assert isinstance(result, AdhocResult)
    assert result.columns == ["id", "name"]
    assert result.rows == [["A", "Ann"], ["A1", "Al"]]
    assert result.truncated is False
    assert result.elapsed_ms > 0
    json.dumps(result.to_json(), allow_nan=False)


def test_values_come_back_json_safe(driver: Driver, db: str) -> None:
    result = run_adhoc(
        driver,
        db,
        "MATCH p = (s:Distributor {id: 'R'})-[r:SPONSORS]->(d:Distributor {id: 'A'}) "
        "RETURN d, r, p, d.joined_on AS joined, datetime('2026-10-02T10:00:00Z') AS at, "
        "duration('P1M2D') AS span, point({x: 1, y: 2}) AS location, [d.id, {n: 1.5}] AS nested, "
        "0.0 / 0.0 AS nan, null AS nothing",
        None,
    )
    assert result.columns == ["d", "r", "p", "joined", "at", "span", "location", "nested", "nan", "nothing"]
    (d, r, p, joined, at, span, location, nested, nan, nothing) = result.rows[0]
    assert d["labels"] == ["Distributor"]
    assert d["properties"]["id"] == "A"
    assert d["properties"]["joined_on"] == "2026-09-05"
    assert r == {"type": "SPONSORS", "properties": {}}
    assert [n["properties"]["id"] for n in p] == ["R", "A"]
    assert joined == "2026-09-05"
    assert at.startswith("2026-10-02T10:00:00")
    assert span == "P1M2D"
    assert location == {"srid": 7203, "coordinates": [1.0, 2.0]}
    assert nested == ["A", {"n": 1.5}]
    assert nan == "NaN"
    assert nothing is None
    json.dumps(result.to_json(), allow_nan=False)


def test_allowed_catalogue_procedures_and_schema_listings(driver: Driver, db: str) -> None:
    labels = run_adhoc(driver, db, "CALL db.labels() YIELD label RETURN label ORDER BY label", None)
    assert ["Distributor"] in labels.rows
    assert run_adhoc(driver, db, "CALL db.relationshipTypes()", None).rows
    assert run_adhoc(driver, db, "CALL db.propertyKeys()", None).rows
    assert run_adhoc(driver, db, "CALL db.schema.visualization()", None).columns == ["nodes", "relationships"]
    indexes = run_adhoc(driver, db, "SHOW INDEXES YIELD name RETURN name", None)
    assert ["distributor_depth"] in indexes.rows
    # a pure APOC function, a trailing semicolon, `USE` of this very database, comments
    assert run_adhoc(driver, db, "RETURN apoc.text.join(['a', 'b'], '-') AS j;", None).rows == [["a-b"]]
    assert run_adhoc(driver, db, f"USE {db} MATCH (d:Distributor) RETURN count(d) AS n", None).rows == [[4]]
    text = "// how many?\nMATCH (d:Distributor) /* ; not a second statement */ RETURN count(d) AS n // ;"
    assert run_adhoc(driver, db, text, None).rows == [[4]]
    assert run_adhoc(driver, db, "WITH {use: 1} AS use RETURN use.use AS use", None).rows == [[1]]
    assert run_adhoc(driver, db, "RETURN 'a;b' AS s, $x AS x", {"x": [1, {"y": None}]}).rows == [
        ["a;b", [1, {"y": None}]]
    ]


def test_the_row_cap_truncates(driver: Driver, db: str) -> None:
    capped = run_adhoc(driver, db, "UNWIND range(1, 50000) AS x RETURN x", None, max_rows=100)
    assert capped.truncated is True
    assert capped.rows == [[x] for x in range(1, 101)]
    exact = run_adhoc(driver, db, "UNWIND range(1, 100) AS x RETURN x", None, max_rows=100)
    assert exact.truncated is False
    assert len(exact.rows) == 100
    assert run_adhoc(driver, db, "MATCH (n:Nothing) RETURN n", None).rows == []


def test_a_slow_query_is_stopped_by_the_server(driver: Driver, db: str) -> None:
    began = time.perf_counter()
    with pytest.raises(QueryTimeout) as err:
        run_adhoc(
            driver,
            db,
            "UNWIND range(1, 100000000) AS x WITH x WHERE x < 0 RETURN count(*)",
            None,
            timeout_s=1,
        )
    assert time.perf_counter() - began < 8
    assert err.value.code == "query_timeout"
    assert err.value.exit_code == 2
    assert err.value.http_status == 422


# -- refusals ---------------------------------------------------------------------------------

REFUSED = {
    "create": "CREATE (n:Distributor {id: 'X'}) RETURN n",
    "merge": "MERGE (n:Distributor {id: 'X'}) RETURN n",
    "set": "MATCH (d:Distributor) SET d.name = 'hacked'",
    "remove": "MATCH (d:Distributor) REMOVE d.name",
    "delete": "MATCH (o:Order) DELETE o",
    "detach_delete": "MATCH (d:Distributor) DETACH DELETE d",
    "foreach_create": "FOREACH (x IN [1, 2] | CREATE (:Intruder))",
    "write_in_subquery": "MATCH (d:Distributor) CALL (d) { SET d.x = 1 } RETURN count(*)",
    "create_index": "CREATE INDEX intruder FOR (n:Distributor) ON (n.name)",
    "create_constraint": "CREATE CONSTRAINT intruder FOR (n:Intruder) REQUIRE n.id IS UNIQUE",
    "drop_index": "DROP INDEX distributor_depth",
    "drop_constraint": "DROP CONSTRAINT distributor_id",
    "load_csv": "LOAD CSV FROM 'file:///etc/passwd' AS row RETURN row",
    "load_csv_url": "LOAD CSV WITH HEADERS FROM 'http://127.0.0.1:1/x.csv' AS row RETURN row",
    "dbms_components": "CALL dbms.components()",
    "dbms_list_config": "CALL dbms.listConfig() YIELD name RETURN name",
    "dbms_kill": "CALL dbms.killConnections(['bolt-1'])",
    "clear_caches": "CALL db.clearQueryCaches()",
    "create_label": "CALL db.createLabel('Intruder')",
    "create_property_key": "CALL db.createProperty('intruder')",
    "apoc_meta": "CALL apoc.meta.stats()",
    "apoc_sleep": "CALL apoc.util.sleep(10)",
    "apoc_create_node": "CALL apoc.create.node(['Intruder'], {})",
    "apoc_run_write": "CALL apoc.cypher.runWrite('CREATE (:Intruder)', {})",
    "apoc_cypher_function": "RETURN apoc.cypher.runFirstColumnSingle('MATCH (n) RETURN count(n)', {}) AS n",
    "apoc_backticked": "RETURN `apoc`.`cypher`.runFirstColumnSingle('RETURN 1', {}) AS n",
    "in_transactions": "MATCH (d:Distributor) CALL (d) { SET d.x = 1 } IN TRANSACTIONS",
    "read_in_transactions": "CALL () { MATCH (d:Distributor) RETURN d } IN TRANSACTIONS RETURN count(d)",
    "show_users": "SHOW USERS",
    "create_user": "CREATE USER intruder SET PASSWORD 'intruder-password' CHANGE NOT REQUIRED",
    "show_settings": "SHOW SETTINGS",
    "show_transactions": "SHOW TRANSACTIONS",
    "terminate": "TERMINATE TRANSACTIONS 'neo4j-transaction-1'",
    "show_databases": "SHOW DATABASES",
    "use_system": "USE system SHOW USERS",
    "use_system_match": "USE system MATCH (n) RETURN n",
    "use_in_subquery": "CALL () { USE system RETURN 1 AS x } RETURN x",
    "use_backticked": "USE `system` RETURN 1",
    "use_after_union": "RETURN 1 AS x UNION USE system RETURN 1 AS x",
    "two_statements": "MATCH (d:Distributor) RETURN d; MATCH (o:Order) DETACH DELETE o",
    "two_reads": "RETURN 1 AS a; RETURN 2 AS b",
    "profile": "PROFILE MATCH (d:Distributor) RETURN d",
    "explain": "EXPLAIN MATCH (d:Distributor) RETURN d",
}


@pytest.mark.parametrize("query", list(REFUSED.values()), ids=list(REFUSED))
def test_refused_before_running_and_nothing_changes(driver: Driver, db: str, query: str) -> None:
    before = snapshot(driver)
    with pytest.raises(QueryRefused) as err:
        run_adhoc(driver, db, query, None)
    assert err.value.code == "query_refused"
    assert err.value.exit_code == 2
    assert err.value.http_status == 422
    assert isinstance(err.value, BadRequest)
    assert err.value.message
    assert snapshot(driver) == before


def test_refusals_say_why(driver: Driver, db: str) -> None:
    def reason(query: str) -> str:
        with pytest.raises(QueryRefused) as err:
            run_adhoc(driver, db, query, None)
        return err.value.message

    assert "writes" in reason(REFUSED["create"])
    assert "schema" in reason(REFUSED["create_index"])
    assert "LOAD CSV" in reason(REFUSED["load_csv"])
    assert "IN TRANSACTIONS" in reason(REFUSED["in_transactions"])
    assert "dbms.components" in reason(REFUSED["dbms_components"])
    assert "apoc.meta.stats" in reason(REFUSED["apoc_meta"])
    assert "apoc.cypher.runFirstColumnSingle" in reason(REFUSED["apoc_cypher_function"])
    assert "administration" in reason(REFUSED["show_users"])
    assert "system" in reason(REFUSED["use_system"])
    assert "one statement" in reason(REFUSED["two_reads"])
    assert "characters" in reason("RETURN 1 AS x " + "/*" + "x" * 20_000 + "*/")


def test_a_syntax_error_is_a_bad_request_with_the_servers_message(driver: Driver, db: str) -> None:
    with pytest.raises(BadRequest) as err:
        run_adhoc(driver, db, "MATCH (d:Distributor RETURN d", None)
    assert not isinstance(err.value, QueryRefused)
    assert err.value.code == "bad_request"
    message = err.value.message
    assert "Invalid input 'RETURN'" in message
    # positions are the analyst's, not those of the EXPLAIN the check ran
    assert "(line 1, column 22 (offset: 21))" in message
    assert '"MATCH (d:Distributor RETURN d"' in message
    assert "EXPLAIN" not in message
    assert "Traceback" not in message
    with pytest.raises(BadRequest) as runtime:
        run_adhoc(driver, db, "RETURN 1 / $zero AS x", {"zero": 0})
    assert "by zero" in runtime.value.message


@pytest.mark.parametrize(
    "params",
    [
        {"x": object()},
        {"x": {1, 2}},
        {"x": b"bytes"},
        {"x": float("inf")},
        {"x": float("nan")},
        {"x": 2**64},
        {"x": [1, {"y": object()}]},
        {"x": {1: "non-string key"}},
        {"": 1},
    ],
)
def test_parameters_must_be_json(driver: Driver, db: str, params: dict[str, Any]) -> None:
    with pytest.raises(BadRequest):
        run_adhoc(driver, db, "RETURN 1 AS one", params)


def test_limits_are_checked(driver: Driver, db: str) -> None:
    with pytest.raises(BadRequest):
        run_adhoc(driver, db, "   ", None)
    with pytest.raises(BadRequest):
        run_adhoc(driver, db, "// only a comment", None)
    with pytest.raises(BadRequest):
        run_adhoc(driver, db, "RETURN 1", None, max_rows=0)
    with pytest.raises(BadRequest):
        run_adhoc(driver, db, "RETURN 1", None, timeout_s=0)
    long_read = "RETURN 1 AS x //" + "x" * (20_000 - 16)
    assert len(long_read) == 20_000
    assert run_adhoc(driver, db, long_read, None).rows == [[1]]
    with pytest.raises(QueryRefused):
        run_adhoc(driver, db, long_read + "x", None)

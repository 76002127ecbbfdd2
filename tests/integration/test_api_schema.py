"""Schemathesis over the OpenAPI document, against the running service and the real Neo4j: whatever
the schema allows (and much it does not), no request makes the service answer 5xx, and every answer (status,
content type, body) is what the document says."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from neo4j import Driver
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from graph_service.api import keys as keystore
from graph_service.config import Settings
from graph_service.db.admin import delete_all
from graph_service.db.schema import ensure_schema
from graph_service.ingest.generator import generate
from graph_service.ingest.load import import_folder
from tests.reliability.tally import tally

# no 5xx; every answer's status, content type and body as the OpenAPI document says
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def admin_key(session_driver: Driver, settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A generated network of 300 members and an admin key, loaded once for the module."""
    db = settings.neo4j_database
    delete_all(session_driver, database=db)
    ensure_schema(session_driver, db)
    folder: Path = tmp_path_factory.mktemp("schema-net")
    generate(folder, distributors=300, months=2, seed=7)
    import_folder(session_driver, folder, database=db)
    return keystore.create_key(session_driver, db, role="admin", name="schemathesis")[0]


def test_no_request_makes_a_server_error(api: str, admin_key: str) -> None:
    # schemathesis' own pytest plugin does not run on pytest 9; drive its strategies directly
    schema = schemathesis.openapi.from_url(f"{api}/openapi.json")
    headers = {"Authorization": f"Bearer {admin_key}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=30,
            deadline=None,
            database=None,
            suppress_health_check=[
                HealthCheck.too_slow,
                HealthCheck.filter_too_much,
                HealthCheck.data_too_large,
            ],
        )
        def no_server_error(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=api, headers=headers, checks=CHECKS)
            tally("schema_requests")

        no_server_error()

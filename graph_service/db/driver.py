"""Driver lifecycle: one driver per process, built from settings (local server or DOWNLINE_NEO4J_URI)."""

from __future__ import annotations

from dataclasses import dataclass

from neo4j import Driver, GraphDatabase

from graph_service.config import Settings
from graph_service.db import server
from graph_service.errors import SetupError


@dataclass(frozen=True)
class Connection:
    uri: str
    user: str
    password: str
    database: str


def connection(settings: Settings) -> Connection:
    if settings.neo4j_uri:
        if settings.neo4j_password is None:
            raise SetupError("DOWNLINE_NEO4J_URI is set but DOWNLINE_NEO4J_PASSWORD is not")
        return Connection(
            settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password, settings.neo4j_database
        )
    password = settings.neo4j_password or server.read_password(settings)
    return Connection(server.bolt_uri(settings), settings.neo4j_user, password, settings.neo4j_database)


def open_driver(settings: Settings) -> Driver:
    conn = connection(settings)
    return GraphDatabase.driver(
        conn.uri,
        auth=(conn.user, conn.password),
        connection_timeout=5.0,
        # a query that cannot reach the server gives up after this (the API answers 503 with
        # Retry-After instead of hanging); transient errors within it are retried
        max_transaction_retry_time=settings.neo4j_retry_seconds,
        max_connection_pool_size=50,
        notifications_min_severity="OFF",
    )

"""Driver lifecycle: one driver per process, built from settings (local server or DOWNLINE_NEO4J_URI)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from neo4j import Driver, GraphDatabase

from graph_service.config import Settings
from graph_service.db import server
from graph_service.errors import SetupError

# passwords that ship as defaults or top every list of leaked ones: refused for a server that is
# not on this machine, as is anything shorter than MIN_REMOTE_PASSWORD or equal to the user name
WEAK_PASSWORDS = frozenset(
    {"neo4j", "password", "changeme", "change-me", "changeit", "secret", "admin", "test", "letmein",
     "neo4jneo4j", "password123", "12345678", "123456789", "1234567890", "downline", "qwerty123"}
)  # fmt: skip
MIN_REMOTE_PASSWORD = 12


def _loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


def check_remote_secret(uri: str, user: str, password: str) -> None:
    """SetupError when `uri` names a server off this machine and the password is a default or
    weak one: outside the local demo a real secret is required (SECURITY.md)."""
    host = (urlsplit(uri).hostname or "").lower()
    if _loopback(host):
        return
    why = None
    if password.lower() in WEAK_PASSWORDS:
        why = "a well-known default"
    elif password == user:
        why = "the same as the user name"
    elif len(password) < MIN_REMOTE_PASSWORD:
        why = f"shorter than {MIN_REMOTE_PASSWORD} characters"
    if why is not None:
        raise SetupError(
            f"refusing to connect to {host}: DOWNLINE_NEO4J_PASSWORD is {why}. A server off this "
            f"machine needs a generated password of at least {MIN_REMOTE_PASSWORD} characters "
            "(weak ones are accepted only for a server on loopback, such as the local demo)"
        )


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
        check_remote_secret(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password)
        return Connection(
            settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password, settings.neo4j_database
        )
    password = settings.neo4j_password or server.read_password(settings)
    return Connection(server.bolt_uri(settings), settings.neo4j_user, password, settings.neo4j_database)


def open_driver(
    settings: Settings, *, retry_s: float | None = None, connect_s: float | None = None
) -> Driver:
    """A driver for the settings' server; transactions that cannot reach it are retried for
    `retry_s` (default DOWNLINE_NEO4J_RETRY_SECONDS) before the error is raised, and a new
    connection may take `connect_s` (default DOWNLINE_NEO4J_CONNECT_TIMEOUT_S) to open."""
    conn = connection(settings)
    connect_s = settings.neo4j_connect_timeout_s if connect_s is None else connect_s
    return GraphDatabase.driver(
        conn.uri,
        auth=(conn.user, conn.password),
        connection_timeout=connect_s,
        # a query that cannot reach the server gives up after this (the API answers 503 with
        # Retry-After instead of hanging); transient errors within it are retried
        max_transaction_retry_time=settings.neo4j_retry_seconds if retry_s is None else retry_s,
        max_connection_pool_size=50,
        notifications_min_severity="OFF",
    )

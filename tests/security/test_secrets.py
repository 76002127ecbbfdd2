"""Default and weak secrets are refused outside the local demo: a DOWNLINE_NEO4J_URI off this
machine with a default, short or user-name password stops every command (the API server too)
with a clear message before anything connects; loopback keeps the demo's freedom."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from graph_service.config import Settings
from graph_service.db.driver import MIN_REMOTE_PASSWORD, WEAK_PASSWORDS, connection
from graph_service.errors import SetupError
from tests.helpers import free_port, run_cli

REMOTE = ["neo4j+s://abcd1234.databases.neo4j.io", "neo4j://db.example.com:7687", "bolt://10.0.0.7"]
STRONG = "q7V-2xkP9w_LmZ4t"


@pytest.mark.parametrize("uri", REMOTE)
@pytest.mark.parametrize("password", [*sorted(WEAK_PASSWORDS), "NEO4J", "short-pw", "neo4j"])
def test_a_remote_server_with_a_weak_password_is_refused(uri: str, password: str) -> None:
    with pytest.raises(SetupError, match="refusing to connect") as refused:
        connection(Settings(neo4j_uri=uri, neo4j_password=password))
    assert "DOWNLINE_NEO4J_PASSWORD" in refused.value.message


def test_the_user_name_as_password_is_refused_remotely() -> None:
    with pytest.raises(SetupError, match="same as the user name"):
        connection(
            Settings(neo4j_uri=REMOTE[0], neo4j_user="analytics-reader", neo4j_password="analytics-reader")
        )


@pytest.mark.parametrize("uri", REMOTE)
def test_a_remote_server_with_a_real_secret_is_accepted(uri: str) -> None:
    assert len(STRONG) >= MIN_REMOTE_PASSWORD
    assert connection(Settings(neo4j_uri=uri, neo4j_password=STRONG)).password == STRONG


@pytest.mark.parametrize("uri", ["bolt://127.0.0.1:7687", "neo4j://localhost:7687", "bolt://[::1]:7687"])
def test_loopback_keeps_the_local_demos_freedom(uri: str) -> None:
    assert connection(Settings(neo4j_uri=uri, neo4j_password="neo4j")).uri == uri


@pytest.mark.parametrize("argv", [["stats", "D1"], ["keys", "list"], ["serve", "--port", "0"]])
def test_every_command_refuses_before_connecting(argv: list[str], tmp_path: Path) -> None:
    env = {
        "DOWNLINE_HOME": str(tmp_path),
        "DOWNLINE_NEO4J_URI": "neo4j+s://abcd1234.databases.neo4j.io",
        "DOWNLINE_NEO4J_PASSWORD": "password",
        "PATH": "/usr/bin:/bin",
    }
    if argv[0] == "serve":
        argv = ["serve", "--port", str(free_port())]
    began = time.monotonic()
    proc = run_cli(*argv, env=env, timeout=60)
    assert proc.returncode != 0
    assert "refusing to connect to abcd1234.databases.neo4j.io" in proc.stderr.replace("\n", " ")
    assert "Traceback" not in proc.stderr
    assert time.monotonic() - began < 30  # refused, not timing out against a server

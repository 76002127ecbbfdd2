"""The local Neo4j server's lifecycle: status, idempotent start, independent homes, clear failures."""

from __future__ import annotations

import json
import os
import socket
import stat
from pathlib import Path

import pytest

from tests.helpers import cli_environment, free_port, run_cli


def test_status_json_reports_the_real_server(neo4j_home: Path, cli_env: dict[str, str]) -> None:
    proc = run_cli("db", "status", "--json", env=cli_env)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert set(doc) == {"uri", "user", "password_file", "version", "pid"}
    assert doc["version"].startswith("5.26.")
    assert doc["uri"].startswith("bolt://127.0.0.1:")
    assert Path(doc["password_file"]).parent == neo4j_home.resolve()
    os.kill(doc["pid"], 0)  # the process exists
    mode = stat.S_IMODE(Path(doc["password_file"]).stat().st_mode)
    assert mode == 0o600


def test_start_is_idempotent(cli_env: dict[str, str]) -> None:
    before = json.loads(run_cli("db", "status", "--json", env=cli_env).stdout)
    proc = run_cli("db", "start", env=cli_env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == before["uri"]
    after = json.loads(run_cli("db", "status", "--json", env=cli_env).stdout)
    assert after["pid"] == before["pid"]


def test_server_listens_on_loopback_only(cli_env: dict[str, str]) -> None:
    doc = json.loads(run_cli("db", "status", "--json", env=cli_env).stdout)
    port = int(doc["uri"].rsplit(":", 1)[1])
    conf = (Path(cli_env["DOWNLINE_HOME"]) / "conf" / "neo4j.conf").read_text()
    assert f"server.bolt.listen_address=127.0.0.1:{port}" in conf
    assert "dbms.security.auth_enabled=true" in conf
    # every socket listening on the Bolt port is bound to loopback (Java may use an IPv6 socket)
    bound = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hexport = local.rsplit(":", 1)
            if state == "0A" and int(hexport, 16) == port:
                bound.append(address)
    assert bound
    assert all(
        a in ("0100007F", "0000000000000000FFFF00000100007F", "00000000000000000000000001000000")
        for a in bound
    )


def test_status_of_a_home_without_server_exits_1(tmp_path: Path) -> None:
    proc = run_cli("db", "status", "--json", env=cli_environment(tmp_path / "nothing"))
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert doc["pid"] is None
    assert doc["version"] is None


def test_port_taken_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = run_cli("db", "start", "--bolt-port", str(port), env=cli_environment(tmp_path / "h"))
    assert proc.returncode == 1
    assert f"port {port} is taken" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_java_is_a_clear_error(tmp_path: Path) -> None:
    env = cli_environment(tmp_path / "h")
    env["JAVA_HOME"] = str(tmp_path / "no-jdk")
    proc = run_cli("db", "start", env=env)
    assert proc.returncode == 1
    assert "Java 17+" in proc.stderr


@pytest.mark.slow
def test_two_homes_run_two_independent_servers(tmp_path: Path, cli_env: dict[str, str]) -> None:
    other = cli_environment(tmp_path / "second")
    other["DOWNLINE_NEO4J_HEAP"] = "512m"
    try:
        proc = run_cli(
            "db", "start", "--bolt-port", str(free_port()), "--http-port", str(free_port()), env=other
        )
        assert proc.returncode == 0, proc.stderr
        first = json.loads(run_cli("db", "status", "--json", env=cli_env).stdout)
        second = json.loads(run_cli("db", "status", "--json", env=other).stdout)
        assert first["pid"] != second["pid"]
        assert first["uri"] != second["uri"]
        data = tmp_path / "data"
        data.mkdir()
        (data / "distributors.csv").write_text("id,sponsor_id\nONLY_IN_SECOND,\n")
        assert run_cli("import", str(data), env=other).returncode == 0
        stats = run_cli("import", str(data), "--json", env=other)
        assert json.loads(stats.stdout)["distributors_unchanged"] == 1
        first_import = run_cli("import", str(data), "--json", env=cli_env)
        assert json.loads(first_import.stdout)["distributors_added"] == 1  # the first home never saw it
    finally:
        run_cli("db", "stop", env=other)
    assert json.loads(run_cli("db", "status", "--json", env=other).stdout)["pid"] is None

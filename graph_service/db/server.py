"""A real local Neo4j Community server, no Docker: jars from Maven Central, one process per home.

Layout under DOWNLINE_HOME (default `.downline`):

    conf/neo4j.conf      generated on every start (ports, memory, loopback only, auth on)
    conf/*-logs.xml      small Log4j 2 configs (a Maven install ships none)
    data/ logs/ run/ import/ plugins/
    password             generated once, mode 0600
    server.json          the ports this home's server listens on

The jars are resolved once per machine by Maven into a cache (DOWNLINE_NEO4J_LIB, default
~/.cache/downline/neo4j-<version>) and shared by every home.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from graph_service.config import DEFAULT_BOLT_PORT, DEFAULT_HTTP_PORT, NEO4J_VERSION, Settings
from graph_service.errors import SetupError

MIN_JAVA = 17


@dataclass(frozen=True)
class ServerInfo:
    uri: str
    user: str
    password_file: str
    version: str | None
    pid: int | None
    bolt_port: int
    http_port: int


# ---------------------------------------------------------------- paths


def _home(settings: Settings) -> Path:
    return settings.home_dir


def password_file(settings: Settings) -> Path:
    return _home(settings) / "password"


def _server_json(settings: Settings) -> Path:
    return _home(settings) / "server.json"


def _pid_file(settings: Settings) -> Path:
    return _home(settings) / "run" / "downline-neo4j.pid"


def cache_dir(settings: Settings) -> Path:
    if settings.neo4j_lib is not None:
        return settings.neo4j_lib.expanduser().resolve()
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "downline" / f"neo4j-{NEO4J_VERSION}"


def read_ports(settings: Settings) -> tuple[int, int]:
    try:
        data = json.loads(_server_json(settings).read_text())
        return int(data["bolt_port"]), int(data["http_port"])
    except (OSError, ValueError, KeyError):
        return DEFAULT_BOLT_PORT, DEFAULT_HTTP_PORT


def read_password(settings: Settings) -> str:
    try:
        return password_file(settings).read_text().strip()
    except OSError as exc:
        raise SetupError(
            f"no password at {password_file(settings)}: run `downline db start` first "
            "(or set DOWNLINE_NEO4J_URI and DOWNLINE_NEO4J_PASSWORD for another server)"
        ) from exc


def bolt_uri(settings: Settings) -> str:
    return f"bolt://127.0.0.1:{read_ports(settings)[0]}"


# ---------------------------------------------------------------- prerequisites


def java_binary(settings: Settings) -> str:
    home = settings.java_home or (Path(os.environ["JAVA_HOME"]) if os.environ.get("JAVA_HOME") else None)
    candidate = str(home / "bin" / "java") if home else shutil.which("java")
    if not candidate or not Path(candidate).exists():
        raise SetupError(
            f"Java {MIN_JAVA}+ is needed to run Neo4j {NEO4J_VERSION} and none was found "
            "(install openjdk-17-jre-headless or set JAVA_HOME)"
        )
    out = subprocess.run([candidate, "-version"], capture_output=True, text=True, check=False)
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        raise SetupError(f"could not read the Java version from `{candidate} -version`: {out.stderr.strip()}")
    major = int(match.group(1))
    if major == 1 and match.group(2):  # "1.8" style
        major = int(match.group(2))
    if major < MIN_JAVA:
        raise SetupError(f"Neo4j {NEO4J_VERSION} needs Java {MIN_JAVA}+, found Java {major} at {candidate}")
    return candidate


def _jar_stem(name: str) -> str:
    """`commons-lang3-3.12.0.jar` -> `commons-lang3`: the artifact without its version."""
    return re.sub(r"-\d[\w.]*(-[A-Za-z][\w.]*)?\.jar$", "", name)


def ensure_jars(settings: Settings, *, echo: bool = True) -> Path:
    """Resolve Neo4j and APOC from Maven Central into the cache once; return the cache folder."""
    target = cache_dir(settings)
    if (target / ".complete").exists():
        return target
    mvn = shutil.which("mvn")
    if mvn is None:
        raise SetupError("Maven (`mvn`) is needed once to fetch Neo4j from Maven Central; install maven")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".fetch-", dir=target.parent))
    try:
        with resources.as_file(resources.files("graph_service.db") / "maven") as poms:
            for pom, out in (
                (poms / "pom.xml", staging / "lib"),
                (poms / "apoc" / "pom.xml", staging / "apoc"),
            ):
                if echo:
                    print(
                        f"fetching {out.name} jars for Neo4j {NEO4J_VERSION} with Maven ...", file=sys.stderr
                    )
                proc = subprocess.run(
                    [
                        mvn,
                        "-B",
                        "-q",
                        "-f",
                        str(pom),
                        "dependency:copy-dependencies",
                        f"-DoutputDirectory={out}",
                        "-DincludeScope=runtime",
                    ],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if proc.returncode != 0:
                    detail = (proc.stdout + proc.stderr).strip().splitlines()[-15:]
                    raise SetupError(
                        f"Maven could not resolve Neo4j {NEO4J_VERSION} (exit {proc.returncode}):\n"
                        + "\n".join(detail)
                    )
        # APOC's own dependencies that the server already ships stay out of plugins/.
        lib_stems = {_jar_stem(p.name) for p in (staging / "lib").glob("*.jar")}
        plugins = staging / "plugins"
        plugins.mkdir()
        for jar in (staging / "apoc").glob("*.jar"):
            if _jar_stem(jar.name) not in lib_stems:
                jar.rename(plugins / jar.name)
        shutil.rmtree(staging / "apoc")
        (staging / ".complete").write_text(NEO4J_VERSION + "\n")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


# ---------------------------------------------------------------- configuration

_LOG4J_USER = """<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="ERROR" monitorInterval="30" packages="org.neo4j.logging.log4j">
  <Appenders>
    <RollingRandomAccessFile name="Neo4jLog" fileName="${config:server.directories.logs}/neo4j.log"
        filePattern="${config:server.directories.logs}/neo4j.log.%02i">
      <Neo4jDebugLogLayout pattern="%d{yyyy-MM-dd HH:mm:ss.SSSZ}{GMT+0} %-5p %m%n"/>
      <Policies><SizeBasedTriggeringPolicy size="20 MB"/></Policies>
      <DefaultRolloverStrategy fileIndex="min" max="4"/>
    </RollingRandomAccessFile>
  </Appenders>
  <Loggers>
    <Root level="INFO"><AppenderRef ref="Neo4jLog"/></Root>
  </Loggers>
</Configuration>
"""

_LOG4J_SERVER = """<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="ERROR" monitorInterval="30" packages="org.neo4j.logging.log4j">
  <Appenders>
    <RollingRandomAccessFile name="DebugLog" fileName="${config:server.directories.logs}/debug.log"
        filePattern="${config:server.directories.logs}/debug.log.%02i">
      <Neo4jDebugLogLayout pattern="%d{yyyy-MM-dd HH:mm:ss.SSSZ}{GMT+0} %-5p [%c{1.}] %m%n"/>
      <Policies><SizeBasedTriggeringPolicy size="20 MB"/></Policies>
      <DefaultRolloverStrategy fileIndex="min" max="4"/>
    </RollingRandomAccessFile>
    <RollingRandomAccessFile name="SecurityLog" fileName="${config:server.directories.logs}/security.log"
        filePattern="${config:server.directories.logs}/security.log.%02i">
      <Neo4jDebugLogLayout pattern="%d{yyyy-MM-dd HH:mm:ss.SSSZ}{GMT+0} %-5p %m%n"/>
      <Policies><SizeBasedTriggeringPolicy size="20 MB"/></Policies>
      <DefaultRolloverStrategy fileIndex="min" max="4"/>
    </RollingRandomAccessFile>
  </Appenders>
  <Loggers>
    <Logger name="SecurityLogger" level="INFO" additivity="false"><AppenderRef ref="SecurityLog"/></Logger>
    <Root level="INFO"><AppenderRef ref="DebugLog"/></Root>
  </Loggers>
</Configuration>
"""


def render_conf(settings: Settings, bolt_port: int, http_port: int) -> str:
    home = _home(settings)
    lines = {
        "server.directories.data": home / "data",
        "server.directories.logs": home / "logs",
        "server.directories.plugins": home / "plugins",
        "server.directories.run": home / "run",
        "server.directories.import": home / "import",
        "server.logs.user.config": home / "conf" / "user-logs.xml",
        "server.logs.config": home / "conf" / "server-logs.xml",
        # loopback only: the local server is a developer's and a test's, never the network's
        "server.default_listen_address": "127.0.0.1",
        "server.default_advertised_address": "127.0.0.1",
        "server.bolt.listen_address": f"127.0.0.1:{bolt_port}",
        "server.bolt.advertised_address": f"127.0.0.1:{bolt_port}",
        "server.http.listen_address": f"127.0.0.1:{http_port}",
        "server.http.advertised_address": f"127.0.0.1:{http_port}",
        "server.https.enabled": "false",
        "server.bolt.tls_level": "DISABLED",
        "dbms.security.auth_enabled": "true",
        "server.memory.heap.initial_size": settings.neo4j_heap,
        "server.memory.heap.max_size": settings.neo4j_heap,
        "server.memory.pagecache.size": settings.neo4j_pagecache,
        # an import is one transaction (all or nothing): let it use the heap. Community keeps
        # transaction state on the heap (OFF_HEAP allocation showed no effect here), about 1-2 KiB
        # per created node, so the heap bounds the size of one import (see benchmarks/RESULTS.md).
        "dbms.memory.transaction.total.max": "0",
        "db.memory.transaction.max": "0",
        "dbms.security.procedures.allowlist": "apoc.*",
        "db.tx_log.rotation.retention_policy": "1 files",
        "dbms.usage_report.enabled": "false",
    }
    body = "\n".join(f"{k}={v}" for k, v in lines.items())
    return f"# generated by `downline db start`; edits are overwritten\n{body}\n"


def _write_config(settings: Settings, bolt_port: int, http_port: int) -> Path:
    home = _home(settings)
    conf = home / "conf"
    for sub in ("conf", "data", "logs", "run", "import", "plugins"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    (conf / "neo4j.conf").write_text(render_conf(settings, bolt_port, http_port))
    (conf / "user-logs.xml").write_text(_LOG4J_USER)
    (conf / "server-logs.xml").write_text(_LOG4J_SERVER)
    _server_json(settings).write_text(json.dumps({"bolt_port": bolt_port, "http_port": http_port}) + "\n")
    return conf


def _link_plugins(settings: Settings, jars: Path) -> None:
    plugins = _home(settings) / "plugins"
    for jar in (jars / "plugins").glob("*.jar"):
        dest = plugins / jar.name
        if not dest.exists():
            shutil.copy2(jar, dest)


def new_password() -> str:
    """A random password (about 150 bits) that never starts with "-": `neo4j-admin` would read
    such an argument as an option and refuse it (one fresh server in 64 failed to start)."""
    return "dl" + secrets.token_urlsafe(24)


def _ensure_password(settings: Settings, java: str, jars: Path, conf: Path) -> None:
    pw_file = password_file(settings)
    auth_ini = _home(settings) / "data" / "dbms" / "auth.ini"
    if pw_file.exists() and auth_ini.exists():
        return
    password = pw_file.read_text().strip() if pw_file.exists() else ""
    if not password or password.startswith("-"):  # none yet, or one an older version left unusable
        password = new_password()
    pw_file.touch(mode=0o600, exist_ok=True)
    pw_file.chmod(0o600)
    pw_file.write_text(password + "\n")
    env = {**os.environ, "NEO4J_HOME": str(_home(settings)), "NEO4J_CONF": str(conf)}
    proc = subprocess.run(
        [
            java,
            "-cp",
            f"{jars / 'lib'}/*",
            "org.neo4j.server.startup.Neo4jAdminCommand",
            "dbms",
            "set-initial-password",
            password,
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=_home(settings),
        check=False,
    )
    if proc.returncode != 0:
        raise SetupError(f"setting the initial Neo4j password failed:\n{proc.stdout}{proc.stderr}")


# ---------------------------------------------------------------- process


def _pid(settings: Settings) -> int | None:
    try:
        pid = int(_pid_file(settings).read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    # a recycled pid belongs to some other program: check it is our java
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return pid
    return pid if "CommunityEntryPoint" in cmdline and str(_home(settings)) in cmdline else None


def running_pid(settings: Settings) -> int | None:
    """The pid of this home's running server, None when it is not running."""
    return _pid(settings)


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _log_tail(settings: Settings, lines: int = 25) -> str:
    out = []
    for name in ("console.log", "neo4j.log"):
        path = _home(settings) / "logs" / name
        if path.exists():
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            if tail:
                out.append(f"--- {path} (last {len(tail)} lines)\n" + "\n".join(tail))
    return "\n".join(out) or "(no log output)"


def probe_version(uri: str, user: str, password: str, timeout: float = 3.0) -> str | None:
    """The server's version over Bolt (`CALL dbms.components()`), or None if it does not answer."""
    from neo4j import GraphDatabase
    from neo4j.exceptions import Neo4jError, ServiceUnavailable, SessionExpired

    try:
        with GraphDatabase.driver(
            uri, auth=(user, password), connection_timeout=timeout, max_transaction_retry_time=0
        ) as driver:
            # the system database allows only CALL ... YIELD ... RETURN here (no WHERE)
            records, _, _ = driver.execute_query(
                "CALL dbms.components() YIELD name, versions RETURN name, versions", database_="system"
            )
            kernel = [r["versions"][0] for r in records if r["name"] == "Neo4j Kernel"]
            return str(kernel[0]) if kernel else None
    except (ServiceUnavailable, SessionExpired, OSError, Neo4jError):
        return None


def status(settings: Settings) -> ServerInfo:
    bolt, http = read_ports(settings)
    pid = _pid(settings)
    version = None
    if pid is not None and password_file(settings).exists():
        version = probe_version(f"bolt://127.0.0.1:{bolt}", settings.neo4j_user, read_password(settings))
    return ServerInfo(
        uri=f"bolt://127.0.0.1:{bolt}",
        user=settings.neo4j_user,
        password_file=str(password_file(settings)),
        version=version,
        pid=pid,
        bolt_port=bolt,
        http_port=http,
    )


def start(
    settings: Settings, *, bolt_port: int | None = None, http_port: int | None = None, echo: bool = True
) -> ServerInfo:
    """Start this home's server (idempotent) and wait until Bolt answers."""
    running = _pid(settings)
    prev_bolt, prev_http = read_ports(settings)
    if running is not None:
        info = status(settings)
        if bolt_port not in (None, info.bolt_port) or http_port not in (None, info.http_port):
            raise SetupError(
                f"the server of {_home(settings)} already runs on Bolt {info.bolt_port}; "
                "stop it first to change ports"
            )
        if info.version is not None:
            return info
        return _wait_ready(settings, running, time.monotonic() + settings.start_timeout_s)

    bolt = bolt_port or prev_bolt
    http = http_port or prev_http
    for name, port in (("Bolt", bolt), ("HTTP", http)):
        if not _port_free(port):
            raise SetupError(
                f"{name} port {port} is taken by another process; choose another with "
                f"`downline db start --{name.lower()}-port N`"
            )
    java = java_binary(settings)
    jars = ensure_jars(settings, echo=echo)
    conf = _write_config(settings, bolt, http)
    _link_plugins(settings, jars)
    _ensure_password(settings, java, jars, conf)

    home = _home(settings)
    cmd = [
        java,
        f"-Xms{settings.neo4j_heap}",
        f"-Xmx{settings.neo4j_heap}",
        "-XX:+UseG1GC",
        "-XX:+ExitOnOutOfMemoryError",
        "-Dfile.encoding=UTF-8",
        "-cp",
        f"{jars / 'lib'}/*:{home / 'plugins'}/*",
        "org.neo4j.server.CommunityEntryPoint",
        f"--home-dir={home}",
        f"--config-dir={conf}",
    ]
    console = (home / "logs" / "console.log").open("ab")
    proc = subprocess.Popen(
        cmd,
        stdout=console,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        cwd=home,
        start_new_session=True,
    )
    console.close()
    _pid_file(settings).write_text(f"{proc.pid}\n")
    return _wait_ready(settings, proc.pid, time.monotonic() + settings.start_timeout_s)


def _wait_ready(settings: Settings, pid: int, deadline: float) -> ServerInfo:
    bolt, _ = read_ports(settings)
    password = read_password(settings)
    uri = f"bolt://127.0.0.1:{bolt}"
    while time.monotonic() < deadline:
        if not _alive(pid):
            raise SetupError(f"Neo4j exited while starting.\n{_log_tail(settings)}")
        if probe_version(uri, settings.neo4j_user, password, timeout=2.0) is not None:
            return status(settings)
        time.sleep(0.5)
    raise SetupError(
        f"Neo4j did not answer on {uri} within {settings.start_timeout_s:.0f}s.\n{_log_tail(settings)}"
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of ours counts as gone
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


def stop(settings: Settings, timeout: float = 60.0) -> bool:
    """Stop this home's server; True if one was running."""
    pid = _pid(settings)
    if pid is None:
        _pid_file(settings).unlink(missing_ok=True)
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.2)
    if _alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        while _alive(pid):
            time.sleep(0.1)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    _pid_file(settings).unlink(missing_ok=True)
    return True

"""The import lease: one writer (an import or a rollup rebuild) at a time, across processes.

A `(:ImportLock {id: 1})` node names its holder (host, pid) and a heartbeat the holder renews as its
batches commit. A lease whose heartbeat is older than `stale_seconds`, or whose holder process on this
machine no longer exists (kill -9), is taken over.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable

from neo4j import Session

from graph_service.db.queries import cypher
from graph_service.errors import DownlineError

Progress = Callable[[str, int, int], None]
LEASE_STALE_SECONDS = 120
LEASE_WAIT_SECONDS = 3_600


class ImportBusy(DownlineError):
    exit_code = 3
    http_status = 409
    code = "import_in_progress"


def holder_dead(host: str | None, pid: int | None) -> bool:
    """A lease held by a process of this machine that no longer exists is free at once."""
    if host != socket.gethostname() or pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def acquire(session: Session, holder: str, stale_seconds: float, step: Progress) -> None:
    deadline = time.monotonic() + LEASE_WAIT_SECONDS
    dead = False
    while True:
        row = session.run(
            cypher("import/acquire_lease"),
            holder=holder,
            host=socket.gethostname(),
            pid=os.getpid(),
            stale_seconds=int(stale_seconds),
            holder_dead=dead,
        ).single(strict=True)
        if row["acquired"]:
            return
        dead = holder_dead(row["host"], row["pid"])
        if dead:
            continue
        if time.monotonic() > deadline:
            raise ImportBusy(
                f"another import ({row['holder']}) holds the import lease since {row['heartbeat']}"
            )
        step("waiting for another import to finish", 0, 1)
        time.sleep(0.5)


def heartbeat(session: Session, holder: str) -> None:
    if not session.run(cypher("import/heartbeat"), holder=holder).single(strict=True)["held"]:
        raise ImportBusy(
            "the import lease was taken over by another import (this one stalled); nothing published"
        )


def release(session: Session, holder: str) -> None:
    session.run(cypher("import/release_lease"), holder=holder).consume()

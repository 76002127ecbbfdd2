"""A circuit breaker in front of Neo4j for the API and dashboard of one worker process.

When a request finds Neo4j unreachable (the driver raised ServiceUnavailable or SessionExpired
after its short retry window), the breaker opens: later requests are answered 503 with
Retry-After at once, without waiting on connections that cannot succeed, so nothing hangs while
the database is stopped, restarting or unreachable. A background thread probes the server every
`probe_s` seconds with the driver's connectivity check and closes the breaker when it answers, so
the worker recovers by itself. Requests already in flight keep their own (bounded) timeouts.

Nothing is shared between workers or machines: each worker learns of an outage from its own
requests, which keeps API workers stateless.
"""

from __future__ import annotations

import threading
import time

from neo4j import Driver

from graph_service.errors import DatabaseUnavailable

__all__ = ["Breaker"]


class Breaker:
    def __init__(self, driver: Driver, *, probe_s: float = 0.5) -> None:
        self._driver = driver
        self._probe_s = probe_s
        self._lock = threading.Lock()
        self._open_since: float | None = None
        self._prober: threading.Thread | None = None
        self._closed = threading.Event()  # the worker is shutting down: stop probing

    @property
    def is_open(self) -> bool:
        return self._open_since is not None

    def check(self) -> None:
        """DatabaseUnavailable (503) at once while the breaker is open."""
        if self._open_since is not None:
            raise DatabaseUnavailable("Neo4j is unavailable; try again shortly")

    def trip(self) -> None:
        """Open the breaker (a request found Neo4j unreachable) and start probing for its return."""
        with self._lock:
            if self._open_since is None:
                self._open_since = time.monotonic()
            if self._prober is None or not self._prober.is_alive():
                self._prober = threading.Thread(target=self._probe, name="neo4j-probe", daemon=True)
                self._prober.start()

    def _probe(self) -> None:
        while not self._closed.wait(self._probe_s):
            try:
                self._driver.verify_connectivity()
            except Exception:  # noqa: S112  (still down: keep probing)
                continue
            with self._lock:
                self._open_since = None
            return

    def close(self) -> None:
        self._closed.set()

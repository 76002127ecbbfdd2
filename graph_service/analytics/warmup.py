"""What a worker prepares before anyone asks for it: the network-health frame (every member's
sponsor, join month and PV per period: analytics/health.py), the one read that costs seconds at
a million members (about 1 s from the frame the rollup packed, 9 s from a rollup without one) and
that the health page and `/v1/health` need on their first visit.

A daemon thread of each API worker reads it when the worker starts and again whenever a new
rollup is published (it looks every `every_s` seconds, a one-row read), so the first visitor
after a start or an import finds it ready. Failures (Neo4j down, nothing imported yet) are
logged and tried again at the next look; a request never waits for the warmer (it reads the
frame itself when it is not ready yet).
"""

from __future__ import annotations

import logging
import threading
import time

from neo4j import Driver

from graph_service.analytics import health, rollup

log = logging.getLogger(__name__)

__all__ = ["Warmer"]


class Warmer:
    def __init__(self, driver: Driver, database: str, *, every_s: float = 15.0) -> None:
        self._driver, self._database, self._every_s = driver, database, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="downline-warmup", daemon=True)
        self.warmed: tuple[object, ...] | None = None  # the rollup last prepared for
        self.took_s: float | None = None  # how long that took

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        wait = 0.0
        while not self._stop.wait(wait):
            wait = self._every_s
            try:
                state = rollup.current(self._driver, self._database)
                mark = (state.get("gen"), state.get("slot"), state.get("rolled_gen"), state.get("rolled_at"))
                if state.get("slot") is None or mark == self.warmed:
                    continue
                began = time.monotonic()
                health.load_frame(self._driver, self._database)
                self.warmed, self.took_s = mark, time.monotonic() - began
                log.info("health figures prepared for generation %s in %.1f s", mark[0], self.took_s)
            except Exception as exc:
                log.info("could not prepare the health figures yet: %s", exc)

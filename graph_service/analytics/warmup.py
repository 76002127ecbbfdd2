"""What a worker prepares before anyone asks for it: the network-health frame (every member's
sponsor, join month and PV per period: analytics/health.py), the one read that costs seconds at
a million members (about 1 s from the frame the rollup packed, 9 s from a rollup without one) and
that the health page and `/v1/health` need on their first visit; and the earners of the newest
commission run (compensation/runs.py keeps the last two read) placed on that frame, which the
health page with that run and its disclosure statement read (about 1.5 s at 1M on a cold page
cache).

A daemon thread of each API worker reads them when the worker starts and again whenever a new
rollup is published or a new run completes (it looks every `every_s` seconds: two one-row reads),
so the first visitor after a start, an import or a run finds them ready. `ready` is set once the
first look has prepared everything (GET /healthz says `warm`: a readiness probe can wait for
it). Failures (Neo4j down, nothing imported yet) are logged and tried again at the next look; a
request never waits for the warmer (it reads what is not ready yet itself).
"""

from __future__ import annotations

import logging
import threading
import time

from neo4j import Driver

from graph_service import memory
from graph_service.analytics import health, rollup
from graph_service.compensation import runs

log = logging.getLogger(__name__)

__all__ = ["Warmer"]


class Warmer:
    def __init__(self, driver: Driver, database: str, *, every_s: float = 15.0) -> None:
        self._driver, self._database, self._every_s = driver, database, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="downline-warmup", daemon=True)
        self.warmed: tuple[object, ...] | None = None  # the rollup last prepared for
        self.warmed_run: str | None = None  # the run whose earners were last read
        self.ready = threading.Event()  # set once a look has found everything prepared
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
                read = False
                state = rollup.current(self._driver, self._database)
                mark = (state.get("gen"), state.get("slot"), state.get("rolled_gen"), state.get("rolled_at"))
                if state.get("slot") is not None and mark != self.warmed:
                    began = time.monotonic()
                    health.load_frame(self._driver, self._database)
                    self.warmed, self.took_s, read = mark, time.monotonic() - began, True
                    log.info("health figures prepared for generation %s in %.1f s", mark[0], self.took_s)
                newest = runs.newest_run_id(self._driver, self._database)
                if newest is not None and newest != self.warmed_run:
                    earned = runs.earnings(self._driver, self._database, newest)
                    if earned.run.data_gen == state.get("gen"):  # the frame just prepared
                        health.load_frame(self._driver, self._database).earned_cents(earned)
                    self.warmed_run, read = newest, True
                if read:
                    memory.release()  # what reading them took and freed
                self.ready.set()
            except Exception as exc:
                log.info("could not prepare the health figures yet: %s", exc)

"""HTTP load on the stats endpoint: `downline serve` with N workers, 16 concurrent clients.

Each client is an asyncio task with its own keep-alive connection asking
`GET /v1/distributors/{id}/stats` for random ids, for a fixed duration after a warm-up.
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

from graph_service.api import keys as keystore
from graph_service.config import Settings
from graph_service.db.driver import open_driver

DOWNLINE = str(Path(sys.executable).with_name("downline"))


@dataclass
class LoadResult:
    clients: int
    workers: int
    seconds: float
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p99_ms: float


async def _client(
    base: str, key: str, ids: list[str], until: float, seed: int, lat: list[float], errors: list[int]
) -> None:
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        while time.perf_counter() < until:
            who = rng.choice(ids)
            t0 = time.perf_counter()
            try:
                r = await client.get(f"/v1/distributors/{who}/stats")
                ok = r.status_code == 200
            except httpx.HTTPError:
                ok = False
            lat.append(time.perf_counter() - t0)
            if not ok:
                errors.append(1)


async def _run(base: str, key: str, ids: list[str], clients: int, seconds: float) -> tuple[list[float], int]:
    lat: list[float] = []
    errors: list[int] = []
    # warm-up: every worker's driver pool and the page cache
    await asyncio.gather(
        *(_client(base, key, ids, time.perf_counter() + 3, 1000 + i, [], []) for i in range(clients))
    )
    until = time.perf_counter() + seconds
    await asyncio.gather(*(_client(base, key, ids, until, i, lat, errors) for i in range(clients)))
    return lat, len(errors)


def stats_load(
    settings: Settings,
    ids: list[str],
    *,
    port: int = 18765,
    clients: int = 16,
    workers: int = 2,
    seconds: float = 20,
) -> LoadResult:
    with open_driver(settings) as driver:
        key, _ = keystore.create_key(driver, settings.neo4j_database, role="viewer", name="benchmark")
    env = {**os.environ, "DOWNLINE_HOME": str(settings.home_dir)}
    proc = subprocess.Popen(
        [DOWNLINE, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        began = time.perf_counter()
        lat, errors = asyncio.run(_run(base, key, ids, clients, seconds))
        spent = time.perf_counter() - began - 3  # minus the warm-up
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    ms = np.array(lat) * 1000
    return LoadResult(
        clients=clients,
        workers=workers,
        seconds=round(spent, 1),
        requests=len(lat),
        errors=errors,
        rps=len(lat) / spent if spent > 0 else 0.0,
        p50_ms=float(np.percentile(ms, 50)) if len(ms) else 0.0,
        p99_ms=float(np.percentile(ms, 99)) if len(ms) else 0.0,
    )

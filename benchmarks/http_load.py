"""HTTP load against `downline serve`: the stats endpoint alone, and a mixed workload.

`stats_load`: N workers, 16 concurrent clients, each an asyncio task with its own keep-alive
connection asking `GET /v1/distributors/{id}/stats` for random ids, for a fixed duration after a
warm-up.

`mixed_load` (issue 9: a bounded load test with zero errors): the same kind of clients, each
also logged in to the dashboard (its cookie), picking at random between
  - `stats`: `GET /v1/distributors/{id}/stats` of a random member;
  - `downline`: `GET /v1/distributors/{id}/downline?limit=50` of one of the 100 largest by GV,
    then the next one or two pages by `next_cursor` (each page a request);
  - `network`: `GET /v1/network` for a random period;
  - `dashboard: overview`: the overview page's callback (KPIs and five figures) for a period;
  - `dashboard: explorer expand`: the explorer's click on a node (its figures and top 8 of its
    frontline), a walk three levels down from the roots and back;
  - `dashboard: legs`: the legs page's callback (summary, legs bars, sunburst) for a member.
The callbacks' request bodies are built from the dashboard's own `_dash-dependencies`, as the
browser builds them. An error is a transport error, any status but 200, or a reply that is not
what the page shows: a callback that sends the browser to the login page or shows a message in
its error box. `mixed_run` drives a server already running (the tests' `api` fixture);
`mixed_load` starts one as `stats_load` does.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
import numpy as np

from dashboards import ids
from graph_service.api import keys as keystore
from graph_service.config import Settings
from graph_service.db.driver import open_driver

DOWNLINE = str(Path(sys.executable).with_name("downline"))
DASH = "/dashboard"


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


@dataclass(frozen=True)
class Served:
    base: str  # http://127.0.0.1:PORT
    proc: subprocess.Popen[bytes]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(
    env: dict[str, str], *args: str, port: int | None = None, log: Path | None = None, wait_s: float = 90
) -> Iterator[Served]:
    """`downline serve` on loopback (a free port unless given; extra arguments such as `--workers
    2`) with `env` until the block ends, once /healthz answers 200. The log goes to `log`."""
    port = free_port() if port is None else port
    sink: IO[bytes] | int = log.open("ab") if log is not None else subprocess.DEVNULL
    try:
        proc = subprocess.Popen(
            [DOWNLINE, "serve", "--port", str(port), *args], env=env, stdout=sink, stderr=sink
        )
    finally:
        if not isinstance(sink, int):
            sink.close()  # the server has its own copy
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                tail = log.read_text(errors="replace")[-4000:] if log is not None else ""
                raise RuntimeError(f"downline serve on port {port} did not come up ({proc.poll()}):\n{tail}")
            time.sleep(0.3)
        yield Served(base, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextmanager
def serving(
    settings: Settings, *, port: int, workers: int, log: Path | None = None, wait_s: float = 60
) -> Iterator[str]:
    """`downline serve --workers N` on `port` of loopback for the settings' home: its base URL."""
    env = {**os.environ, "DOWNLINE_HOME": str(settings.home_dir)}
    with serve(env, "--workers", str(workers), port=port, log=log, wait_s=wait_s) as served:
        yield served.base


def _percentile(seconds: list[float], q: float) -> float:
    return float(np.percentile(np.array(seconds) * 1000, q)) if seconds else 0.0


# -- the stats endpoint alone -------------------------------------------------------------------


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
    with serving(settings, port=port, workers=workers) as base:
        began = time.perf_counter()
        lat, errors = asyncio.run(_run(base, key, ids, clients, seconds))
        spent = time.perf_counter() - began - 3  # minus the warm-up
    return LoadResult(
        clients=clients,
        workers=workers,
        seconds=round(spent, 1),
        requests=len(lat),
        errors=errors,
        rps=len(lat) / spent if spent > 0 else 0.0,
        p50_ms=_percentile(lat, 50),
        p99_ms=_percentile(lat, 99),
    )


# -- the mixed workload -------------------------------------------------------------------------

STATS, DOWNLINE_PAGES, NETWORK = "stats", "downline", "network"
OVERVIEW, EXPAND, LEGS = "dashboard: overview", "dashboard: explorer expand", "dashboard: legs"
# how often each is picked: one pick of `downline` is one to three requests
MIX = {STATS: 3, DOWNLINE_PAGES: 2, NETWORK: 1, OVERVIEW: 1, EXPAND: 2, LEGS: 1}
KINDS = list(MIX)
PAGE = 50  # downline page size
WALK = 3  # explorer clicks down from the roots before starting again


@dataclass
class KindResult:
    kind: str
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p99_ms: float


@dataclass
class MixedResult:
    clients: int
    workers: int | None  # None: a server started elsewhere
    seconds: float
    kinds: list[KindResult]
    total: KindResult
    warmup_requests: int
    warmup_errors: int
    # "kind: what went wrong" -> how many (warm-up included), and the first reply of each
    failures: dict[str, int] = field(default_factory=dict)
    examples: dict[str, str] = field(default_factory=dict)
    server_peak_mib: float = 0.0  # `downline serve` and its workers together (0: not measured)
    worker_peak_mib: float = 0.0  # the largest of them alone

    @property
    def errors(self) -> int:
        return self.total.errors + self.warmup_errors


@dataclass(frozen=True)
class Callback:
    """One dashboard callback as `_dash-dependencies` lists it, to make the bodies the browser
    posts to `_dash-update-component`."""

    output: str  # "..a.children...b.figure.." (several outputs) or "a.children"
    outputs: tuple[tuple[str, str], ...]  # (id, property), the property with its "@hash" if any
    inputs: tuple[tuple[str, str], ...]
    state: tuple[tuple[str, str], ...]

    @classmethod
    def parse(cls, dep: dict[str, Any]) -> Callback:
        text = dep["output"]
        parts = text[2:-2].split("...") if text.startswith("..") else [text]
        outputs = []
        for part in parts:
            name, _, digest = part.partition("@")
            cid, prop = name.rsplit(".", 1)
            outputs.append((cid, f"{prop}@{digest}" if digest else prop))
        return cls(
            text,
            tuple(outputs),
            tuple((i["id"], i["property"]) for i in dep["inputs"]),
            tuple((s["id"], s["property"]) for s in dep["state"]),
        )

    def names(self) -> set[str]:
        """Its outputs as "id.property" (without the hash)."""
        return {f"{cid}.{prop.partition('@')[0]}" for cid, prop in self.outputs}

    def body(self, values: dict[str, Any], changed: str) -> dict[str, Any]:
        """The request when `changed` ("id.property") changed; `values` has every input and state
        by "id.property" (a KeyError for one left out)."""

        def fill(items: tuple[tuple[str, str], ...]) -> list[dict[str, Any]]:
            return [{"id": i, "property": p, "value": values[f"{i}.{p}"]} for i, p in items]

        outputs = [{"id": i, "property": p} for i, p in self.outputs]
        return {
            "output": self.output,
            "outputs": outputs if self.output.startswith("..") else outputs[0],
            "inputs": fill(self.inputs),
            "state": fill(self.state),
            "changedPropIds": [changed],
        }

    def problem(self, r: httpx.Response) -> tuple[str | None, dict[str, Any]]:
        """What is wrong with a reply (None: nothing) and its updates by component id."""
        if r.status_code != 200:
            return f"HTTP {r.status_code}", {}
        doc = r.json()
        side = doc.get("sideUpdate") or {}
        if ids.REDIRECT in side:
            return "sent to the login page", {}
        if (side.get(ids.NOTICE) or {}).get("children"):
            return f"banner says: {side[ids.NOTICE]['children']}", {}
        found: dict[str, Any] = doc.get("response", {})
        first = self.outputs[0][0]
        if first not in found:
            return f"no update of {first}", found
        for cid, _ in self.outputs:
            message = found.get(cid, {}).get("children") if cid.endswith("-error") else None
            if message:
                return f"{cid} says: {message}", found
        return None, found


def callbacks(deps: list[dict[str, Any]]) -> dict[str, Callback]:
    """The dashboard's callbacks by each of their outputs ("id.property"; where two callbacks
    update the same property, the later one)."""
    found: dict[str, Callback] = {}
    for dep in deps:
        if dep.get("clientside_function"):
            continue
        cb = Callback.parse(dep)
        for name in cb.names():
            found[name] = cb
    return found


@dataclass
class _Plan:
    """What every client needs, read once before the load."""

    key: str
    ids: list[str]  # random members
    leaders: list[str]  # the largest by GV: downlines with pages to follow
    periods: list[str]
    overview: Callback
    expand: Callback
    legs: Callback
    roots: list[dict[str, Any]]  # the explorer's first elements (the roots)


@dataclass
class _Tally:
    lat: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    errors: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    def add(self, kind: str, seconds: float, problem: str | None, r: httpx.Response | None) -> None:
        self.lat[kind].append(seconds)
        if problem is not None:
            self.errors[kind] += 1
            what = f"{kind}: {problem}"
            self.failures[what] += 1
            if what not in self.examples:
                self.examples[what] = " ".join((r.text if r is not None else "").split())[:300]


async def _login(http: httpx.AsyncClient, key: str) -> None:
    """The dashboard's login form, as a browser posts it: the client keeps the cookie."""
    r = await http.post(f"{DASH}/login", data={"key": key, "next": f"{DASH}/"})
    if r.status_code != 303 or "downline_key" not in http.cookies:
        raise RuntimeError(f"dashboard login refused: HTTP {r.status_code}")


Check = Callable[[httpx.Response], tuple[str | None, Any]]
# a transport error, or a body that is not the JSON expected
UNEXPECTED = (httpx.HTTPError, ValueError, KeyError, TypeError, AttributeError)


def _ok(r: httpx.Response) -> tuple[str | None, Any]:
    return (None, None) if r.status_code == 200 else (f"HTTP {r.status_code}", None)


def _json(r: httpx.Response) -> tuple[str | None, Any]:
    return (None, r.json()) if r.status_code == 200 else (f"HTTP {r.status_code}", None)


async def _timed(
    http: httpx.AsyncClient, tally: _Tally, kind: str, check: Check, method: str, url: str, **kw: Any
) -> Any:
    """One request, timed to the end of its body; what `check` makes of the reply (None on error)."""
    r: httpx.Response | None = None
    t0 = time.perf_counter()
    try:
        r = await http.request(method, url, **kw)
        took = time.perf_counter() - t0
        problem, doc = check(r)
    except UNEXPECTED as exc:
        took = time.perf_counter() - t0
        problem, doc = f"{type(exc).__name__}: {exc}"[:120], None
    tally.add(kind, took, problem, r)
    return doc if problem is None else None


async def _callback(
    http: httpx.AsyncClient, tally: _Tally, kind: str, cb: Callback, values: dict[str, Any], changed: str
) -> dict[str, Any] | None:
    """A dashboard callback, as the browser calls it: its updates by component id, None on error."""
    body = cb.body(values, changed)
    found: dict[str, Any] | None = await _timed(
        http, tally, kind, cb.problem, "POST", f"{DASH}/_dash-update-component", json=body
    )
    return found


def _clickable(elements: list[dict[str, Any]], under: str) -> list[dict[str, Any]]:
    """The members shown under `under` ("": the roots) not expanded yet: what the walk clicks."""
    nodes = [e["data"] for e in elements if "source" not in e["data"]]
    return [
        n
        for n in nodes
        if n.get("kind") == "member" and n.get("under", "") == under and not n.get("expanded")
    ]


async def _mixed_client(base: str, plan: _Plan, until: float, seed: int, tally: _Tally) -> None:
    rng = random.Random(seed)
    latest = plan.periods[-1]
    bearer = {"Authorization": f"Bearer {plan.key}"}
    walk, under, depth = plan.roots, "", 0  # the explorer: elements on screen, last node clicked
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        await _login(http, plan.key)
        while time.perf_counter() < until:
            kind = rng.choices(KINDS, weights=list(MIX.values()))[0]
            if kind == STATS:
                who = rng.choice(plan.ids)
                await _timed(http, tally, kind, _ok, "GET", f"/v1/distributors/{who}/stats", headers=bearer)
            elif kind == DOWNLINE_PAGES:
                who = rng.choice(plan.leaders)
                params: dict[str, Any] = {"limit": PAGE}
                for _ in range(rng.randint(1, 3)):
                    url = f"/v1/distributors/{who}/downline"
                    doc = await _timed(http, tally, kind, _json, "GET", url, params=params, headers=bearer)
                    if not doc or not doc.get("next_cursor"):
                        break
                    params = {"limit": PAGE, "cursor": doc["next_cursor"]}
            elif kind == NETWORK:
                params = {"period": rng.choice(plan.periods)}
                await _timed(http, tally, kind, _ok, "GET", "/v1/network", params=params, headers=bearer)
            elif kind == OVERVIEW:
                values: dict[str, Any] = {"overview-period.value": rng.choice(plan.periods)}
                await _callback(http, tally, kind, plan.overview, values, "overview-period.value")
            elif kind == EXPAND:
                below = _clickable(walk, under)
                if depth >= WALK or not below:
                    walk, under, depth = plan.roots, "", 0
                    continue
                node = rng.choice(below)
                values = {
                    "explorer-graph.tapNodeData": node,
                    "explorer-graph.elements": walk,
                    "explorer-period.value": latest,
                    "explorer-tree.value": "sponsor",
                }
                found = await _callback(http, tally, kind, plan.expand, values, "explorer-graph.tapNodeData")
                if found is not None and "explorer-graph" in found:
                    walk, under, depth = found["explorer-graph"]["elements"], node["id"], depth + 1
                else:
                    walk, under, depth = plan.roots, "", 0
            else:
                who = rng.choice(plan.leaders if rng.random() < 0.5 else plan.ids)
                values = {
                    "legs-go.n_clicks": 1,
                    "legs-id.n_submit": None,
                    "legs-period.value": latest,
                    "legs-depth.value": 2,
                    "legs-id.value": who,
                }
                await _callback(http, tally, kind, plan.legs, values, "legs-go.n_clicks")


def _plan(base: str, key: str, ids: list[str]) -> _Plan:
    """Read what the clients need over HTTP, as a client would: periods, the largest members,
    the dashboard's callbacks and the explorer's roots."""
    with httpx.Client(base_url=base, timeout=120) as http:
        bearer = {"Authorization": f"Bearer {key}"}
        periods = http.get("/v1/periods", headers=bearer).raise_for_status().json()
        if not periods:
            raise RuntimeError("no periods: the network has no orders")
        network = http.get("/v1/network", params={"top": 100}, headers=bearer).raise_for_status().json()
        leaders = [m["id"] for m in network["top"]] or ids
        r = http.post(f"{DASH}/login", data={"key": key, "next": f"{DASH}/"})
        if r.status_code != 303:
            raise RuntimeError(f"dashboard login refused: HTTP {r.status_code}")
        found = callbacks(http.get(f"{DASH}/_dash-dependencies").raise_for_status().json())
        start = found["explorer-breadcrumb.children"]
        values = {
            "explorer-period.value": periods[-1],
            "explorer-tree.value": "sponsor",
            "explorer-focus.data": None,
        }
        r = http.post(f"{DASH}/_dash-update-component", json=start.body(values, "explorer-period.value"))
        problem, doc = start.problem(r)
        if problem is not None:
            raise RuntimeError(f"the explorer's roots: {problem}")
        return _Plan(
            key, ids, leaders, periods,
            overview=found["overview-kpis.children"],
            expand=found["explorer-timing.children"],
            legs=found["legs-summary.children"],
            roots=doc["explorer-graph"]["elements"],
        )  # fmt: skip


def _kind(kind: str, lat: list[float], errors: int, spent: float) -> KindResult:
    return KindResult(
        kind=kind,
        requests=len(lat),
        errors=errors,
        rps=len(lat) / spent if spent > 0 else 0.0,
        p50_ms=_percentile(lat, 50),
        p99_ms=_percentile(lat, 99),
    )


def mixed_run(
    base: str,
    key: str,
    ids: list[str],
    *,
    clients: int = 16,
    seconds: float = 60,
    warmup: float = 3,
    workers: int | None = None,
    seed: int = 0,
) -> MixedResult:
    """The mixed workload against a server already running at `base`, with a viewer's `key` (or
    higher); `ids` are members to ask for."""
    plan = _plan(base, key, ids)

    async def phase(tally: _Tally, duration: float, first_seed: int) -> float:
        began = time.perf_counter()
        until = began + duration
        await asyncio.gather(
            *(_mixed_client(base, plan, until, first_seed + i, tally) for i in range(clients))
        )
        return time.perf_counter() - began

    warm, measured = _Tally(), _Tally()
    if warmup > 0:  # every worker's driver pool, the page cache, the service's caches
        asyncio.run(phase(warm, warmup, seed + 1000))
    spent = asyncio.run(phase(measured, seconds, seed))
    kinds = [_kind(k, measured.lat[k], measured.errors[k], spent) for k in KINDS]
    everything = [s for k in KINDS for s in measured.lat[k]]
    return MixedResult(
        clients=clients,
        workers=workers,
        seconds=round(spent, 1),
        kinds=kinds,
        total=_kind("total", everything, sum(measured.errors.values()), spent),
        warmup_requests=sum(len(v) for v in warm.lat.values()),
        warmup_errors=sum(warm.errors.values()),
        failures=dict(warm.failures + measured.failures),
        examples={**measured.examples, **warm.examples},
    )


def mixed_load(
    settings: Settings,
    ids: list[str],
    *,
    port: int = 18766,
    clients: int = 16,
    workers: int = 2,
    seconds: float = 60,
    warmup: float = 3,
) -> MixedResult:
    """The mixed workload against a `downline serve --workers N` of its own, with a new viewer key;
    the server's log goes to the home's serve-mixed-load.log."""
    with open_driver(settings) as driver:
        key, _ = keystore.create_key(driver, settings.neo4j_database, role="viewer", name="benchmark")
    log = settings.home_dir / "serve-mixed-load.log"
    env = {**os.environ, "DOWNLINE_HOME": str(settings.home_dir)}
    with (
        serve(env, "--workers", str(workers), port=port, log=log) as served,
        TreeMemory(served.proc.pid) as mem,
    ):
        result = mixed_run(
            served.base, key, ids, clients=clients, seconds=seconds, warmup=warmup, workers=workers
        )
    result.server_peak_mib, result.worker_peak_mib = mem.total_peak, mem.process_peak
    return result


def _tree(pid: int) -> list[int]:
    """`pid` and its descendants (from /proc: each process's parent)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(parents.get(p, []))
    return out


def rss_mib(pid: int) -> float:
    """Resident memory of a process in MiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class TreeMemory:
    """Samples the resident memory of a process and its children every 0.5 s: the peak of their
    sum and the peak of any one of them (an API worker). `pid` may be a function asked at each
    sample (a server restarted meanwhile, as a bulk import does)."""

    def __init__(self, pid: int | Callable[[], int]) -> None:
        self.pid = pid if callable(pid) else (lambda: pid)
        self.total_peak, self.process_peak = 0.0, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            sizes = [rss_mib(p) for p in _tree(self.pid())]
            self.total_peak = max(self.total_peak, sum(sizes))
            self.process_peak = max([self.process_peak, *sizes])

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

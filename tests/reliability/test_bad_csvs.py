"""Broken input folders (issue 9, "Bad input"): hypothesis builds them from a few valid rows and
breaks them, and each one is fed to the real `downline import FOLDER` against the test Neo4j.

Covered: files cut short (inside a quoted field, mid-row, anywhere), wrong encodings (Latin-1,
Windows-1252, UTF-16/32, invalid UTF-8 bytes), byte-order marks and line ends (the tolerated
forms and the broken ones), unbalanced quotes, fields of megabytes, damaged headers, every rule of
contract section 1 broken once, and thousands of problems at once; in both distributors.csv and
orders.csv. Whatever the bytes, the import is refused with exit status 2, every problem located
(file and line), no traceback, and the database exactly as before (the full dump, staging
included). Only a cut anywhere may leave a valid file: then the import may also succeed (and the
network is loaded again for the next example). The forms the contract tolerates (a UTF-8 BOM, CRLF,
columns in any order, extra columns, header spelling) are accepted and change nothing when they
carry rows already imported.

`DOWNLINE_SOAK_REPEATS` scales the number of examples (2 in `make test`, 25 in `make soak`); with
`DOWNLINE_RELIABILITY_TALLY` set, the inputs tried and refused are counted (see tally.py).
"""

from __future__ import annotations

import codecs
import json
import os
import random
import re
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hypothesis
import pytest
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from neo4j import Driver

from graph_service.config import Settings
from graph_service.db.admin import delete_all
from graph_service.db.schema import ensure_schema
from tests.helpers import DIST_HEADER, ORDER_HEADER, cli_environment, dump, run_cli, write_folder
from tests.integration.test_import_validation import BASE_DISTRIBUTORS, BASE_ORDERS
from tests.reliability.tally import tally

REPEATS = int(os.environ.get("DOWNLINE_SOAK_REPEATS", "2"))
DIST, ORD = "distributors.csv", "orders.csv"
MAX_FIELD = 1_000_000  # graph_service/ingest/csvfile.py: a longer field is a broken file


def soak(examples: int) -> hypothesis.settings:
    """`examples` CLI runs in `make test`, REPEATS/2 times as many in `make soak`."""
    return hypothesis.settings(
        max_examples=max(1, examples * REPEATS // 2),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],  # no explain
    )


# ---------------------------------------------------------------- the network in the database

BASE_IDS = [r[0] for r in BASE_DISTRIBUTORS]
BASE_SPONSOR = {r[0]: r[1] for r in BASE_DISTRIBUTORS}
PLACED = {r[0]: (r[5], r[6]) for r in BASE_DISTRIBUTORS if r[5]}
TAKEN = sorted(PLACED.values())
FREE = [(p, s) for p in BASE_IDS for s in "LR" if (p, s) not in TAKEN]
BASE_ORDER = {r[0]: dict(zip(ORDER_HEADER, r, strict=True)) for r in BASE_ORDERS}


# ---------------------------------------------------------------- tables and their bytes

Row = dict[str, str]
EXTRA = "\x00extra"  # a row key: one more field after the header's
SHORT = "\x00short"  # a row key: this many of the last fields left out
LEAF = "\x00leaf"  # a row key: a row added by a rule (not a sponsor for other added rows)


@dataclass
class Table:
    header: list[str]
    rows: list[Row]


@dataclass
class Net:
    """New rows on top of the network in the database: valid until a strategy breaks them."""

    dists: Table
    orders: Table | None

    def new_ids(self) -> list[str]:
        return [r["id"] for r in self.dists.rows]

    def referenced(self, ident: str) -> bool:
        """Whether another row names this distributor (as sponsor, placement parent, in an order)."""
        linked = [r.get("sponsor_id") for r in self.dists.rows]
        linked += [r.get("placement_parent_id") for r in self.dists.rows]
        linked += [r.get("distributor_id") for r in self.orders.rows] if self.orders else []
        return ident in linked

    def tables(self) -> dict[str, Table]:
        return {DIST: self.dists} | ({ORD: self.orders} if self.orders is not None else {})


@dataclass
class Encoded:
    data: bytes
    lines: list[int]  # the physical line each data row starts on (the header is line 1)
    spans: list[list[tuple[int, int]]]  # byte span of each field of each data row, quotes included


def cell(value: str, quote_all: bool) -> str:
    if quote_all or any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def encode(
    table: Table, *, quote_all: bool = False, newline: str = "\n", bom: bool = False, header: bool = True
) -> Encoded:
    out = bytearray(codecs.BOM_UTF8 if bom else b"")
    line = 1
    lines: list[int] = []
    spans: list[list[tuple[int, int]]] = []

    def put(values: list[str]) -> list[tuple[int, int]]:
        nonlocal out, line
        where: list[tuple[int, int]] = []
        for i, value in enumerate(values):
            if i:
                out += b","
            raw = cell(value, quote_all).encode("utf-8")
            where.append((len(out), len(out) + len(raw)))
            out += raw
            line += raw.count(b"\n")
        out += newline.encode()
        line += 1
        return where

    if header:
        put(table.header)
    for row in table.rows:
        values = [row.get(c, "") for c in table.header]
        if SHORT in row:
            values = values[: -int(row[SHORT])]
        if EXTRA in row:
            values.append(row[EXTRA])
        lines.append(line)
        spans.append(put(values))
    return Encoded(bytes(out), lines, spans)


def line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


# ---------------------------------------------------------------- what a refusal must say


@dataclass(frozen=True)
class Expect:
    file: str  # the file of the problem ("": either)
    lines: tuple[int, ...] = ()  # a problem on one of these lines (empty: on any line)
    column: str | None = None  # ... in this column (None: any)
    fragment: str = ""  # ... whose reason holds this
    names: tuple[str, ...] = ()  # ... and these (the members of a cycle)
    total: int | None = None  # the number of problems, when known
    certain: bool = True  # False: the mutation may have left the input valid (exit 0 allowed)


class Broken:
    """A broken folder: its files, what the refusal must say, what was broken (for the report)."""

    def __init__(self, files: dict[str, bytes], expect: Expect, note: str) -> None:
        self.files, self.expect, self.note = files, expect, note

    def __repr__(self) -> str:  # what hypothesis prints for a failing example: the exact bytes
        parts = [self.note]
        for name, data in self.files.items():
            shown = repr(data) if len(data) <= 4000 else f"{data[:2000]!r} ... {data[-300:]!r}"
            parts.append(f"{name} ({len(data)} bytes): {shown}")
        return f"Broken({'; '.join(parts)}; {self.expect})"


PROBLEM = re.compile(
    r"^error (?P<file>[^\s:\[]+)(?::(?P<line>\d+))?(?: \[(?P<column>[^\]]*)\])?: (?P<reason>.*)$"
)
TOTAL = re.compile(r"^(\d+) problem\(s\) found; nothing was written$", re.MULTILINE)


@dataclass(frozen=True)
class Shown:
    file: str
    line: int | None
    column: str | None
    reason: str


def problems_shown(stderr: str) -> tuple[list[Shown], int | None]:
    """The problems printed by `downline import` (human form) and the total it announces."""
    shown = []
    for text in stderr.splitlines():
        if text.startswith("error "):
            m = PROBLEM.match(text)
            assert m, f"a problem without a place: {text!r}"
            line = int(m["line"]) if m["line"] else None
            shown.append(Shown(m["file"], line, m["column"], m["reason"]))
    totals = TOTAL.findall(stderr)
    return shown, int(totals[-1]) if totals else None


def output_of(proc: subprocess.CompletedProcess[str], limit: int = 6000) -> str:
    text = f"exit {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}"
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


class Bench:
    """The base network in the database; each broken folder is fed to the CLI against it."""

    def __init__(self, driver: Driver, database: str, env: dict[str, str], root: Path) -> None:
        self.driver, self.database, self.env, self.root = driver, database, env, root
        self.before: tuple[list[object], list[object]] = ([], [])

    def load(self) -> None:
        folder = write_folder(self.root / "base", BASE_DISTRIBUTORS, BASE_ORDERS)
        proc = run_cli("import", str(folder), env=self.env)
        assert proc.returncode == 0, output_of(proc)
        self.before = dump(self.driver, visible_only=False)

    def reset(self) -> None:
        delete_all(self.driver, database=self.database)
        ensure_schema(self.driver, self.database)
        self.load()

    def feed(self, files: dict[str, bytes], *args: str) -> subprocess.CompletedProcess[str]:
        with tempfile.TemporaryDirectory(dir=self.root) as tmp:
            folder = Path(tmp) / "data"
            folder.mkdir()
            for name, data in files.items():
                (folder / name).write_bytes(data)
            return run_cli("import", str(folder), *args, env=self.env)

    def unchanged(self) -> bool:
        return dump(self.driver, visible_only=False) == self.before

    def refused(self, broken: Broken) -> list[Shown]:
        """Feed the broken folder: refused, located, no traceback, nothing changed."""
        tally("bad_csv_inputs")
        proc = self.feed(broken.files)
        said = output_of(proc)
        assert "Traceback" not in proc.stdout + proc.stderr, said
        expect = broken.expect
        if proc.returncode == 0 and not expect.certain:
            tally("bad_csv_accepted")
            self.reset()
            return []
        assert proc.returncode == 2, said
        shown, total = problems_shown(proc.stderr)
        assert shown, said
        assert all(p.line is not None for p in shown), said
        assert total is not None, said
        assert total >= len(shown), said
        if expect.total is not None:
            assert total == expect.total, said
        match = [
            p
            for p in shown
            if expect.file in ("", p.file)
            and (not expect.lines or p.line in expect.lines)
            and (expect.column is None or p.column == expect.column)
            and expect.fragment in p.reason
            and all(name in p.reason for name in expect.names)
        ]
        assert match, f"{expect} not among the problems:\n{said}"
        assert self.unchanged(), f"the database changed:\n{said}"
        tally("bad_csv_refused")
        return shown


@pytest.fixture(scope="module")
def network(
    session_driver: Driver, settings: Settings, neo4j_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> Bench:
    """The base network, loaded once for the module (every example leaves it as it was)."""
    bench = Bench(
        session_driver, settings.neo4j_database, cli_environment(neo4j_home), tmp_path_factory.mktemp("bad")
    )
    bench.reset()
    return bench


@pytest.fixture
def bench(network: Bench) -> Bench:
    """The base network, loaded again if a test elsewhere changed the database meanwhile."""
    if not network.unchanged():
        network.reset()
    return network


# ---------------------------------------------------------------- valid new rows

PLAIN = st.text(alphabet="abcXYZ éßø😀-'", max_size=10)  # nothing that needs quoting
WILD = st.text(alphabet='abXY é😀,"\n-', max_size=10)  # commas, quotes, newlines
ASCII = st.text(alphabet="abcdXYZ -'", max_size=10)
DATES = ["2026-09-15", "2026-10-01", " 2026-10-31 ", "2025-02-28", "2024-02-29"]
VOLUMES = ["100", "55.25", "-2.5", "0", ".5", "5.", "+3", " 7 ", "1.0000"]
AMOUNTS = ["", "130.00", "-3", "0.5"]
BUYERS = ["", "retail", "self", "SELF", " self "]
COUNTRIES = ["", "US", "gb", " de "]
JOINED = ["", "2025-03-04", " 2024-02-29 "]


@st.composite
def fresh(
    draw: st.DrawFn, names: st.SearchStrategy[str] = WILD, prefixes: tuple[str, ...] = ("N", "Ñ", "新", "n-")
) -> Net:
    """2-5 new distributors under the network (sponsors and placement parents may come later in
    the file) and 0-4 orders: a valid import."""
    k = draw(st.integers(2, 5))
    prefix = draw(st.sampled_from(prefixes))
    ids = [f"{prefix}{i}" for i in range(1, k + 1)]
    rows = [dict.fromkeys(DIST_HEADER, "") for _ in ids]
    tree = draw(st.permutations(range(k)))  # sponsors and parents come before in this order
    free = list(FREE)
    for pos, i in enumerate(tree):
        row = rows[i]
        row["id"] = ids[i]
        row["sponsor_id"] = draw(st.sampled_from(BASE_IDS + [ids[j] for j in tree[:pos]]))
        row["name"] = draw(names)
        row["country"] = draw(st.sampled_from(COUNTRIES))
        row["joined_on"] = draw(st.sampled_from(JOINED))
        if free and draw(st.booleans()):
            parent, side = free.pop(draw(st.integers(0, len(free) - 1)))
            row["placement_parent_id"] = parent
            row["placement_side"] = draw(st.sampled_from([side, side.lower()]))
        free += [(ids[i], "L"), (ids[i], "R")]
    m = draw(st.integers(0, 4))
    orders = None
    if m or draw(st.booleans()):
        orders = Table(
            list(ORDER_HEADER), [new_order(draw, f"P{j}", BASE_IDS + ids) for j in range(1, m + 1)]
        )
    return Net(Table(list(DIST_HEADER), rows), orders)


def new_order(draw: st.DrawFn, ident: str, distributors: list[str]) -> Row:
    return {
        "id": ident,
        "distributor_id": draw(st.sampled_from(distributors)),
        "ordered_on": draw(st.sampled_from(DATES)),
        "volume": draw(st.sampled_from(VOLUMES)),
        "amount": draw(st.sampled_from(AMOUNTS)),
        "buyer": draw(st.sampled_from(BUYERS)),
    }


def files_of(net: Net, **options: Any) -> tuple[dict[str, bytes], dict[str, Encoded]]:
    encoded = {name: encode(table, **options) for name, table in net.tables().items()}
    return {name: e.data for name, e in encoded.items()}, encoded


# ---------------------------------------------------------------- every rule of section 1, once


@dataclass
class Hit:
    """Where a broken rule must be reported: the rows (none: the header) of a file."""

    file: str
    rows: list[Row]
    column: str | None
    fragment: str
    total: int | None = 1
    names: tuple[str, ...] = ()


Rule = Callable[[st.DrawFn, Net], Hit]
RULES: dict[str, Rule] = {}


def rule(fn: Rule) -> Rule:
    RULES[fn.__name__] = fn
    return fn


CONTROL = [chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]]
BAD_DATES = [
    "2026-02-30", "2026-13-01", "26-01-01", "2026/01/01", "01/02/2026", "2026-1-1", "yesterday",
    "2026-01-01T00:00", "20260101", "2026-00-10",
    "\u0662\u0660\u0662\u0666-\u0660\u0661-\u0660\u0661", "\uff12\uff10\uff12\uff16-01-01",
]  # fmt: skip
BAD_NUMBERS = [
    "12,5", "1e3", "abc", "1.23456", "--1", "1.2.3", "NaN", "inf", "0x10", "1 000", "$5", "5%", ".", "-",
    "+-1", "½",
]  # fmt: skip
BAD_COUNTRIES = ["USA", "U", "1A", "U$", "éé", "U S", "GBR", "--"]
BAD_SIDES = ["X", "left", "LR", "1", "Ł", "l r", "-"]
BAD_BUYERS = ["friend", "Self-ish", "retail;", "s", "\u017felf", "customer", "retail self"]
GHOSTS = st.text(alphabet="ghostZ新-", min_size=1, max_size=8).map(lambda s: f"ghost{s}")


def insert(draw: st.DrawFn, table: Table, row: Row) -> Row:
    table.rows.insert(draw(st.integers(0, len(table.rows))), row)
    return row


def leaf(draw: st.DrawFn, net: Net, ident: str) -> Row:
    """A valid new distributor nobody names, at a random place in the file."""
    sponsors = BASE_IDS + [r["id"] for r in net.dists.rows if LEAF not in r]
    row = dict.fromkeys(DIST_HEADER, "")
    row.update(id=ident, sponsor_id=draw(st.sampled_from(sponsors)), name=draw(PLAIN))
    row[LEAF] = "yes"
    return insert(draw, net.dists, row)


def target(draw: st.DrawFn, net: Net) -> tuple[Row, int | None]:
    """A row to break: a new leaf, or one of the rows (then others may depend on it: the total
    is unknown)."""
    if draw(st.booleans()):
        return leaf(draw, net, "X1"), 1
    row = draw(st.sampled_from(net.dists.rows))
    return row, None if net.referenced(row["id"]) else 1


def orders_of(net: Net) -> Table:
    if net.orders is None:
        net.orders = Table(list(ORDER_HEADER), [])
    return net.orders


def order_target(draw: st.DrawFn, net: Net) -> Row:
    table = orders_of(net)
    if table.rows and draw(st.booleans()):
        return draw(st.sampled_from(table.rows))
    return insert(draw, table, new_order(draw, "Q1", BASE_IDS + net.new_ids()))


def free_slots(net: Net) -> list[tuple[str, str]]:
    used = {(r["placement_parent_id"], r["placement_side"].upper()) for r in net.dists.rows}
    slots = FREE + [(i, s) for i in net.new_ids() for s in "LR"]
    return [slot for slot in slots if slot not in used]


@rule
def missing_column(draw: st.DrawFn, net: Net) -> Hit:
    column = draw(st.sampled_from(["id", "sponsor_id"]))
    net.dists.header.remove(column)
    return Hit(DIST, [], column, "missing", total=None)


@rule
def repeated_column(draw: st.DrawFn, net: Net) -> Hit:
    column = draw(st.sampled_from(DIST_HEADER))
    spelled = draw(st.sampled_from([column, column.upper(), f" {column} "]))
    net.dists.header.insert(draw(st.integers(0, len(net.dists.header))), spelled)
    for row in net.dists.rows:
        row[spelled] = row[column]
    return Hit(DIST, [], column, "twice", total=None)


@rule
def empty_id(draw: st.DrawFn, net: Net) -> Hit:
    row = leaf(draw, net, "")
    return Hit(DIST, [row], "id", "empty")


@rule
def id_too_long(draw: st.DrawFn, net: Net) -> Hit:
    row = leaf(draw, net, draw(st.text(alphabet="Xé新😀", min_size=65, max_size=300)))
    return Hit(DIST, [row], "id", "longer than 64")


@rule
def control_character_in_id(draw: st.DrawFn, net: Net) -> Hit:
    row = leaf(draw, net, f"X{draw(st.sampled_from(CONTROL))}1")
    return Hit(DIST, [row], "id", "control character")


@rule
def control_character_in_sponsor(draw: st.DrawFn, net: Net) -> Hit:
    row = leaf(draw, net, "X1")
    row["sponsor_id"] = f"R{draw(st.sampled_from(CONTROL))}1"
    return Hit(DIST, [row], "sponsor_id", "control character")


@rule
def duplicate_id(draw: st.DrawFn, net: Net) -> Hit:
    original = draw(st.sampled_from(net.dists.rows))
    copy = insert(draw, net.dists, dict(original))
    rows = net.dists.rows
    later = max(original, copy, key=lambda r: next(i for i, x in enumerate(rows) if x is r))
    return Hit(DIST, [later], "id", "duplicate")


@rule
def existing_id_other_sponsor(draw: st.DrawFn, net: Net) -> Hit:
    ident = draw(st.sampled_from(BASE_IDS))
    others = [s for s in ["", *BASE_IDS, *net.new_ids()] if s not in (BASE_SPONSOR[ident], ident)]
    row = leaf(draw, net, ident)
    row["sponsor_id"] = draw(st.sampled_from(others))
    return Hit(DIST, [row], "sponsor_id", "already exists")


@rule
def unknown_sponsor(draw: st.DrawFn, net: Net) -> Hit:
    row = leaf(draw, net, "X1")
    row["sponsor_id"] = draw(GHOSTS)
    return Hit(DIST, [row], "sponsor_id", "exists neither")


@rule
def sponsors_himself(draw: st.DrawFn, net: Net) -> Hit:
    row = leaf(draw, net, "X1")
    row["sponsor_id"] = "X1"
    return Hit(DIST, [row], "sponsor_id", "himself")


@rule
def sponsorship_cycle(draw: st.DrawFn, net: Net) -> Hit:
    members = [f"C{i}" for i in range(1, draw(st.integers(2, 4)) + 1)]
    rows = [leaf(draw, net, m) for m in members]
    for i, row in enumerate(rows):
        row["sponsor_id"] = members[i - 1]
    return Hit(DIST, rows, "sponsor_id", "sponsorship cycle", names=tuple(members))


@rule
def bad_joined_on(draw: st.DrawFn, net: Net) -> Hit:
    row, total = target(draw, net)
    row["joined_on"] = draw(st.sampled_from(BAD_DATES))
    return Hit(DIST, [row], "joined_on", "ISO date", total)


@rule
def bad_country(draw: st.DrawFn, net: Net) -> Hit:
    row, total = target(draw, net)
    row["country"] = draw(st.sampled_from(BAD_COUNTRIES))
    return Hit(DIST, [row], "country", "ISO 3166", total)


@rule
def bad_placement_side(draw: st.DrawFn, net: Net) -> Hit:
    row, total = target(draw, net)
    row["placement_parent_id"] = draw(st.sampled_from(BASE_IDS))
    row["placement_side"] = draw(st.sampled_from(BAD_SIDES))
    return Hit(DIST, [row], "placement_side", "L or R", total)


@rule
def side_without_parent(draw: st.DrawFn, net: Net) -> Hit:
    row, total = target(draw, net)
    row["placement_parent_id"] = ""
    row["placement_side"] = draw(st.sampled_from(["L", "R", " r "]))
    return Hit(DIST, [row], "placement_parent_id", "without a parent", total)


@rule
def placed_under_himself(draw: st.DrawFn, net: Net) -> Hit:
    row, total = target(draw, net)
    row["placement_parent_id"] = row["id"]
    row["placement_side"] = draw(st.sampled_from("LR"))
    return Hit(DIST, [row], "placement_parent_id", "under himself", total)


@rule
def slot_taken_twice(draw: st.DrawFn, net: Net) -> Hit:
    parent, side = draw(st.sampled_from(free_slots(net)))
    rows = [leaf(draw, net, "X1"), leaf(draw, net, "X2")]
    for row in rows:
        row.update(placement_parent_id=parent, placement_side=side)
    later = max(rows, key=lambda r: next(i for i, x in enumerate(net.dists.rows) if x is r))
    return Hit(DIST, [later], "placement_side", "taken twice")


@rule
def slot_taken_in_database(draw: st.DrawFn, net: Net) -> Hit:
    parent, side = draw(st.sampled_from(TAKEN))
    leaf(draw, net, "X1").update(placement_parent_id=parent, placement_side=side)
    return Hit(DIST, [r for r in net.dists.rows if r["id"] == "X1"], "placement_side", "already taken")


@rule
def unknown_placement_parent(draw: st.DrawFn, net: Net) -> Hit:
    row = leaf(draw, net, "X1")
    row.update(placement_parent_id=draw(GHOSTS), placement_side=draw(st.sampled_from("LR")))
    return Hit(DIST, [row], "placement_parent_id", "exists neither")


@rule
def control_character_in_placement_parent(draw: st.DrawFn, net: Net) -> Hit:
    row = leaf(draw, net, "X1")
    row.update(placement_parent_id=f"A{draw(st.sampled_from(CONTROL))}2", placement_side="L")
    return Hit(DIST, [row], "placement_parent_id", "control character")


@rule
def placement_cycle(draw: st.DrawFn, net: Net) -> Hit:
    members = [f"C{i}" for i in range(1, draw(st.integers(2, 3)) + 1)]
    rows = [leaf(draw, net, m) for m in members]
    for i, row in enumerate(rows):
        row.update(placement_parent_id=members[i - 1], placement_side=draw(st.sampled_from("LR")))
    return Hit(DIST, rows, "placement_parent_id", "placement cycle", names=tuple(members))


@rule
def placement_cycle_through_database(draw: st.DrawFn, net: Net) -> Hit:
    """The root, not placed yet, placed below one of its own placement descendants."""
    below = [slot for slot in free_slots(net) if slot[0] in PLACED]
    if not below:
        return slot_taken_in_database(draw, net)
    parent, side = draw(st.sampled_from(below))
    row = leaf(draw, net, "R1")
    row.update(sponsor_id="", placement_parent_id=parent, placement_side=side)
    return Hit(DIST, [row], "placement_parent_id", "placement cycle", names=("R1",))


@rule
def placement_change(draw: st.DrawFn, net: Net) -> Hit:
    ident = draw(st.sampled_from(sorted(PLACED)))
    used = {(r["placement_parent_id"], r["placement_side"].upper()) for r in net.dists.rows}
    slots = [(p, s) for p in BASE_IDS + net.new_ids() for s in "LR" if p != ident and (p, s) not in used]
    slots = [slot for slot in slots if slot != PLACED[ident]]
    parent, side = draw(st.sampled_from(slots))
    row = leaf(draw, net, ident)
    row.update(sponsor_id=BASE_SPONSOR[ident], placement_parent_id=parent, placement_side=side)
    return Hit(DIST, [row], "placement_parent_id", "cannot change")


@rule
def wrong_field_count(draw: st.DrawFn, net: Net) -> Hit:
    row, total = target(draw, net)
    if draw(st.booleans()):
        row[EXTRA] = draw(PLAIN.filter(str.strip))
    else:
        row[SHORT] = str(draw(st.integers(1, len(DIST_HEADER) - 1)))
    return Hit(DIST, [row], None, "fields", total)


@rule
def order_missing_column(draw: st.DrawFn, net: Net) -> Hit:
    column = draw(st.sampled_from(["id", "distributor_id", "ordered_on", "volume"]))
    orders_of(net).header.remove(column)
    return Hit(ORD, [], column, "missing")


@rule
def order_repeated_column(draw: st.DrawFn, net: Net) -> Hit:
    table = orders_of(net)
    column = draw(st.sampled_from(ORDER_HEADER))
    spelled = draw(st.sampled_from([column, column.upper(), f" {column} "]))
    table.header.insert(draw(st.integers(0, len(table.header))), spelled)
    for row in table.rows:
        row[spelled] = row[column]
    return Hit(ORD, [], column, "twice")


@rule
def order_empty_id(draw: st.DrawFn, net: Net) -> Hit:
    row = order_target(draw, net)
    row["id"] = ""
    return Hit(ORD, [row], "id", "empty")


@rule
def order_duplicate_id(draw: st.DrawFn, net: Net) -> Hit:
    table = orders_of(net)
    original = order_target(draw, net)
    copy = insert(draw, table, dict(original))
    copy["volume"] = draw(st.sampled_from(VOLUMES))
    later = max(original, copy, key=lambda r: next(i for i, x in enumerate(table.rows) if x is r))
    return Hit(ORD, [later], "id", "duplicate order id")


@rule
def order_imported_with_other_data(draw: st.DrawFn, net: Net) -> Hit:
    old = BASE_ORDER[draw(st.sampled_from(sorted(BASE_ORDER)))]
    row = dict(old)
    column = draw(st.sampled_from(["distributor_id", "ordered_on", "volume", "amount", "buyer"]))
    choices = {
        "distributor_id": [i for i in BASE_IDS if i != old["distributor_id"]],
        "ordered_on": ["2026-09-01", "2026-10-02"],
        "volume": ["1", "-100", "55.2"],
        "amount": ["1", "-130"],
        "buyer": ["self" if old["buyer"] == "retail" else "retail"],
    }
    row[column] = draw(st.sampled_from(choices[column]))
    insert(draw, orders_of(net), row)
    return Hit(ORD, [row], "id", "already imported")


@rule
def order_unknown_distributor(draw: st.DrawFn, net: Net) -> Hit:
    row = order_target(draw, net)
    row["distributor_id"] = draw(GHOSTS)
    return Hit(ORD, [row], "distributor_id", "unknown distributor")


@rule
def order_bad_distributor_id(draw: st.DrawFn, net: Net) -> Hit:
    row = order_target(draw, net)
    row["distributor_id"] = draw(st.sampled_from(["", f"R{draw(st.sampled_from(CONTROL))}1"]))
    return Hit(ORD, [row], "distributor_id", "empty" if not row["distributor_id"] else "control character")


@rule
def order_bad_date(draw: st.DrawFn, net: Net) -> Hit:
    row = order_target(draw, net)
    row["ordered_on"] = draw(st.sampled_from(["", " ", *BAD_DATES]))
    return Hit(ORD, [row], "ordered_on", "ISO date")


@rule
def order_bad_volume(draw: st.DrawFn, net: Net) -> Hit:
    row = order_target(draw, net)
    row["volume"] = draw(st.sampled_from(["", *BAD_NUMBERS]))
    return Hit(ORD, [row], "volume", "decimal")


@rule
def order_bad_amount(draw: st.DrawFn, net: Net) -> Hit:
    row = order_target(draw, net)
    row["amount"] = draw(st.sampled_from(BAD_NUMBERS))
    return Hit(ORD, [row], "amount", "decimal")


@rule
def order_unknown_buyer(draw: st.DrawFn, net: Net) -> Hit:
    row = order_target(draw, net)
    row["buyer"] = draw(st.sampled_from(BAD_BUYERS))
    return Hit(ORD, [row], "buyer", "retail or self")


@rule
def order_wrong_field_count(draw: st.DrawFn, net: Net) -> Hit:
    row = order_target(draw, net)
    if draw(st.booleans()):
        row[EXTRA] = draw(PLAIN.filter(str.strip))
    else:
        row[SHORT] = str(draw(st.integers(1, len(ORDER_HEADER) - 1)))
    return Hit(ORD, [row], None, "fields")


@st.composite
def one_rule_broken(draw: st.DrawFn, name: str | None = None) -> Broken:
    """Valid new rows (in any tolerated form) with one rule of contract section 1 (the given one,
    or any) broken in one place: exactly that problem, at that place."""
    net = draw(fresh())
    if name is None:
        name = draw(st.sampled_from(sorted(RULES)))
    hit = RULES[name](draw, net)
    form = {
        "quote_all": draw(st.booleans()),
        "newline": draw(st.sampled_from(["\n", "\r\n"])),
        "bom": draw(st.booleans()),
    }
    files, encoded = files_of(net, **form)
    rows = net.tables()[hit.file].rows
    lines = tuple(encoded[hit.file].lines[next(i for i, x in enumerate(rows) if x is r)] for r in hit.rows)
    expect = Expect(hit.file, lines or (1,), hit.column, hit.fragment, hit.names, hit.total)
    return Broken(files, expect, f"rule {name} ({form})")


# ---------------------------------------------------------------- byte-level damage


@st.composite
def truncated(draw: st.DrawFn) -> Broken:
    """A file cut short: inside a quoted field or mid-row (always invalid), or anywhere (maybe not)."""
    net = draw(fresh(PLAIN))
    mode = draw(st.sampled_from(["inside quotes", "mid-row", "anywhere"]))
    quote_all = mode == "inside quotes" or draw(st.booleans())
    files, encoded = files_of(net, quote_all=quote_all, newline=draw(st.sampled_from(["\n", "\r\n"])))
    name = draw(st.sampled_from([n for n, e in encoded.items() if e.lines]))
    enc = encoded[name]
    r = draw(st.integers(0, len(enc.lines) - 1))
    spans = enc.spans[r]
    if mode == "inside quotes":  # after at least one character of a quoted field, before its end
        start, end = draw(st.sampled_from([(a, b) for a, b in spans if b - a > 2]))
        cut = draw(st.integers(start + 2, end - 1))
    elif mode == "mid-row":  # at least one byte into the row, before the last separator
        cut = draw(st.integers(spans[0][0] + 1, spans[-1][0] - 1))
    else:
        cut = draw(st.integers(1, len(enc.data) - 1))
    files[name] = enc.data[:cut]
    # a cut anywhere may leave a valid file, or orphans (orders or recruits of rows left out)
    expect = Expect("", certain=False) if mode == "anywhere" else Expect(name, (enc.lines[r],))
    return Broken(files, expect, f"{name} cut {mode} at byte {cut} of {len(enc.data)}")


LATIN_NAMES = ["Zoë", "Müller", "Señor", "Straße", "Ødegaard", "Ångström", "José", "Ça va"]
CP1252_NAMES = ["Œuvre", "“Ann”", "€uro", "Dvorák\u2019s", "naïve"]
BAD_BYTES = [
    b"\xff",
    b"\xfe",
    b"\xc3",
    b"\xc0\xaf",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\x80",
    b"\xe2\x82",
]


@st.composite
def wrong_encoding(draw: st.DrawFn) -> Broken:
    net = draw(fresh(ASCII, prefixes=("N", "n-")))
    kind = draw(st.sampled_from(["latin-1", "cp1252", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "bytes"]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    if kind in ("latin-1", "cp1252"):  # names with letters outside ASCII, the whole file in that codec
        names = LATIN_NAMES if kind == "latin-1" else CP1252_NAMES
        renamed = draw(st.lists(st.sampled_from(net.dists.rows), min_size=1, unique_by=id))
        for row in renamed:
            row["name"] = draw(st.sampled_from(names))
        files, encoded = files_of(net, newline=newline)
        enc = encoded[DIST]
        files[DIST] = enc.data.decode("utf-8").encode(kind)
        lines = tuple(enc.lines[net.dists.rows.index(row)] for row in renamed)
        return Broken(files, Expect(DIST, lines, None, "UTF-8"), f"{DIST} in {kind}")
    files, encoded = files_of(net, newline=newline, bom=draw(st.booleans()))
    name = draw(st.sampled_from(sorted(files)))
    if kind != "bytes":  # the whole file in UTF-16 or -32 (a BOM of theirs or none)
        text = files[name].decode("utf-8-sig")
        files[name] = text.encode(kind)
        return Broken(files, Expect(name, (1,)), f"{name} in {kind}")
    data = files[name]
    bad = draw(st.sampled_from(BAD_BYTES))
    at = draw(st.integers(0, len(data) - 1))
    files[name] = data[:at] + bad + data[at:]
    return Broken(files, Expect(name, (line_of(data, at),)), f"{name}: {bad!r} at byte {at}")


@st.composite
def unbalanced_quotes(draw: st.DrawFn) -> Broken:
    """One field of a file without quotes gets a quote that leaves it malformed."""
    net = draw(fresh(PLAIN))
    name = draw(st.sampled_from([n for n, t in net.tables().items() if t.rows]))
    table = net.tables()[name]
    r = draw(st.integers(0, len(table.rows) - 1))
    column = draw(st.sampled_from(table.header))
    value = table.rows[r][column]
    how = draw(st.sampled_from(["opened", "text after the closing quote", "escaped closing quote"]))
    junk = draw(st.text(alphabet="xZ9 é", min_size=1, max_size=4))
    broken = {
        "opened": f'"{value}',
        "text after the closing quote": f'"{value}"{junk}',
        "escaped closing quote": f'"{value}""',
    }[how]
    files, encoded = files_of(net, newline=draw(st.sampled_from(["\n", "\r\n"])))
    enc = encoded[name]
    index = table.header.index(column)
    start, end = enc.spans[r][index]
    files[name] = enc.data[:start] + broken.encode() + enc.data[end:]
    expect = Expect(name, (enc.lines[r],), None, "malformed CSV")
    return Broken(files, expect, f"{name} line {enc.lines[r]} [{column}] {how}: {broken!r}")


@st.composite
def huge_field(draw: st.DrawFn) -> Broken:
    """One field of megabytes (the reader's limit is a million characters)."""
    net = draw(fresh(PLAIN))
    name = draw(st.sampled_from([n for n, t in net.tables().items() if t.rows]))
    table = net.tables()[name]
    row = draw(st.sampled_from(table.rows))
    column = draw(st.sampled_from(table.header))
    char = draw(st.sampled_from(["x", "é", "新", ",", '"', "\n"]))
    width = len(cell(char, False).encode()) - (2 if char in ',"\n' else 0)
    size = draw(st.integers(MAX_FIELD + 1, 6_000_000 // max(1, width)))
    row[column] = char * size
    files, encoded = files_of(net, quote_all=draw(st.booleans()))
    line = encoded[name].lines[table.rows.index(row)]
    expect = Expect(name, (line,), None, "field limit")
    return Broken(files, expect, f"{name} line {line} [{column}]: {size} x {char!r}")


@st.composite
def damaged_header(draw: st.DrawFn) -> Broken:
    net = draw(fresh(PLAIN))
    name = draw(st.sampled_from([n for n, t in net.tables().items() if t.rows]))
    table = net.tables()[name]
    required = ["id", "sponsor_id"] if name == DIST else ["id", "distributor_id", "ordered_on", "volume"]
    kind = draw(
        st.sampled_from(
            [
                "no header", "empty", "misspelled column", "repeated column", "header row again",
                "double BOM", "UTF-16 BOM on UTF-8", "BOM before a column", "CR line ends", "lone CR",
            ]
        )
    )  # fmt: skip
    if kind == "lone CR" and len(table.rows) < 2:
        kind = "CR line ends"
    files, encoded = files_of(net)
    enc = encoded[name]
    expect = Expect(name, (1,))
    if kind == "no header":
        files[name] = encode(table, header=False).data
        expect = Expect(name, (1,), None, "missing")
    elif kind == "empty":
        files[name] = draw(
            st.sampled_from([b"", b"\n", b"\n\n", b"   \n", b"\r\n", codecs.BOM_UTF8, b" , ,\n"])
        )
        expect = Expect(name, (1,), None, "empty")
    elif kind == "misspelled column":
        column = draw(st.sampled_from(required))
        spelled = draw(
            st.sampled_from([f"{column}s", f"_{column}", f"{column}#", column[:-1], f"{column} no"])
        )
        table.header[table.header.index(column)] = spelled
        files[name] = encode(table).data
        expect = Expect(name, (1,), column, "missing")
    elif kind == "repeated column":
        column = draw(st.sampled_from(table.header))
        table.header.append(draw(st.sampled_from([column, column.upper(), f"{column} "])))
        files[name] = encode(table).data
        expect = Expect(name, (1,), column, "twice")
    elif kind == "header row again":
        r = draw(st.integers(0, len(table.rows)))
        table.rows.insert(r, dict(zip(table.header, table.header, strict=True)))
        enc = encode(table)
        files[name] = enc.data
        expect = Expect(name, (enc.lines[r],))
    elif kind == "double BOM":
        files[name] = codecs.BOM_UTF8 * 2 + enc.data
        expect = Expect(name, (1,), "id", "missing")
    elif kind == "UTF-16 BOM on UTF-8":
        files[name] = draw(st.sampled_from([codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE])) + enc.data
    elif kind == "BOM before a column":  # not the first: a BOM there is the file's, tolerated
        column = draw(st.sampled_from([c for c in required if table.header.index(c) > 0]))
        table.header[table.header.index(column)] = "\ufeff" + column
        files[name] = encode(table).data
        expect = Expect(name, (1,), column, "missing")
    elif kind == "CR line ends":
        files[name] = enc.data.replace(b"\n", b"\r")
    else:  # one row ends with a lone CR: the next row is on its line
        r = draw(st.integers(0, len(table.rows) - 2))
        at = enc.spans[r][-1][1]
        files[name] = enc.data[:at] + b"\r" + enc.data[at + 1 :]
        expect = Expect(name, (enc.lines[r],), None, "malformed CSV")
    return Broken(files, expect, f"{name}: {kind}")


# ---------------------------------------------------------------- the tests


@soak(3)
@given(broken=truncated())
def test_truncated_files(bench: Bench, broken: Broken) -> None:
    bench.refused(broken)


@soak(4)
@given(broken=wrong_encoding())
def test_wrong_encodings(bench: Bench, broken: Broken) -> None:
    bench.refused(broken)


@soak(3)
@given(broken=unbalanced_quotes())
def test_unbalanced_quotes(bench: Bench, broken: Broken) -> None:
    bench.refused(broken)


@soak(2)
@given(broken=huge_field())
def test_huge_fields(bench: Bench, broken: Broken) -> None:
    bench.refused(broken)


@soak(4)
@given(broken=damaged_header())
def test_damaged_headers_boms_and_line_ends(bench: Bench, broken: Broken) -> None:
    bench.refused(broken)


@pytest.mark.parametrize("rule", sorted(RULES))
@soak(1)
@given(data=st.data())
def test_each_rule_broken(bench: Bench, rule: str, data: st.DataObject) -> None:
    bench.refused(data.draw(one_rule_broken(rule)))


@soak(2)
@given(broken=one_rule_broken())
def test_one_rule_broken(bench: Bench, broken: Broken) -> None:
    bench.refused(broken)


class Many:
    """Files with thousands of problems, and where each is (in the order they are reported)."""

    def __init__(self, files: dict[str, bytes], bad: list[tuple[str, int]]) -> None:
        self.files, self.bad = files, bad

    def __repr__(self) -> str:
        return f"Many({len(self.bad)} problems, {[len(d) for d in self.files.values()]} bytes)"


@st.composite
def thousands(draw: st.DrawFn) -> Many:
    """Thousands of rows with one problem each (of many kinds), among good ones: the files and
    where each problem is."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    n = draw(st.integers(5_000, min(20_000, 5_000 * max(1, REPEATS // 2))))
    dist = ["id,sponsor_id,name,country,joined_on"]
    orders = ["id,distributor_id,ordered_on,volume,buyer", "Q0,R1,2026-10-01,1,"]
    bad: list[tuple[str, int]] = []
    lines: list[bytes] = []
    for i in range(n):
        kind = rng.choice(["good", "sponsor", "date", "country", "fields", "byte", "control", "himself",
                           "volume", "distributor", "ordered_on", "buyer", "duplicate"])  # fmt: skip
        ident = f"M{i}"
        if kind in ("volume", "distributor", "ordered_on", "buyer", "duplicate"):
            row = {
                "id": f"Q{i + 1}",
                "distributor_id": "R1",
                "ordered_on": "2026-10-01",
                "volume": "5",
                "buyer": "",
            }
            row.update(
                {
                    "volume": {"volume": "5,5"},
                    "distributor": {"distributor_id": f"ghost{i}"},
                    "ordered_on": {"ordered_on": "2026-10-32"},
                    "buyer": {"buyer": "friend"},
                    "duplicate": {"id": "Q0"},
                }[kind]
            )
            orders.append(",".join(row.values()))
            bad.append((ORD, len(orders)))
            continue
        row = {"id": ident, "sponsor_id": "R1", "name": "x", "country": "", "joined_on": ""}
        row.update(
            {
                "good": {},
                "sponsor": {"sponsor_id": f"ghost{i}"},
                "date": {"joined_on": "2026-02-30"},
                "country": {"country": "USA"},
                "fields": {"name": "x,y"},
                "byte": {},
                "control": {"id": f"M\x07{i}"},
                "himself": {"sponsor_id": ident},
            }[kind]
        )
        text = ",".join(row.values()).encode()
        lines.append(text.replace(b"x", b"\xe9") if kind == "byte" else text)
        if kind != "good":
            bad.append((DIST, len(lines) + 1))
    files = {DIST: b"\n".join([dist[0].encode(), *lines]) + b"\n", ORD: "\n".join(orders).encode() + b"\n"}
    return Many(files, sorted(bad, key=lambda b: (b[0] != DIST, b[1])))


@soak(1)
@given(case=thousands())
def test_thousands_of_problems_at_once(bench: Bench, case: Many) -> None:
    """Refused whole: the exact count, a hundred of them located and a count of the rest, output
    of bounded size (the JSON form keeps at most a thousand), the database unchanged."""
    tally("bad_csv_inputs")
    proc = bench.feed(case.files)
    said = output_of(proc)
    assert proc.returncode == 2, said
    assert "Traceback" not in proc.stdout + proc.stderr, said
    shown, total = problems_shown(proc.stderr)
    assert total == len(case.bad), said
    assert len(shown) == 100, said
    assert f"... and {len(case.bad) - 100} more problem(s)" in proc.stderr, said
    where = [(p.file, p.line) for p in shown]
    assert set(where) <= set(case.bad), said
    assert where == sorted(where, key=case.bad.index), said
    assert len(proc.stderr) < 40_000, f"{len(proc.stderr)} characters of output"
    assert bench.unchanged(), said

    as_json = bench.feed(case.files, "--json")
    assert as_json.returncode == 2, output_of(as_json)
    assert len(as_json.stdout) < 1_000_000
    doc = json.loads(as_json.stdout)
    assert doc["total"] == len(case.bad)
    assert 100 <= len(doc["problems"]) <= 1_000
    assert {(p["file"], p["line"]) for p in doc["problems"]} <= set(case.bad)
    assert bench.unchanged()
    tally("bad_csv_refused")


@st.composite
def tolerated(draw: st.DrawFn) -> dict[str, bytes]:
    """The network's own rows again, in the forms the contract tolerates: a UTF-8 BOM, LF or
    CRLF, any column order and spelling, extra columns, optional columns left out, any quoting."""

    def form(rows: list[dict[str, str]], header: list[str], optional: list[str]) -> bytes:
        kept = [c for c in header if c not in optional or draw(st.booleans())]
        extra = draw(st.lists(st.sampled_from(["note", "email", "rank", "upline", "Extra 1", "ïd", ""]),
                              unique=True, max_size=3))  # fmt: skip
        columns = draw(st.permutations(kept + extra))
        spelled = [draw(st.sampled_from([c, c.upper(), f" {c} ", c.title()])) for c in columns]
        body = [
            {s: row[c] if c in row else draw(WILD) for s, c in zip(spelled, columns, strict=True)}
            for row in draw(st.permutations(rows))
        ]
        enc = encode(
            Table(spelled, body[: draw(st.integers(0, len(body)))]),
            quote_all=draw(st.booleans()),
            newline=draw(st.sampled_from(["\n", "\r\n"])),
            bom=draw(st.booleans()),
        )
        return enc.data[: -draw(st.integers(0, 1)) or None]  # with the last line end or without

    dists = [dict(zip(DIST_HEADER, r, strict=True)) for r in BASE_DISTRIBUTORS]
    files = {
        DIST: form(dists, DIST_HEADER, ["name", "country", "joined_on"])
        if draw(st.booleans())
        else form(
            [{k: v for k, v in d.items() if not k.startswith("placement")} for d in dists],
            DIST_HEADER[:5],
            [],
        )
    }
    if draw(st.booleans()):
        files[ORD] = form(list(BASE_ORDER.values()), ORDER_HEADER, [])
    return files


@soak(2)
@given(files=tolerated())
def test_tolerated_forms_are_accepted_and_change_nothing(bench: Bench, files: dict[str, bytes]) -> None:
    tally("tolerated_csv_inputs")
    proc = bench.feed(files)
    assert proc.returncode == 0, output_of(proc)
    assert "nothing new" in proc.stdout, output_of(proc)
    assert bench.unchanged()


def test_problems_are_printed_verbatim(bench: Bench) -> None:
    rows = ["id,sponsor_id,name", *(f"V{i},R1,x" for i in range(2, 100)), "V100,R1", "E1,:thumbs_up:,x"]
    files = {DIST: ("\n".join(rows) + "\n").encode()}
    as_json = json.loads(bench.feed(files, "--json").stdout)
    assert [(p["line"], p["reason"]) for p in as_json["problems"]] == [
        (100, "has 2 fields, the header has 3"),
        (101, "sponsor ':thumbs_up:' exists neither in the file nor in the database"),
    ]
    proc = bench.feed(files)
    assert proc.returncode == 2, output_of(proc)
    assert "distributors.csv:100: has 2 fields" in proc.stderr, output_of(proc)
    assert "':thumbs_up:'" in proc.stderr, output_of(proc)
    assert bench.unchanged()


def test_numbers_too_large_to_store_are_refused(
    driver: Driver, cli_env: dict[str, str], tmp_path: Path
) -> None:
    cases = {
        "volume of 30 digits": "O1,Z1,2026-10-01,999999999999999999999999999999,,",
        "amount of 25 digits": "O1,Z1,2026-10-01,1,9999999999999999999999999,",
        "volume of the largest 64-bit integer": "O1,Z1,2026-10-01,922337203685477.5807,,",
    }
    for case, order in cases.items():
        files = {DIST: b"id,sponsor_id\nZ1,\n", ORD: f"{','.join(ORDER_HEADER)}\n{order}\n".encode()}
        before = dump(driver, visible_only=False)
        folder = tmp_path / case.replace(" ", "-")
        folder.mkdir()
        for name, data in files.items():
            (folder / name).write_bytes(data)
        proc = run_cli("import", str(folder), env=cli_env)
        assert "Traceback" not in proc.stderr, f"{case}: {output_of(proc)}"
        assert proc.returncode == 2, f"{case}: {output_of(proc)}"
        assert "orders.csv:2" in proc.stderr, f"{case}: {output_of(proc)}"
        assert dump(driver, visible_only=False) == before, case


def test_the_problems_shown_are_the_first_of_the_file(
    driver: Driver, cli_env: dict[str, str], tmp_path: Path
) -> None:
    rows = ["id,sponsor_id,joined_on", "Z1,,", "G1,ghost,", *(f"M{i},Z1,2026-02-30" for i in range(1_500))]
    folder = tmp_path / "many"
    folder.mkdir()
    (folder / DIST).write_text("\n".join(rows) + "\n", encoding="utf-8")
    proc = run_cli("import", str(folder), env=cli_env)
    assert proc.returncode == 2, output_of(proc)
    shown, total = problems_shown(proc.stderr)
    assert total == 1_501
    assert (shown[0].line, shown[0].column) == (3, "sponsor_id"), output_of(proc)

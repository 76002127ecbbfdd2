"""The validation as it was before the column-wise rewrite, kept verbatim as a test oracle.

tests/unit/test_validate_paths.py checks that graph_service.ingest.validate gives the same rows,
plans and problems (same order, same texts) as this row-by-row implementation.
"""

# ruff: noqa
# mypy: ignore-errors
from __future__ import annotations

import codecs
import csv
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from graph_service.errors import Problem
from graph_service.ingest import csvfile


MAX_PROBLEMS_KEPT = 1_000
MAX_FIELD = 1_000_000  # a field longer than this is a broken file, not data

csv.field_size_limit(MAX_FIELD)


# which problems are kept, and their order, is the product's policy (csvfile.Problems: the first in
# the files); this reference is about which problems are found
Problems = csvfile.Problems


@dataclass(frozen=True)
class Record:
    line: int
    values: dict[str, str]


def control_char(text: str) -> str | None:
    """The first control character (Unicode category Cc) in text, as U+XXXX, or None."""
    for ch in text:
        if unicodedata.category(ch) == "Cc":
            return f"U+{ord(ch):04X}"
    return None


def _decoded_lines(fh: BinaryIO, label: str, problems: Problems) -> Iterator[str]:
    for number, raw in enumerate(fh, start=1):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.add(label, number, None, f"not valid UTF-8 (byte {exc.start + 1} of the line)")
            yield raw.decode("utf-8", errors="replace")


def read_records(
    path: Path,
    label: str,
    *,
    required: tuple[str, ...],
    optional: tuple[str, ...],
    problems: Problems,
) -> Iterator[Record]:
    """Yield one Record per data row holding the known columns; header problems end the file."""
    known = required + optional
    with path.open("rb") as fh:
        reader = csv.reader(_decoded_lines(fh, label, problems), strict=True)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            problems.add(label, 1, None, f"unreadable header: {exc}")
            return
        if header is None or not any(h.strip() for h in header):
            problems.add(label, 1, None, "the file is empty: a header row is needed")
            return
        names = [h.strip().lower() for h in header]
        positions: dict[str, int] = {}
        for index, name in enumerate(names):
            if name in known:
                if name in positions:
                    problems.add(label, 1, name, f"column {name!r} appears twice in the header")
                else:
                    positions[name] = index
        missing = [name for name in required if name not in positions]
        for name in missing:
            problems.add(label, 1, name, f"required column {name!r} is missing")
        if missing or len(positions) != len({n for n in names if n in known}):
            return
        width = len(names)
        last_line = reader.line_num
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                problems.add(label, last_line + 1, None, f"malformed CSV: {exc}")
                return
            start = last_line + 1
            last_line = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            if len(row) != width and not (len(row) > width and not any(v.strip() for v in row[width:])):
                problems.add(label, start, None, f"has {len(row)} fields, the header has {width}")
                continue
            yield Record(start, {name: row[pos] for name, pos in positions.items()})


import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol, TypeVar

from graph_service.fixedpoint import NotADecimal, parse_scaled

DISTRIBUTORS = "distributors.csv"
ORDERS = "orders.csv"
MAX_ID = 64
BUYERS = ("retail", "self")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
T = TypeVar("T")


@dataclass(slots=True)
class DistributorRow:
    line: int
    id: str
    sponsor_id: str | None
    name: str | None
    country: str | None
    joined_on: date | None
    placement_parent_id: str | None
    placement_side: str | None


@dataclass
class OrderColumns:
    """Orders column by column: millions of rows stay compact."""

    lines: list[int] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    distributor_ids: list[str] = field(default_factory=list)
    ordered_on: list[date] = field(default_factory=list)
    volumes: list[int] = field(default_factory=list)
    amounts: list[int | None] = field(default_factory=list)
    buyers: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    def row(self, i: int) -> tuple[str, str, date, int, int | None, str]:
        return (
            self.ids[i],
            self.distributor_ids[i],
            self.ordered_on[i],
            self.volumes[i],
            self.amounts[i],
            self.buyers[i],
        )


@dataclass
class ParsedFolder:
    distributors: list[DistributorRow]
    orders: OrderColumns
    problems: Problems
    has_orders_file: bool


# ---------------------------------------------------------------- field checks


def _check_id(value: str, label: str, line: int, column: str, problems: Problems) -> bool:
    if value == "":
        problems.add(label, line, column, f"{column} is empty")
        return False
    if len(value) > MAX_ID:
        problems.add(label, line, column, f"{column} is longer than {MAX_ID} characters ({len(value)})")
        return False
    bad = control_char(value)
    if bad:
        problems.add(label, line, column, f"{column} contains a control character ({bad})")
        return False
    return True


def _parse_date(value: str, label: str, line: int, column: str, problems: Problems) -> date | None:
    if _DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    problems.add(label, line, column, f"{value!r} is not an ISO date YYYY-MM-DD")
    return None


def _parse_number(value: str, label: str, line: int, column: str, problems: Problems) -> int | None:
    try:
        return parse_scaled(value)
    except NotADecimal as exc:
        problems.add(label, line, column, str(exc))
        return None


# ---------------------------------------------------------------- files


def _parse_distributors(path: Path, problems: Problems) -> list[DistributorRow]:
    rows: list[DistributorRow] = []
    first_line: dict[str, int] = {}
    slot_line: dict[tuple[str, str], int] = {}
    records = read_records(
        path,
        DISTRIBUTORS,
        required=("id", "sponsor_id"),
        optional=("name", "country", "joined_on", "placement_parent_id", "placement_side"),
        problems=problems,
    )
    for rec in records:
        v, line, ok = rec.values, rec.line, True
        ident = v["id"]
        if not _check_id(ident, DISTRIBUTORS, line, "id", problems):
            continue
        if ident in first_line:
            problems.add(
                DISTRIBUTORS, line, "id", f"duplicate id {ident!r} (first on line {first_line[ident]})"
            )
            continue
        first_line[ident] = line
        sponsor = v["sponsor_id"] or None
        if sponsor is not None:
            if sponsor == ident:
                problems.add(DISTRIBUTORS, line, "sponsor_id", f"{ident!r} sponsors himself")
                ok = False
            elif not _check_id(sponsor, DISTRIBUTORS, line, "sponsor_id", problems):
                ok = False
        country = v.get("country", "").strip() or None
        if country is not None:
            if _COUNTRY.match(country):
                country = country.upper()
            else:
                problems.add(DISTRIBUTORS, line, "country", f"{country!r} is not an ISO 3166 alpha-2 code")
                ok = False
        joined_raw = v.get("joined_on", "").strip()
        joined = _parse_date(joined_raw, DISTRIBUTORS, line, "joined_on", problems) if joined_raw else None
        ok = ok and (joined is not None or not joined_raw)
        parent = v.get("placement_parent_id", "") or None
        side = v.get("placement_side", "").strip().upper() or None
        if parent is None and side is not None:
            problems.add(
                DISTRIBUTORS, line, "placement_parent_id", "placement_side is given without a parent"
            )
            ok = False
        elif parent is not None:
            if side not in ("L", "R"):
                shown = v.get("placement_side", "")
                problems.add(DISTRIBUTORS, line, "placement_side", f"{shown!r} is not L or R")
                ok = False
            elif parent == ident:
                problems.add(DISTRIBUTORS, line, "placement_parent_id", f"{ident!r} is placed under himself")
                ok = False
            elif not _check_id(parent, DISTRIBUTORS, line, "placement_parent_id", problems):
                ok = False
            else:
                slot = (parent, side)
                if slot in slot_line:
                    problems.add(
                        DISTRIBUTORS,
                        line,
                        "placement_side",
                        f"placement slot {side} under {parent!r} is taken twice"
                        f" (also line {slot_line[slot]})",
                    )
                    ok = False
                else:
                    slot_line[slot] = line
        if ok:
            name = v.get("name") or None
            rows.append(DistributorRow(line, ident, sponsor, name, country, joined, parent, side))
    return rows


def _parse_orders(path: Path, problems: Problems) -> OrderColumns:
    cols = OrderColumns()
    first_line: dict[str, int] = {}
    dates: dict[str, date | None] = {}  # orders share few distinct dates: parse each once
    records = read_records(
        path,
        ORDERS,
        required=("id", "distributor_id", "ordered_on", "volume"),
        optional=("amount", "buyer"),
        problems=problems,
    )
    for rec in records:
        v, line = rec.values, rec.line
        ident = v["id"]
        if not _check_id(ident, ORDERS, line, "id", problems):
            continue
        if ident in first_line:
            problems.add(
                ORDERS, line, "id", f"duplicate order id {ident!r} (first on line {first_line[ident]})"
            )
            continue
        first_line[ident] = line
        ok = _check_id(v["distributor_id"], ORDERS, line, "distributor_id", problems)
        raw_date = v["ordered_on"].strip()
        if raw_date in dates:
            when = dates[raw_date]
            if when is None:
                problems.add(ORDERS, line, "ordered_on", f"{raw_date!r} is not an ISO date YYYY-MM-DD")
        else:
            when = dates[raw_date] = _parse_date(raw_date, ORDERS, line, "ordered_on", problems)
        volume = _parse_number(v["volume"], ORDERS, line, "volume", problems)
        amount_raw = v.get("amount", "").strip()
        amount = _parse_number(amount_raw, ORDERS, line, "amount", problems) if amount_raw else None
        buyer = v.get("buyer", "").strip().lower() or "retail"
        if buyer not in BUYERS:
            problems.add(ORDERS, line, "buyer", f"{v.get('buyer', '')!r} is not retail or self")
            ok = False
        if not ok or when is None or volume is None or (amount_raw and amount is None):
            continue
        cols.lines.append(line)
        cols.ids.append(ident)
        cols.distributor_ids.append(v["distributor_id"])
        cols.ordered_on.append(when)
        cols.volumes.append(volume)
        cols.amounts.append(amount)
        cols.buyers.append(buyer)
    return cols


def parse_folder(folder: Path) -> ParsedFolder:
    """Read and check both files of a data folder; database checks come in check_against."""
    problems = Problems()
    if not folder.is_dir():
        problems.add(str(folder), None, None, "not a folder")
        return ParsedFolder([], OrderColumns(), problems, False)
    dist_path, order_path = folder / DISTRIBUTORS, folder / ORDERS
    if not dist_path.is_file():
        problems.add(DISTRIBUTORS, None, None, f"required file is missing in {folder}")
        distributors: list[DistributorRow] = []
    else:
        distributors = _parse_distributors(dist_path, problems)
    orders = _parse_orders(order_path, problems) if order_path.is_file() else OrderColumns()
    return ParsedFolder(distributors, orders, problems, order_path.is_file())


# ---------------------------------------------------------------- database checks


@dataclass(frozen=True, slots=True)
class Existing:
    """What the database holds for a distributor that a file mentions."""

    sponsor_id: str | None
    depth: int
    root_id: str
    placement_parent_id: str | None
    placement_side: str | None
    name: str | None
    country: str | None
    joined_on: date | None


class ExistingState(Protocol):
    """Read-only view of the database that validation needs (the import's own transaction)."""

    def distributors(self, ids: Sequence[str]) -> Mapping[str, Existing]: ...

    def slots(self, parent_ids: Sequence[str]) -> Mapping[tuple[str, str], str]:
        """(parent, side) -> the child holding it."""
        ...

    def placement_ancestors(self, ids: Sequence[str]) -> Mapping[str, list[str]]:
        """For each id, its placement parents upwards (nearest first)."""
        ...

    def orders(self, ids: Sequence[str]) -> Mapping[str, tuple[str, str, date, int, int | None, str]]:
        """Existing orders by id, as OrderColumns.row tuples."""
        ...


@dataclass(slots=True)
class NewDistributor:
    id: str
    sponsor_id: str | None
    name: str | None
    country: str | None
    joined_on: date | None
    depth: int
    root_id: str


@dataclass
class ImportPlan:
    new_distributors: list[NewDistributor]  # sponsors before recruits
    placements: list[tuple[str, str, str]]  # (child, parent, side), parents created first
    updates: list[DistributorRow]  # existing distributors whose name/country/joined_on change
    orders: OrderColumns  # only new orders
    unchanged_distributors: int
    unchanged_orders: int
    problems: Problems

    @property
    def changes_anything(self) -> bool:
        return bool(self.new_distributors or self.placements or self.updates or len(self.orders))


def check_against(parsed: ParsedFolder, state: ExistingState) -> ImportPlan:
    problems = parsed.problems
    rows = parsed.distributors
    by_id = {r.id: r for r in rows}
    # every distributor id the files mention
    mentioned: set[str] = set(by_id)
    for r in rows:
        if r.sponsor_id:
            mentioned.add(r.sponsor_id)
        if r.placement_parent_id:
            mentioned.add(r.placement_parent_id)
    mentioned.update(parsed.orders.distributor_ids)
    existing = state.distributors(sorted(mentioned))

    new_rows: list[DistributorRow] = []
    updates: list[DistributorRow] = []
    unchanged = 0
    placement_rows: list[DistributorRow] = []
    for r in rows:
        old = existing.get(r.id)
        if old is None:
            new_rows.append(r)
            if r.sponsor_id is not None and r.sponsor_id not in by_id and r.sponsor_id not in existing:
                problems.add(
                    DISTRIBUTORS,
                    r.line,
                    "sponsor_id",
                    f"sponsor {r.sponsor_id!r} exists neither in the file nor in the database",
                )
            if r.placement_parent_id is not None:
                placement_rows.append(r)
            continue
        if old.sponsor_id != r.sponsor_id:
            problems.add(
                DISTRIBUTORS,
                r.line,
                "sponsor_id",
                f"{r.id!r} already exists with sponsor {old.sponsor_id or '(none: a root)'!r}, "
                f"not {r.sponsor_id or '(none)'!r}; a sponsor cannot change",
            )
            continue
        if r.placement_parent_id is not None:
            if old.placement_parent_id is None:
                placement_rows.append(r)
            elif (old.placement_parent_id, old.placement_side) != (r.placement_parent_id, r.placement_side):
                problems.add(
                    DISTRIBUTORS,
                    r.line,
                    "placement_parent_id",
                    f"{r.id!r} is already placed {old.placement_side} under {old.placement_parent_id!r}; "
                    "a placement cannot change",
                )
        changed = (
            (r.name is not None and r.name != old.name)
            or (r.country is not None and r.country != old.country)
            or (r.joined_on is not None and r.joined_on != old.joined_on)
        )
        if changed:
            updates.append(r)
        elif not (r.placement_parent_id is not None and old.placement_parent_id is None):
            unchanged += 1

    new_distributors = _order_new(new_rows, by_id, existing, problems)
    placements = _check_placements(placement_rows, by_id, existing, state, problems)
    orders, unchanged_orders = _check_orders(parsed.orders, by_id, existing, state, problems)
    return ImportPlan(new_distributors, placements, updates, orders, unchanged, unchanged_orders, problems)


def _order_new(
    new_rows: list[DistributorRow],
    by_id: Mapping[str, DistributorRow],
    existing: Mapping[str, Existing],
    problems: Problems,
) -> list[NewDistributor]:
    """Depth and root for each new distributor, sponsors first; report sponsorship cycles."""
    new_ids = {r.id for r in new_rows}
    resolved: dict[str, tuple[int, str]] = {}
    out: list[NewDistributor] = []
    reported: set[str] = set()
    for start in new_rows:
        if start.id in resolved:
            continue
        # walk up through unresolved new distributors, then resolve the path top-down
        path: list[DistributorRow] = []
        on_path: dict[str, int] = {}
        cur: DistributorRow | None = start
        base: tuple[int, str] | None = None
        while cur is not None:
            if cur.id in on_path:
                cycle = [p.id for p in path[on_path[cur.id] :]]
                if not reported.intersection(cycle):
                    reported.update(cycle)
                    first = min(path[on_path[cur.id] :], key=lambda p: p.line)
                    members = " -> ".join([*cycle, cycle[0]])
                    problems.add(DISTRIBUTORS, first.line, "sponsor_id", f"sponsorship cycle: {members}")
                base = None
                break
            on_path[cur.id] = len(path)
            path.append(cur)
            sponsor = cur.sponsor_id
            if sponsor is None:
                base = (-1, cur.id)  # a root: depth 0, its own root
                break
            if sponsor in resolved:
                base = resolved[sponsor] if resolved[sponsor][1] else None
                break
            if sponsor in new_ids:
                cur = by_id[sponsor]
                continue
            old = existing.get(sponsor)
            base = (old.depth, old.root_id) if old is not None else None
            break
        if base is None:
            for p in path:
                resolved.setdefault(p.id, (-(10**9), ""))  # poisoned: in or below a cycle
            continue
        depth, root = base
        for p in reversed(path):
            depth += 1
            root = p.id if p.sponsor_id is None else root
            resolved[p.id] = (depth, root)
            out.append(NewDistributor(p.id, p.sponsor_id, p.name, p.country, p.joined_on, depth, root))
    out.sort(key=lambda d: d.depth)
    return out


def _check_placements(
    placement_rows: list[DistributorRow],
    by_id: Mapping[str, DistributorRow],
    existing: Mapping[str, Existing],
    state: ExistingState,
    problems: Problems,
) -> list[tuple[str, str, str]]:
    if not placement_rows:
        return []
    parents = sorted({r.placement_parent_id for r in placement_rows if r.placement_parent_id})
    taken = state.slots(parents)
    ok_rows: list[DistributorRow] = []
    for r in placement_rows:
        parent, side = r.placement_parent_id, r.placement_side
        assert parent is not None
        assert side is not None
        if parent not in by_id and parent not in existing:
            problems.add(
                DISTRIBUTORS,
                r.line,
                "placement_parent_id",
                f"placement parent {parent!r} exists neither in the file nor in the database",
            )
            continue
        holder = taken.get((parent, side))
        if holder is not None and holder != r.id:
            problems.add(
                DISTRIBUTORS,
                r.line,
                "placement_side",
                f"placement slot {side} under {parent!r} is already taken by {holder!r}",
            )
            continue
        ok_rows.append(r)
    # cycles: follow new placement links (memoised, linear), then the database's for existing parents
    new_parent = {r.id: r.placement_parent_id for r in ok_rows if r.placement_parent_id}
    line_of = {r.id: r.line for r in ok_rows}
    depth_of: dict[str, int] = {}
    bad: set[str] = set()
    for r in ok_rows:
        path: list[str] = []
        on_path: dict[str, int] = {}
        cur: str | None = r.id
        base: int | None = None
        while cur is not None:
            if cur in depth_of:
                base = depth_of[cur]
                break
            if cur in bad:
                break
            if cur in on_path:
                cycle = path[on_path[cur] :]
                members = " -> ".join([*cycle, cur])
                first = min(cycle, key=line_of.__getitem__)
                problems.add(
                    DISTRIBUTORS, line_of[first], "placement_parent_id", f"placement cycle: {members}"
                )
                break
            on_path[cur] = len(path)
            path.append(cur)
            parent = new_parent[cur]
            if parent in new_parent:
                cur = parent
            else:
                base = 0  # an already placed parent (or a new one without placement): the tree's edge
                break
        if base is None:
            bad.update(path)
            continue
        for node in reversed(path):
            base += 1
            depth_of[node] = base
    # an existing distributor placed now could close a cycle through placements already stored
    joining = [c for c in new_parent if c in existing and c in depth_of]
    if joining:
        tops: dict[str, str] = {}
        for child in joining:
            top = child
            while top in new_parent:
                top = new_parent[top]
            tops[child] = top
        chains = state.placement_ancestors(sorted(set(tops.values())))
        for child in joining:
            above = {tops[child], *chains.get(tops[child], [])}
            if child in above:
                problems.add(
                    DISTRIBUTORS,
                    line_of[child],
                    "placement_parent_id",
                    f"placement cycle: {child!r} would sit below itself",
                )
                depth_of.pop(child)
    good = [(r.id, new_parent[r.id], r.placement_side or "") for r in ok_rows if r.id in depth_of]
    good.sort(key=lambda t: depth_of[t[0]])
    return good


def _check_orders(
    orders: OrderColumns,
    by_id: Mapping[str, DistributorRow],
    existing: Mapping[str, Existing],
    state: ExistingState,
    problems: Problems,
) -> tuple[OrderColumns, int]:
    if not len(orders):
        return orders, 0
    known = state.orders(orders.ids)
    out = OrderColumns()
    unchanged = 0
    for i in range(len(orders)):
        line, dist = orders.lines[i], orders.distributor_ids[i]
        if dist not in by_id and dist not in existing:
            problems.add(ORDERS, line, "distributor_id", f"unknown distributor {dist!r}")
            continue
        old = known.get(orders.ids[i])
        if old is not None:
            row = orders.row(i)
            if row[4] is None:  # no amount given this time: compare the rest
                row = (*row[:4], old[4], row[5])
            if old == row:
                unchanged += 1
            else:
                problems.add(
                    ORDERS,
                    line,
                    "id",
                    f"order {orders.ids[i]!r} was already imported with other data; "
                    "an order cannot change (record a refund instead)",
                )
            continue
        out.lines.append(line)
        out.ids.append(orders.ids[i])
        out.distributor_ids.append(dist)
        out.ordered_on.append(orders.ordered_on[i])
        out.volumes.append(orders.volumes[i])
        out.amounts.append(orders.amounts[i])
        out.buyers.append(orders.buyers[i])
    return out, unchanged


def chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]

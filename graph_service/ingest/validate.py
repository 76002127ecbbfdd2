"""Whole validation of a data folder before anything is written (contract section 1).

`parse_folder` reads both files and checks everything that needs no database; `check_against`
adds what the database knows (existing ids and sponsors, taken placement slots, imported orders)
and turns the result into an ImportPlan: the exact rows to write, in an order that lets each
sponsor be created before its recruits. Any problem means no plan: the caller writes nothing.

Both steps work column by column (see arrays.py): a file is read by csvfile.read_table (a fast
reader when it provably agrees with the exact one), every rule is checked once over whole columns,
and the problems are reported in the order a row-by-row reading would have met them. Sponsor and
placement chains are resolved by pointer doubling; only rows in or below a cycle are walked one by
one, to name the cycle's members.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol, TypeVar, overload

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from graph_service.fixedpoint import NotADecimal, parse_scaled
from graph_service.ingest import arrays as ar
from graph_service.ingest.arrays import Bools, Ints, Objects, StrArray
from graph_service.ingest.csvfile import CsvTable, Pending, Problems, control_char, read_table

DISTRIBUTORS = "distributors.csv"
ORDERS = "orders.csv"
MAX_ID = 64
BUYERS = ("retail", "self")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
T = TypeVar("T")
H = TypeVar("H", bound=Hashable)

__all__ = [
    "DISTRIBUTORS",
    "ORDERS",
    "DistributorColumns",
    "DistributorRow",
    "Existing",
    "ExistingState",
    "ImportPlan",
    "NewDistributor",
    "OrderColumns",
    "ParsedFolder",
    "Problems",
    "check_against",
    "chunks",
    "parse_folder",
]


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


class DistributorColumns(Sequence[DistributorRow]):
    """Checked distributor rows, column by column in file order; rows are built on demand.

    In the string columns an empty string stands for a missing value (None in a DistributorRow).
    """

    def __init__(
        self,
        lines: Ints,
        ids: StrArray,
        sponsors: StrArray,
        names: StrArray,
        countries: Objects,
        joined: Objects,
        parents: StrArray,
        sides: Objects,
    ) -> None:
        self.lines = lines
        self.ids = ids
        self.sponsors = sponsors
        self.names = names
        self.countries = countries
        self.joined = joined
        self.parents = parents
        self.sides = sides

    @classmethod
    def empty(cls) -> DistributorColumns:
        none = ar.strings([])
        nothing = ar.objects([])
        return cls(np.zeros(0, dtype=np.int64), none, none, none, nothing, nothing, none, nothing)

    def __len__(self) -> int:
        return len(self.lines)

    @overload
    def __getitem__(self, index: int) -> DistributorRow: ...

    @overload
    def __getitem__(self, index: slice) -> list[DistributorRow]: ...

    def __getitem__(self, index: int | slice) -> DistributorRow | list[DistributorRow]:
        if isinstance(index, slice):
            return self.rows(np.arange(len(self), dtype=np.int64)[index])
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self.rows(np.array([index], dtype=np.int64))[0]

    def __iter__(self) -> Iterator[DistributorRow]:
        for start in range(0, len(self), ar.ITER_BATCH):
            yield from self.rows(np.arange(start, min(start + ar.ITER_BATCH, len(self)), dtype=np.int64))

    def __repr__(self) -> str:
        return f"DistributorColumns({len(self)} rows)"

    def rows(self, index: Ints) -> list[DistributorRow]:
        """DistributorRow objects for the given rows."""
        return list(
            map(
                DistributorRow,
                self.lines[index].tolist(),
                ar.take(self.ids, index).to_pylist(),
                ar.nulls_for_empty(ar.take(self.sponsors, index)).to_pylist(),
                ar.nulls_for_empty(ar.take(self.names, index)).to_pylist(),
                self.countries[index].tolist(),
                self.joined[index].tolist(),
                ar.nulls_for_empty(ar.take(self.parents, index)).to_pylist(),
                self.sides[index].tolist(),
            )
        )


def _codes(values: Iterable[H]) -> tuple[Ints, list[H]]:
    index: dict[H, int] = {}
    codes = [index.setdefault(v, len(index)) for v in values]
    return np.array(codes, dtype=np.int64), list(index)


class OrderColumns:
    """Orders column by column: compact arrays for millions of rows.

    The list attributes (`ids`, `distributor_ids`, `ordered_on`, `volumes`, `amounts`, `buyers`,
    `lines`) are built on first use and kept; they hold plain Python values (str, datetime.date,
    int in ten-thousandths, int or None).
    """

    __hash__ = None  # type: ignore[assignment]

    def __init__(
        self,
        lines: Sequence[int] = (),
        ids: Sequence[str] = (),
        distributor_ids: Sequence[str] = (),
        ordered_on: Sequence[date] = (),
        volumes: Sequence[int] = (),
        amounts: Sequence[int | None] = (),
        buyers: Sequence[str] = (),
    ) -> None:
        day_codes, days = _codes(ordered_on)
        buyer_codes, buyer_values = _codes(buyers)
        self._set(
            np.array(lines, dtype=np.int64),
            ar.strings(list(ids)),
            ar.strings(list(distributor_ids)),
            day_codes,
            days,
            ar.int_column(volumes),
            ar.int_column(amounts),
            np.array([a is not None for a in amounts], dtype=np.bool_),
            buyer_codes,
            buyer_values,
        )

    def _set(
        self,
        lines: Ints,
        ids: StrArray,
        distributor_ids: StrArray,
        day_codes: Ints,
        days: list[Any],
        volumes: np.ndarray[Any, Any],
        amounts: np.ndarray[Any, Any],
        has_amount: Bools,
        buyer_codes: Ints,
        buyer_values: list[Any],
    ) -> None:
        self._lines = lines
        self._ids = ids
        self._distributor_ids = distributor_ids
        self._day_codes = day_codes
        self._days = days
        self._volumes = volumes
        self._amounts = amounts
        self._has_amount = has_amount
        self._buyer_codes = buyer_codes
        self._buyer_values = buyer_values

    @classmethod
    def _of(cls, *columns: Any) -> OrderColumns:
        out = cls.__new__(cls)
        out._set(*columns)
        return out

    def take(self, rows: Ints) -> OrderColumns:
        """The given rows, in that order."""
        return self._of(
            self._lines[rows],
            ar.take(self._ids, rows),
            ar.take(self._distributor_ids, rows),
            self._day_codes[rows],
            self._days,
            self._volumes[rows],
            self._amounts[rows],
            self._has_amount[rows],
            self._buyer_codes[rows],
            self._buyer_values,
        )

    def __len__(self) -> int:
        return len(self._lines)

    def __repr__(self) -> str:
        return f"OrderColumns({len(self)} orders)"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OrderColumns):
            return NotImplemented
        return self.lines == other.lines and list(self.rows()) == list(other.rows())

    @cached_property
    def lines(self) -> list[int]:
        out: list[int] = self._lines.tolist()
        return out

    @cached_property
    def ids(self) -> list[str]:
        out: list[str] = self._ids.to_pylist()
        return out

    @cached_property
    def distributor_ids(self) -> list[str]:
        out: list[str] = self._distributor_ids.to_pylist()
        return out

    @cached_property
    def ordered_on(self) -> list[date]:
        out: list[date] = ar.objects(self._days)[self._day_codes].tolist()
        return out

    @cached_property
    def volumes(self) -> list[int]:
        out: list[int] = self._volumes.tolist()
        return out

    @cached_property
    def amounts(self) -> list[int | None]:
        values = self._amounts.astype(np.object_)
        values[~self._has_amount] = None
        out: list[int | None] = values.tolist()
        return out

    @cached_property
    def buyers(self) -> list[str]:
        out: list[str] = ar.objects(self._buyer_values)[self._buyer_codes].tolist()
        return out

    def arrow(self) -> Any:
        """The orders as a pyarrow table: id, distributor_id, ordered_on (date), period (YYYY-MM),
        volume, amount (null when missing), buyer; in row order (for the bulk importer's files)."""
        days = pa.array(list(self._days), type=pa.date32())
        day_codes = pa.array(self._day_codes, type=pa.int64())
        months = pa.array([d.isoformat()[:7] for d in self._days], type=pa.string())
        return pa.table(
            {
                "id": self._ids,
                "distributor_id": self._distributor_ids,
                "ordered_on": days.take(day_codes),
                "period": months.take(day_codes),
                "volume": pa.array(self._volumes, type=pa.int64()),
                "amount": pa.array(self._amounts, type=pa.int64(), mask=~self._has_amount),
                "buyer": pa.array(list(self._buyer_values), type=pa.string()).take(
                    pa.array(self._buyer_codes, type=pa.int64())
                ),
            }
        )

    def periods(self) -> list[str]:
        """The distinct periods (YYYY-MM) of the orders, sorted."""
        return sorted({self._days[c].isoformat()[:7] for c in np.unique(self._day_codes).tolist()})

    def row(self, i: int) -> tuple[str, str, date, int, int | None, str]:
        return (
            self._ids[i].as_py(),
            self._distributor_ids[i].as_py(),
            self._days[int(self._day_codes[i])],
            int(self._volumes[i]),
            int(self._amounts[i]) if self._has_amount[i] else None,
            self._buyer_values[int(self._buyer_codes[i])],
        )

    def rows(self) -> Iterator[tuple[str, str, date, int, int | None, str]]:
        """Every row as a row() tuple (uses the list attributes)."""
        return zip(
            self.ids,
            self.distributor_ids,
            self.ordered_on,
            self.volumes,
            self.amounts,
            self.buyers,
            strict=True,
        )


@dataclass
class ParsedFolder:
    distributors: DistributorColumns
    orders: OrderColumns
    problems: Problems
    has_orders_file: bool
    readers: dict[str, str] = field(default_factory=dict)  # file -> "fast" or "exact"


# ---------------------------------------------------------------- rules (one value at a time)


def _id_problem(value: str, column: str) -> str | None:
    if value == "":
        return f"{column} is empty"
    if len(value) > MAX_ID:
        return f"{column} is longer than {MAX_ID} characters ({len(value)})"
    bad = control_char(value)
    if bad:
        return f"{column} contains a control character ({bad})"
    return None


def _date_rule(text: str) -> tuple[date | None, str | None]:
    if _DATE.match(text):
        try:
            return date.fromisoformat(text), None
        except ValueError:
            pass
    return None, f"{text!r} is not an ISO date YYYY-MM-DD"


def _number_rule(text: str) -> tuple[int | None, str | None]:
    try:
        return parse_scaled(text), None
    except NotADecimal as exc:
        return None, str(exc)


def _country_rule(raw: str) -> tuple[str | None, str | None]:
    country = raw.strip()
    if not country:
        return None, None
    if _COUNTRY.match(country):
        return country.upper(), None
    return None, f"{country!r} is not an ISO 3166 alpha-2 code"


def _joined_rule(raw: str) -> tuple[date | None, str | None]:
    text = raw.strip()
    return _date_rule(text) if text else (None, None)


def _ordered_on_rule(raw: str) -> tuple[date | None, str | None]:
    return _date_rule(raw.strip())


def _amount_rule(raw: str) -> tuple[int | None, str | None]:
    text = raw.strip()
    return _number_rule(text) if text else (None, None)


def _buyer_rule(raw: str) -> tuple[str | None, str | None]:
    buyer = raw.strip().lower() or "retail"
    return (buyer, None) if buyer in BUYERS else (None, f"{raw!r} is not retail or self")


def _side_rule(raw: str) -> str | None:
    return raw.strip().upper() or None


# ---------------------------------------------------------------- files


class _Found:
    """Problems of one file's values, placed in reading order (phase 1 of their record)."""

    def __init__(self, lines: Ints) -> None:
        self.lines: list[int] = lines.tolist()
        self.pending: list[Pending] = []

    def add(self, rows: Iterable[int], order: int, column: str, reasons: Iterable[str]) -> None:
        for row, reason in zip(rows, reasons, strict=True):
            line = self.lines[row]
            self.pending.append(Pending(line, 1, order, line, column, reason))

    def ids(self, values: StrArray, rows: Bools, order: int, column: str) -> Ints:
        """Check the id rule in the given rows; report and return the rows that break it."""
        suspects = np.flatnonzero(rows & ar.id_suspects(values, MAX_ID))
        bad: list[int] = []
        reasons: list[str] = []
        for row, value in zip(suspects.tolist(), ar.take(values, suspects).to_pylist(), strict=True):
            reason = _id_problem(value, column)
            if reason is not None:
                bad.append(row)
                reasons.append(reason)
        self.add(bad, order, column, reasons)
        return np.array(bad, dtype=np.int64)

    def duplicates(
        self, values: StrArray, live: Bools, order: int, reason: Callable[[str, int], str]
    ) -> Ints:
        """Rows (among live ones) whose value an earlier live row has; report them."""
        rows = np.flatnonzero(live)
        first = ar.first_rows_of(values if len(rows) == len(live) else ar.take(values, rows))
        again = np.flatnonzero(first != np.arange(len(rows)))
        dup_rows, first_rows = rows[again], rows[first[again]]
        self.add(
            dup_rows.tolist(),
            order,
            "id",
            (
                reason(v, self.lines[f])
                for v, f in zip(ar.take(values, dup_rows).to_pylist(), first_rows.tolist(), strict=True)
            ),
        )
        out: Ints = dup_rows
        return out

    def values(
        self,
        values: StrArray,
        rule: Callable[[str], tuple[Any, str | None]],
        live: Bools,
        order: int,
        column: str,
        rows: Ints | None = None,
    ) -> tuple[Ints, list[Any], Ints]:
        """Apply rule once per distinct value of the given rows (default: all; values are theirs):
        (code of each of those rows, parsed value per code, the live rows that break the rule)."""
        codes, results = ar.per_value(values, rule)
        where = rows if rows is not None else np.arange(len(codes), dtype=np.int64)
        bad_code = np.array([r[1] is not None for r in results], dtype=np.bool_)
        hit = np.flatnonzero(live[where] & bad_code[codes]) if len(codes) else np.zeros(0, dtype=np.int64)
        bad: Ints = where[hit]
        self.add(bad.tolist(), order, column, (results[c][1] or "" for c in codes[hit].tolist()))
        return codes, [r[0] for r in results], bad

    def numbers(
        self,
        values: StrArray,
        rule: Callable[[str], tuple[int | None, str | None]],
        live: Bools,
        order: int,
        column: str,
    ) -> tuple[np.ndarray[Any, Any], Bools, Ints]:
        """A decimal column: (value of each row in ten-thousandths, 0 when none; whether the row has
        one; the live rows that break the rule). Plain decimals are read column-wise, the rest by rule."""
        plain, scaled = ar.plain_decimals(values)
        rest = np.flatnonzero(~plain)
        if not len(rest):
            return scaled, plain, np.zeros(0, dtype=np.int64)
        codes, parsed, bad = self.values(ar.take(values, rest), rule, live, order, column, rows=rest)
        has = plain.copy()
        has[rest] = np.array([p is not None for p in parsed], dtype=np.bool_)[codes]
        others = ar.int_column(parsed)[codes]
        out: np.ndarray[Any, Any] = scaled.astype(np.object_) if others.dtype == np.object_ else scaled
        out[rest] = others
        return out, has, bad


def _column(table: CsvTable, name: str) -> StrArray:
    values = table.get(name)
    return values if values is not None else ar.empty_strings(len(table))


def _check_distributors(table: CsvTable) -> tuple[DistributorColumns, list[Pending]]:
    n = len(table)
    found = _Found(table.lines)
    ident = table.columns["id"]
    live = np.ones(n, dtype=np.bool_)
    live[found.ids(ident, live, 0, "id")] = False
    live[found.duplicates(ident, live, 1, lambda v, line: f"duplicate id {v!r} (first on line {line})")] = (
        False
    )
    ok = live.copy()

    sponsor = table.columns["sponsor_id"]
    has_sponsor = ar.lengths(sponsor) > 0
    himself = np.flatnonzero(live & has_sponsor & ar.equal(sponsor, ident))
    found.add(
        himself.tolist(),
        2,
        "sponsor_id",
        (f"{v!r} sponsors himself" for v in ar.take(ident, himself).to_pylist()),
    )
    ok[himself] = False
    others = live & has_sponsor
    others[himself] = False
    ok[found.ids(sponsor, others, 2, "sponsor_id")] = False

    codes, parsed, bad = found.values(_column(table, "country"), _country_rule, live, 3, "country")
    countries = ar.objects(parsed)[codes]
    ok[bad] = False
    codes, parsed_dates, bad = found.values(_column(table, "joined_on"), _joined_rule, live, 4, "joined_on")
    joined = ar.objects(parsed_dates)[codes]
    ok[bad] = False

    parent = _column(table, "placement_parent_id")
    has_parent = ar.lengths(parent) > 0
    side_raw = _column(table, "placement_side")
    side_codes, side_values = ar.per_value(side_raw, _side_rule)
    sides = ar.objects(side_values)[side_codes]
    side_given = np.array([s is not None for s in side_values], dtype=np.bool_)[side_codes]
    side_lr = np.array([s in ("L", "R") for s in side_values], dtype=np.bool_)[side_codes]
    orphan = np.flatnonzero(live & ~has_parent & side_given)
    found.add(
        orphan.tolist(), 5, "placement_parent_id", ["placement_side is given without a parent"] * len(orphan)
    )
    not_lr = np.flatnonzero(live & has_parent & ~side_lr)
    found.add(
        not_lr.tolist(),
        5,
        "placement_side",
        (f"{v!r} is not L or R" for v in ar.take(side_raw, not_lr).to_pylist()),
    )
    placed = live & has_parent & side_lr
    under_himself = np.flatnonzero(placed & ar.equal(parent, ident))
    found.add(
        under_himself.tolist(),
        5,
        "placement_parent_id",
        (f"{v!r} is placed under himself" for v in ar.take(ident, under_himself).to_pylist()),
    )
    placed[under_himself] = False
    bad_parent = found.ids(parent, placed, 5, "placement_parent_id")
    placed[bad_parent] = False
    slot_rows = np.flatnonzero(placed)
    parent_codes, _ = ar.codes_of(ar.take(parent, slot_rows))
    slot_keys = parent_codes * 2 + (sides[slot_rows] == "R").astype(np.int64)
    first = ar.first_rows(slot_keys)
    again = np.flatnonzero(first != np.arange(len(slot_rows)))
    taken, first_taken = slot_rows[again], slot_rows[first[again]]
    found.add(
        taken.tolist(),
        5,
        "placement_side",
        (
            f"placement slot {s} under {p!r} is taken twice (also line {found.lines[f]})"
            for s, p, f in zip(
                sides[taken].tolist(), ar.take(parent, taken).to_pylist(), first_taken.tolist(), strict=True
            )
        ),
    )
    for refused in (orphan, not_lr, under_himself, bad_parent, taken):
        ok[refused] = False

    keep = np.flatnonzero(ok)
    rows = DistributorColumns(
        table.lines[keep],
        ar.take(ident, keep),
        ar.take(sponsor, keep),
        ar.take(_column(table, "name"), keep),
        countries[keep],
        joined[keep],
        ar.take(parent, keep),
        sides[keep],
    )
    return rows, found.pending


def _check_orders_file(table: CsvTable) -> tuple[OrderColumns, list[Pending]]:
    n = len(table)
    found = _Found(table.lines)
    ident = table.columns["id"]
    live = np.ones(n, dtype=np.bool_)
    live[found.ids(ident, live, 0, "id")] = False
    live[
        found.duplicates(ident, live, 1, lambda v, line: f"duplicate order id {v!r} (first on line {line})")
    ] = False
    ok = live.copy()
    dist = table.columns["distributor_id"]
    ok[found.ids(dist, live, 2, "distributor_id")] = False
    day_codes, days, bad = found.values(table.columns["ordered_on"], _ordered_on_rule, live, 3, "ordered_on")
    ok[bad] = False
    volumes, _, bad = found.numbers(table.columns["volume"], _number_rule, live, 4, "volume")
    ok[bad] = False
    amounts, has_amount, bad = found.numbers(_column(table, "amount"), _amount_rule, live, 5, "amount")
    ok[bad] = False
    buyer_codes, buyers, bad = found.values(_column(table, "buyer"), _buyer_rule, live, 6, "buyer")
    ok[bad] = False

    keep = np.flatnonzero(ok)
    orders = OrderColumns._of(
        table.lines[keep],
        ar.take(ident, keep),
        ar.take(dist, keep),
        day_codes[keep],
        days,
        volumes[keep],
        amounts[keep],
        has_amount[keep],
        buyer_codes[keep],
        buyers,
    )
    return orders, found.pending


def parse_folder(folder: Path, *, exact: bool = False) -> ParsedFolder:
    """Read and check both files of a data folder; database checks come in check_against.

    `exact` makes the csv-module reader read every file (the fast reader gives the same result).
    """
    problems = Problems()
    if not folder.is_dir():
        problems.add(str(folder), None, None, "not a folder")
        return ParsedFolder(DistributorColumns.empty(), OrderColumns(), problems, False)
    dist_path, order_path = folder / DISTRIBUTORS, folder / ORDERS
    readers: dict[str, str] = {}
    distributors = DistributorColumns.empty()
    if not dist_path.is_file():
        problems.add(DISTRIBUTORS, None, None, f"required file is missing in {folder}")
    else:
        table = read_table(
            dist_path,
            required=("id", "sponsor_id"),
            optional=("name", "country", "joined_on", "placement_parent_id", "placement_side"),
            exact=exact,
        )
        readers[DISTRIBUTORS] = table.reader
        pending = table.pending
        if table.usable:
            distributors, more = _check_distributors(table)
            pending = pending + more
        problems.add_pending(DISTRIBUTORS, pending)
    orders = OrderColumns()
    if order_path.is_file():
        table = read_table(
            order_path,
            required=("id", "distributor_id", "ordered_on", "volume"),
            optional=("amount", "buyer"),
            exact=exact,
        )
        readers[ORDERS] = table.reader
        pending = table.pending
        if table.usable:
            orders, more = _check_orders_file(table)
            pending = pending + more
        problems.add_pending(ORDERS, pending)
    return ParsedFolder(distributors, orders, problems, order_path.is_file(), readers)


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


class _Mentioned:
    """Every distributor id the files mention, hashed once: lookups become integer indexing.

    `codes` gives each id (and the empty string, for a missing sponsor or parent) a code;
    `row_of[code]` is the distributor row with that id (-1: none), `known[code]` whether the
    database has it.
    """

    def __init__(self, rows: DistributorColumns, orders: OrderColumns) -> None:
        parts = [rows.ids, rows.sponsors, rows.parents, orders._distributor_ids]
        chunks = [c for part in parts for c in (part.chunks if isinstance(part, pa.ChunkedArray) else [part])]
        codes, self.values = ar.encode(pa.chunked_array(chunks, type=pa.string()))
        ends = np.cumsum([len(part) for part in parts])
        self.ids, self.sponsors, self.parents, self.orders = np.split(codes, ends[:3])
        self.row_of = np.full(len(self.values) + 1, -1, dtype=np.int64)  # the last code: no id at all
        self.row_of[self.ids] = np.arange(len(self.ids), dtype=np.int64)
        self.known = np.zeros(len(self.values) + 1, dtype=np.bool_)
        self.empty = len(self.values)
        if len(self.values):
            blank = np.flatnonzero(ar.lengths(self.values) == 0)
            if len(blank):
                self.empty = int(blank[0])

    def sorted(self, codes: Ints | None = None) -> StrArray:
        """The distinct ids (of the given codes, default all) in code point order, as Python sorts
        strings, without the empty string."""
        values = self.values
        if codes is not None:
            present = np.zeros(len(values) + 1, dtype=np.bool_)
            present[codes] = True
            values = values.take(pa.array(np.flatnonzero(present[:-1]), type=pa.int64()))
        values = values.filter(pc.greater(pc.utf8_length(values), 0))
        return values.take(pc.sort_indices(values))

    def learn(self, existing: Iterable[str]) -> None:
        """Mark the ids the database holds."""
        self.known[:-1] = ar.is_in(self.values, ar.strings(list(existing)))

    def positions(self, codes: Ints, among: Ints) -> Ints:
        """For each code, its index in `among` (codes of distinct ids), -1 when absent."""
        where = np.full(len(self.values) + 1, -1, dtype=np.int64)
        where[among] = np.arange(len(among), dtype=np.int64)
        out: Ints = where[codes]
        return out


def _add_in_row_order(problems: Problems, file: str, found: list[tuple[int, int, str | None, str]]) -> None:
    """found: (row, line, column, reason); at most one per row, added in row order."""
    for _, line, column, reason in sorted(found, key=lambda f: f[0]):
        problems.add(file, line, column, reason)


def check_against(parsed: ParsedFolder, state: ExistingState) -> ImportPlan:
    problems = parsed.problems
    rows = parsed.distributors
    orders = parsed.orders
    ids = _Mentioned(rows, orders)
    existing = state.distributors(ar.StrSeq(ids.sorted()))
    ids.learn(existing)
    in_db = ids.known[ids.ids]

    found: list[tuple[int, int, str | None, str]] = []
    lines: list[int] = rows.lines.tolist()
    sponsor = ids.sponsors
    lost = ~in_db & (sponsor != ids.empty) & (ids.row_of[sponsor] < 0) & ~ids.known[sponsor]
    lost_rows = np.flatnonzero(lost)
    for row, name in zip(lost_rows.tolist(), ar.take(rows.sponsors, lost_rows).to_pylist(), strict=True):
        reason = f"sponsor {name!r} exists neither in the file nor in the database"
        found.append((row, lines[row], "sponsor_id", reason))

    placing = ~in_db & (ids.parents != ids.empty)
    updates: list[DistributorRow] = []
    unchanged = 0
    old_rows = np.flatnonzero(in_db)
    with ar.bulk():
        old_list = rows.rows(old_rows)
    for row, r in zip(old_rows.tolist(), old_list, strict=True):
        old = existing[r.id]
        if old.sponsor_id != r.sponsor_id:
            reason = (
                f"{r.id!r} already exists with sponsor {old.sponsor_id or '(none: a root)'!r}, "
                f"not {r.sponsor_id or '(none)'!r}; a sponsor cannot change"
            )
            found.append((row, r.line, "sponsor_id", reason))
            continue
        if r.placement_parent_id is not None:
            if old.placement_parent_id is None:
                placing[row] = True
            elif (old.placement_parent_id, old.placement_side) != (r.placement_parent_id, r.placement_side):
                reason = (
                    f"{r.id!r} is already placed {old.placement_side} under {old.placement_parent_id!r}; "
                    "a placement cannot change"
                )
                found.append((row, r.line, "placement_parent_id", reason))
        changed = (
            (r.name is not None and r.name != old.name)
            or (r.country is not None and r.country != old.country)
            or (r.joined_on is not None and r.joined_on != old.joined_on)
        )
        if changed:
            updates.append(r)
        elif not (r.placement_parent_id is not None and old.placement_parent_id is None):
            unchanged += 1
    _add_in_row_order(problems, DISTRIBUTORS, found)

    new_distributors = _order_new(rows, ids, np.flatnonzero(~in_db), existing, problems)
    placements = _check_placements(rows, ids, np.flatnonzero(placing), state, problems)
    new_orders, unchanged_orders = _check_orders(orders, ids, state, problems)
    return ImportPlan(
        new_distributors, placements, updates, new_orders, unchanged, unchanged_orders, problems
    )


def _order_new(
    rows: DistributorColumns,
    ids: _Mentioned,
    new: Ints,
    existing: Mapping[str, Existing],
    problems: Problems,
) -> list[NewDistributor]:
    """Depth and root for each new distributor, sponsors first; report sponsorship cycles.

    The order is the one of a walk up from each new row in file order, resolving paths top-down
    and then sorting by depth: within a depth, the distributor whose subtree holds the earliest
    row comes first.
    """
    m = len(new)
    up = ids.positions(ids.sponsors[new], ids.ids[new])  # the sponsor among the new rows, or -1
    top, links, cyclic = ar.chains(up)
    # where each chain of new rows starts: a root, below an existing distributor, or nowhere
    base = np.zeros(m, dtype=np.int64)
    based = np.zeros(m, dtype=np.bool_)
    roots = np.empty(m, dtype=np.object_)
    tops = np.flatnonzero(up < 0)
    for t, ident, sponsor in zip(
        tops.tolist(),
        ar.take(rows.ids, new[tops]).to_pylist(),
        ar.take(rows.sponsors, new[tops]).to_pylist(),
        strict=True,
    ):
        if sponsor == "":
            base[t], roots[t], based[t] = -1, ident, True
        else:
            old = existing.get(sponsor)
            if old is not None:
                base[t], roots[t], based[t] = old.depth, old.root_id, True
    if cyclic.any():
        _report_sponsor_cycles(rows, new[cyclic], problems)
    good = np.flatnonzero(~cyclic & based[top])
    depth = base[top] + links + 1
    first_row = ar.subtree_min(up, np.where(cyclic, 0, links), np.arange(m, dtype=np.int64))
    order = good[np.lexsort((first_row[good], depth[good]))]
    picked = new[order]
    with ar.bulk():
        return list(
            map(
                NewDistributor,
                ar.take(rows.ids, picked).to_pylist(),
                ar.nulls_for_empty(ar.take(rows.sponsors, picked)).to_pylist(),
                ar.nulls_for_empty(ar.take(rows.names, picked)).to_pylist(),
                rows.countries[picked].tolist(),
                rows.joined[picked].tolist(),
                depth[order].tolist(),
                roots[top[order]].tolist(),
            )
        )


def _report_sponsor_cycles(rows: DistributorColumns, picked: Ints, problems: Problems) -> None:
    """Walk up from each new row in or below a cycle (file order); name each cycle once."""
    names = ar.take(rows.ids, picked).to_pylist()
    sponsor_of = dict(zip(names, ar.take(rows.sponsors, picked).to_pylist(), strict=True))
    line_of = dict(zip(names, rows.lines[picked].tolist(), strict=True))
    resolved: set[str] = set()
    reported: set[str] = set()
    for start in names:
        if start in resolved:
            continue
        path: list[str] = []
        on_path: dict[str, int] = {}
        cur = start
        while True:
            if cur in on_path:
                cycle = path[on_path[cur] :]
                if not reported.intersection(cycle):
                    reported.update(cycle)
                    first = min(cycle, key=line_of.__getitem__)
                    members = " -> ".join([*cycle, cycle[0]])
                    problems.add(DISTRIBUTORS, line_of[first], "sponsor_id", f"sponsorship cycle: {members}")
                break
            on_path[cur] = len(path)
            path.append(cur)
            cur = sponsor_of[cur]  # in or below a cycle, every sponsor is a new row too
            if cur in resolved:
                break
        resolved.update(path)


def _check_placements(
    rows: DistributorColumns,
    ids: _Mentioned,
    placing: Ints,
    state: ExistingState,
    problems: Problems,
) -> list[tuple[str, str, str]]:
    if not len(placing):
        return []
    lines: list[int] = rows.lines.tolist()
    parent_codes = ids.parents[placing]
    taken = state.slots(ar.StrSeq(ids.sorted(parent_codes)))
    found: list[tuple[int, int, str | None, str]] = []
    seen = (ids.row_of[parent_codes] >= 0) | ids.known[parent_codes]
    for k in np.flatnonzero(~seen).tolist():
        parent = rows.parents[int(placing[k])].as_py()
        reason = f"placement parent {parent!r} exists neither in the file nor in the database"
        found.append((k, lines[placing[k]], "placement_parent_id", reason))
    ok = seen.copy()
    if taken:
        holding = np.zeros(len(ids.values) + 1, dtype=np.bool_)
        holding[:-1] = ar.is_in(ids.values, ar.strings(sorted({p for p, _ in taken})))
        check = np.flatnonzero(seen & holding[parent_codes])
        for k, child, parent, side in zip(
            check.tolist(),
            ar.take(rows.ids, placing[check]).to_pylist(),
            ar.take(rows.parents, placing[check]).to_pylist(),
            rows.sides[placing[check]].tolist(),
            strict=True,
        ):
            holder = taken.get((parent, side))
            if holder is not None and holder != child:
                reason = f"placement slot {side} under {parent!r} is already taken by {holder!r}"
                found.append((k, lines[placing[k]], "placement_side", reason))
                ok[k] = False
    _add_in_row_order(problems, DISTRIBUTORS, found)

    # cycles: follow the new placement links, then the database's for existing parents
    placed = placing[ok]
    up = ids.positions(ids.parents[placed], ids.ids[placed])
    top, links, cyclic = ar.chains(up)
    if cyclic.any():
        _report_placement_cycles(rows, placed[cyclic], problems)
    dropped = np.zeros(len(placed), dtype=np.bool_)
    joining = np.flatnonzero(ids.known[ids.ids[placed]] & ~cyclic)
    if len(joining):
        tops = ar.take(rows.parents, placed[top[joining]]).to_pylist()  # the first parent not placed now
        chains = state.placement_ancestors(ar.StrSeq(ar.strings(sorted(set(tops)))))
        children = ar.take(rows.ids, placed[joining]).to_pylist()
        for k, child, above_top in zip(joining.tolist(), children, tops, strict=True):
            if child == above_top or child in chains.get(above_top, []):
                problems.add(
                    DISTRIBUTORS,
                    lines[placed[k]],
                    "placement_parent_id",
                    f"placement cycle: {child!r} would sit below itself",
                )
                dropped[k] = True
    good = np.flatnonzero(~cyclic & ~dropped)
    good = placed[good[np.argsort(links[good], kind="stable")]]
    columns = (
        ar.take(rows.ids, good).to_pylist(),
        ar.take(rows.parents, good).to_pylist(),
        [s or "" for s in rows.sides[good].tolist()],
    )
    with ar.bulk():
        return list(zip(*columns, strict=True))


def _report_placement_cycles(rows: DistributorColumns, cyclic: Ints, problems: Problems) -> None:
    """Walk up from each placed row in or below a cycle (file order); report each cycle met."""
    names = ar.take(rows.ids, cyclic).to_pylist()
    parent_of = dict(zip(names, ar.take(rows.parents, cyclic).to_pylist(), strict=True))
    line_of = dict(zip(names, rows.lines[cyclic].tolist(), strict=True))
    bad: set[str] = set()
    for start in names:
        path: list[str] = []
        on_path: dict[str, int] = {}
        cur = start
        while cur not in bad:
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
            cur = parent_of[cur]  # in or below a cycle, every parent is placed now too
        bad.update(path)


def _check_orders(
    orders: OrderColumns, ids: _Mentioned, state: ExistingState, problems: Problems
) -> tuple[OrderColumns, int]:
    if not len(orders):
        return orders, 0
    imported = state.orders(ar.StrSeq(orders._ids))
    lost = (ids.row_of[ids.orders] < 0) & ~ids.known[ids.orders]
    found: list[tuple[int, int, str | None, str]] = []
    lines: list[int] = orders._lines.tolist()
    lost_rows = np.flatnonzero(lost)
    names = ar.take(orders._distributor_ids, lost_rows).to_pylist()
    for i, d in zip(lost_rows.tolist(), names, strict=True):
        found.append((i, lines[i], "distributor_id", f"unknown distributor {d!r}"))
    keep = ~lost
    unchanged = 0
    if imported:
        again = np.flatnonzero(keep & ar.is_in(orders._ids, ar.strings(list(imported))))
        for i, row in zip(again.tolist(), orders.take(again).rows(), strict=True):
            old = imported[row[0]]
            if row[4] is None:  # no amount given this time: compare the rest
                row = (*row[:4], old[4], row[5])
            if old == row:
                unchanged += 1
            else:
                reason = (
                    f"order {row[0]!r} was already imported with other data; "
                    "an order cannot change (record a refund instead)"
                )
                found.append((i, lines[i], "id", reason))
        keep[again] = False
    _add_in_row_order(problems, ORDERS, found)
    return (orders if keep.all() else orders.take(np.flatnonzero(keep))), unchanged


def chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]

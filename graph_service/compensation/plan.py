"""Compensation plans: the TOML file of contract section 5 as an exact, validated model.

Every number is kept as a `Decimal` read from the file's own digits (tomllib's `parse_float`), so
`0.1` is exactly one tenth and the engine can compute payouts without float drift. Everything
wrong with a plan is reported at once, each problem located by the TOML key path (in
`Problem.column`, e.g. `ranks[2].gv`) and the line of the file where that key (or its table) is.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails, PydanticCustomError

from graph_service.errors import InvalidInput, Problem

__all__ = [
    "Binary",
    "LoadedPlan",
    "Matrix",
    "Plan",
    "Rank",
    "Unilevel",
    "describe",
    "load_plan",
    "parse_plan",
]

Loc = tuple[str | int, ...]


def _exact_number(value: object) -> Decimal:
    """A finite number as an exact Decimal; true/false and strings are refused, not coerced."""
    if isinstance(value, bool):
        raise PydanticCustomError("number_type", "expected a number, not true/false")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):  # plans built in code; TOML floats already arrive as Decimal
        value = Decimal(str(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise PydanticCustomError(
                "number_finite", "expected a finite number, not {value}", {"value": value}
            )
        return value
    raise PydanticCustomError("number_type", "expected a number, not {kind}", {"kind": _kind(value)})


def _whole_number(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError("int_type", "expected a whole number, not {kind}", {"kind": _kind(value)})
    return value


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "expected a string, not {kind}", {"kind": _kind(value)})
    if not value.strip():
        raise PydanticCustomError("string_empty", "must not be empty")
    return value


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, (int, Decimal, float)):
        return f"the number {value}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__


Number = Annotated[Decimal, BeforeValidator(_exact_number)]
WholeNumber = Annotated[int, BeforeValidator(_whole_number)]
Name = Annotated[str, BeforeValidator(_text)]
Rate = Annotated[Number, Field(ge=0, le=1)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Unilevel(_Section):
    rates: Annotated[list[Rate], Field(min_length=1)]
    """`rates[k-1]` is the share of a distributor's PV paid to the k-th upline."""
    compression: Literal["dynamic", "none"] = "dynamic"


class Binary(_Section):
    pair_unit: Annotated[Number, Field(gt=0)]
    pair_rate: Rate
    cap: Annotated[Number, Field(ge=0)] | None = None
    max_carry: Annotated[Number, Field(ge=0)] | None = None


class Matrix(_Section):
    width: Annotated[WholeNumber, Field(ge=1)]
    rates: Annotated[list[Rate], Field(min_length=1)]


class Rank(_Section):
    name: Name
    pv: Annotated[Number, Field(ge=0)] = Decimal(0)
    gv: Annotated[Number, Field(ge=0)] = Decimal(0)
    max_leg_share: Annotated[Number, Field(gt=0, le=1)] = Decimal(1)
    active_frontline: Annotated[WholeNumber, Field(ge=0)] = 0
    bonus: Annotated[Number, Field(ge=0)] = Decimal(0)


class Plan(_Section):
    name: Name
    active_pv: Annotated[Number, Field(ge=0)] = Decimal(100)
    money_per_pv: Annotated[Number, Field(gt=0)] = Decimal(1)
    unilevel: Unilevel | None = None
    binary: Binary | None = None
    matrix: Matrix | None = None
    ranks: list[Rank] = Field(default_factory=list)
    """Lowest first; a distributor holds the last rank whose requirements are all met."""

    @model_validator(mode="after")
    def _ranks_in_order(self) -> Plan:
        facts = [(r.name, r.pv, r.gv) for r in self.ranks]
        problems = _rank_problems([(i, *fact) for i, fact in enumerate(facts)])
        if problems:
            raise PydanticCustomError("rank_rules", "; ".join(reason for _, reason in problems))
        return self


@dataclass(frozen=True, slots=True)
class LoadedPlan:
    """A valid plan with the exact text it was read from and that text's SHA-256 (for audits)."""

    plan: Plan
    text: str
    sha256: str


def load_plan(path: Path) -> LoadedPlan:
    """Read and validate a plan file; raises InvalidInput listing every problem found."""
    source = path.name
    try:
        raw = path.read_bytes()  # bytes, so line endings stay exactly as written (and hashed)
    except OSError as exc:
        raise InvalidInput(
            [Problem(source, None, None, f"cannot read the plan file: {exc.strerror}")]
        ) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InvalidInput([Problem(source, line, None, "the plan file is not valid UTF-8")]) from exc
    return parse_plan(text, source=source)


def parse_plan(text: str, source: str = "plan.toml") -> LoadedPlan:
    """Validate plan text; `source` names the file in problems. Raises InvalidInput."""
    lines = _KeyLines.scan(text)
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(_syntax_problems(exc, text, lines, source)) from exc

    problems: list[Problem] = []
    plan: Plan | None = None
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            if error["type"] == "rank_rules":
                continue  # reported below with their own locations
            loc = tuple(error["loc"])
            problems.append(Problem(source, lines.line_of(loc), _path(loc), _reason(error)))
    for loc, reason in _rank_problems(_raw_rank_facts(data.get("ranks"))):
        problems.append(Problem(source, lines.line_of(loc), _path(loc), reason))
    if problems or plan is None:
        raise InvalidInput(problems)
    return LoadedPlan(plan=plan, text=text, sha256=hashlib.sha256(text.encode("utf-8")).hexdigest())


# -- rules across ranks ----------------------------------------------------------------------------

_RankFacts = tuple[int, str | None, Decimal | None, Decimal | None]


def _raw_rank_facts(ranks: object) -> list[_RankFacts]:
    """Name, pv and gv of each rank as far as they are readable, so order and uniqueness are
    checked even when some other key of the plan is wrong."""
    if not isinstance(ranks, list):
        return []
    facts: list[_RankFacts] = []
    for i, rank in enumerate(ranks):
        if not isinstance(rank, dict):
            continue
        name = rank.get("name")
        facts.append(
            (
                i,
                name if isinstance(name, str) and name.strip() else None,
                _readable(rank.get("pv", 0)),
                _readable(rank.get("gv", 0)),
            )
        )
    return facts


def _readable(value: object) -> Decimal | None:
    try:
        number = _exact_number(value)
    except PydanticCustomError:
        return None
    return number if number >= 0 else None


def _rank_problems(facts: Sequence[_RankFacts]) -> list[tuple[Loc, str]]:
    problems: list[tuple[Loc, str]] = []
    seen: dict[str, int] = {}
    for i, name, _, _ in facts:
        if name is None:
            continue
        key = name.strip().casefold()
        if key in seen:
            problems.append(
                (("ranks", i, "name"), f"rank name {name!r} is already used by ranks[{seen[key]}]")
            )
        else:
            seen[key] = i
    for field, slot in (("pv", 2), ("gv", 3)):
        previous: tuple[int, str, Decimal] | None = None
        for fact in facts:
            i, name = fact[0], fact[1] or f"ranks[{fact[0]}]"
            value = fact[slot]
            if not isinstance(value, Decimal):
                continue
            if previous is not None and value < previous[2]:
                problems.append(
                    (
                        ("ranks", i, field),
                        f"ranks are listed lowest first: {name!r} needs {field} {_num(value)}, "
                        f"less than {_num(previous[2])} for {previous[1]!r} listed before it",
                    )
                )
            previous = (i, name, value)
    return problems


# -- locating problems ------------------------------------------------------------------------------


def _path(loc: Loc) -> str | None:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or None


_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]#]+?)\s*\]\]?\s*(?:#.*)?$")
_BARE_OR_QUOTED = r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'"""
_KEY = re.compile(rf"^\s*((?:{_BARE_OR_QUOTED})(?:\s*\.\s*(?:{_BARE_OR_QUOTED}))*)\s*=")


def _key_parts(dotted: str) -> list[str]:
    return [part.strip().strip("\"'") for part in re.findall(_BARE_OR_QUOTED, dotted)]


@dataclass
class _KeyLines:
    """Where each table, array-of-tables element and key of the text is (1-based lines), found by
    a line scan, so problems can point at the line even after tomllib has dropped positions.
    Best effort: keys inside inline tables or multi-line values are located by their table."""

    lines: dict[Loc, int]
    repeated: list[tuple[Loc, int, int]]

    @classmethod
    def scan(cls, text: str) -> _KeyLines:
        found: dict[Loc, int] = {}
        repeated: list[tuple[Loc, int, int]] = []
        counts: dict[Loc, int] = {}
        table: Loc = ()
        depth = 0  # open brackets of a multi-line array: its lines hold no keys
        # TOML ends lines with \n (or \r\n) only; str.splitlines would also split at U+2028 etc.
        for number, line in enumerate(text.split("\n"), start=1):
            if depth == 0 and (header := _HEADER.match(line)):
                parts: Loc = tuple(_key_parts(header.group(2)))
                if header.group(1) == "[[":
                    index = counts.get(parts, 0)
                    counts[parts] = index + 1
                    table = (*parts, index)
                else:
                    table = _resolve(parts, counts)
                    if table in found:
                        repeated.append((table, found[table], number))
                found.setdefault(table, number)
                continue
            if depth == 0 and (key := _KEY.match(line)):
                loc = (*table, *_key_parts(key.group(1)))
                if loc in found:
                    repeated.append((loc, found[loc], number))
                found.setdefault(loc, number)
                line = line[key.end() :]
            depth = max(0, depth + _bracket_balance(line))
        return cls(found, repeated)

    def line_of(self, loc: Loc) -> int | None:
        """The line of `loc`, else of its nearest enclosing key or table (None for the top)."""
        for end in range(len(loc), 0, -1):
            if (line := self.lines.get(loc[:end])) is not None:
                return line
        return None


def _resolve(parts: Loc, counts: dict[Loc, int]) -> Loc:
    """`[ranks.extra]` after `[[ranks]]` belongs to the last ranks element."""
    out: Loc = ()
    for part in parts:
        out = (*out, part)
        if out in counts:
            out = (*out, counts[out] - 1)
    return out


def _bracket_balance(line: str) -> int:
    balance = 0
    quote = ""
    for char in line:
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#":
            break
        elif char in "[{":
            balance += 1
        elif char in "]}":
            balance -= 1
    return balance


_AT = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")


def _syntax_problems(exc: tomllib.TOMLDecodeError, text: str, lines: _KeyLines, source: str) -> list[Problem]:
    message = str(exc)
    match = _AT.search(message)
    reason = message[: match.start()] if match else message
    if reason.startswith("Cannot overwrite") and lines.repeated:
        return [
            Problem(source, again, _path(loc), f"given twice (first on line {first})")
            for loc, first, again in lines.repeated
        ]
    line: int | None = None
    if match and match.group(1):
        line = int(match.group(1))
        reason += f" (column {match.group(2)})"
    elif match:
        line = text.count("\n", 0, len(text.rstrip("\r\n"))) + 1
        reason += " (at the end of the file)"
    return [Problem(source, line, None, f"not valid TOML: {reason}")]


def _reason(error: ErrorDetails) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    given = error.get("input")
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return "unknown key (misspelt?); see plans/README.md for the keys a plan may have"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = {
            "greater_than_equal": f"at least {ctx.get('ge')}",
            "greater_than": f"more than {ctx.get('gt')}",
            "less_than_equal": f"at most {ctx.get('le')}",
            "less_than": f"less than {ctx.get('lt')}",
        }[kind]
        return f"must be {bound}, not {_num(given) if isinstance(given, Decimal) else given}"
    if kind == "too_short":
        return "must not be empty"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}, not {given!r}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a table, not {_kind(given)}"
    if kind == "list_type":
        return f"expected an array, not {_kind(given)}"
    return str(error["msg"])


# -- plain-language description -------------------------------------------------------------------


def _num(value: Decimal | int) -> str:
    text = format(Decimal(value).normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _pct(rate: Decimal) -> str:
    return f"{_num(rate * 100)}%"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _rates(rates: Sequence[Decimal], whom: str) -> str:
    return ", ".join(f"{_pct(rate)} to the {_ordinal(k)} {whom}" for k, rate in enumerate(rates, start=1))


def describe(plan: Plan) -> list[str]:
    """One plain-language line per rule of the plan, in the file's order."""
    return list(_describe(plan))


def _describe(plan: Plan) -> Iterator[str]:
    yield (
        f"Plan {plan.name!r}: a distributor is active in a period with at least {_num(plan.active_pv)} PV; "
        f"one point of volume is worth {_num(plan.money_per_pv)} in money."
    )
    if plan.unilevel is None and plan.binary is None and plan.matrix is None and not plan.ranks:
        yield "It pays nothing: it has no unilevel, binary, matrix or ranks section."
    if (uni := plan.unilevel) is not None:
        skip = (
            "inactive uplines are skipped and use no level (dynamic compression)"
            if uni.compression == "dynamic"
            else "an inactive upline keeps its level and its share is not paid (no compression)"
        )
        yield f"Unilevel: each distributor's PV pays {_rates(uni.rates, 'upline')}; {skip}."
    if (binary := plan.binary) is not None:
        per_pair = binary.pair_unit * binary.pair_rate * plan.money_per_pv
        cap = "no cap" if binary.cap is None else f"at most {_num(binary.cap)} per distributor and period"
        carry = (
            "unpaired volume is carried without limit"
            if binary.max_carry is None
            else f"each side carries at most {_num(binary.max_carry)} PV"
        )
        yield (
            f"Binary: an active distributor makes one pair per {_num(binary.pair_unit)} PV on each side "
            f"and is paid {_pct(binary.pair_rate)} of the pair's PV ({_num(per_pair)} per pair), {cap}; "
            f"{carry} to the next period."
        )
    if (matrix := plan.matrix) is not None:
        yield (
            f"Matrix: at most {matrix.width} members directly under each member; each distributor's PV "
            f"pays {_rates(matrix.rates, 'matrix upline')}, only to active uplines (no compression)."
        )
    for rank in plan.ranks:
        needs = [f"PV at least {_num(rank.pv)}", f"qualifying GV at least {_num(rank.gv)}"]
        if rank.max_leg_share < 1:
            needs[-1] += f" with at most {_pct(rank.max_leg_share)} of it from one leg"
        if rank.active_frontline:
            members = "member" if rank.active_frontline == 1 else "members"
            needs.append(f"at least {rank.active_frontline} active frontline {members}")
        bonus = f"pays a bonus of {_num(rank.bonus)}" if rank.bonus else "pays no bonus"
        yield f"Rank {rank.name!r}: {', '.join(needs)}; {bonus} for the period."

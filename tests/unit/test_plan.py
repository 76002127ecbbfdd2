"""Compensation plan files: exact values, every rule refused with its key path and line, all at once."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from graph_service.compensation.plan import (
    Binary,
    Matrix,
    Plan,
    Rank,
    Unilevel,
    describe,
    load_plan,
    parse_plan,
)
from graph_service.errors import InvalidInput, Problem

REPO = Path(__file__).resolve().parents[2]
D = Decimal

# contract section 5, verbatim
CONTRACT_EXAMPLE = """\
name = "Demo plan"
active_pv = 100          # PV in a period needed to be active (default 100)
money_per_pv = 1.0       # currency per point of volume (default 1.0)

[unilevel]
rates = [0.05, 0.05, 0.04, 0.03, 0.02]   # share of a distributor's PV paid to the k-th upline
compression = "dynamic"                  # or "none"

[binary]
pair_unit = 200          # PV on each side that makes one pair
pair_rate = 0.10         # share of the pair's PV paid
cap = 5000               # at most this much money per distributor and period (optional)
max_carry = 10000        # carry kept per side at most (optional)

[matrix]                 # a forced matrix: limited width, paid to a fixed depth
width = 3                # positions directly under each member
rates = [0.05, 0.05, 0.04, 0.04, 0.03, 0.03, 0.02]   # share of PV paid to the k-th matrix upline

[[ranks]]                # lowest first
name = "Silver"
pv = 100                 # personal PV at least
gv = 2000                # qualifying group volume at least
max_leg_share = 0.6      # at most this share of `gv` may come from one leg (default 1)
active_frontline = 2     # active frontline members at least (default 0)
bonus = 50               # money paid for holding the rank in the period (default 0)
"""


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(InvalidInput) as caught:
        parse_plan(text, source="p.toml")
    assert caught.value.exit_code == 2
    assert caught.value.http_status == 422
    return caught.value.problems


def only_problem(text: str) -> Problem:
    problems = problems_of(text)
    assert len(problems) == 1, problems
    return problems[0]


# -- what a valid plan reads as ----------------------------------------------------------------------


def test_contract_example_parses_to_exactly_its_values() -> None:
    plan = parse_plan(CONTRACT_EXAMPLE).plan
    assert plan.name == "Demo plan"
    assert plan.active_pv == D("100")
    assert plan.money_per_pv == D("1.0")
    assert plan.unilevel is not None
    assert plan.unilevel.rates == [D("0.05"), D("0.05"), D("0.04"), D("0.03"), D("0.02")]
    assert plan.unilevel.compression == "dynamic"
    assert plan.binary is not None
    assert (plan.binary.pair_unit, plan.binary.pair_rate) == (D(200), D("0.10"))
    assert (plan.binary.cap, plan.binary.max_carry) == (D(5000), D(10000))
    assert plan.matrix is not None
    assert plan.matrix.width == 3
    assert plan.matrix.rates == [D(x) for x in ("0.05", "0.05", "0.04", "0.04", "0.03", "0.03", "0.02")]
    [silver] = plan.ranks
    assert silver.name == "Silver"
    assert (silver.pv, silver.gv, silver.max_leg_share) == (D(100), D(2000), D("0.6"))
    assert (silver.active_frontline, silver.bonus) == (2, D(50))


def test_numbers_are_exact_decimals_not_floats() -> None:
    plan = parse_plan('name = "x"\nmoney_per_pv = 0.1\n[unilevel]\nrates = [0.1, 0.2, 0.3]\n').plan
    assert isinstance(plan.money_per_pv, Decimal)
    assert plan.money_per_pv == D("0.1")
    assert plan.unilevel is not None
    assert sum(plan.unilevel.rates) * 10 == D("6")  # exactly; with floats 0.1 + 0.2 + 0.3 != 0.6
    assert all(isinstance(r, Decimal) for r in plan.unilevel.rates)


def test_a_plan_with_only_a_name_is_valid_and_takes_the_defaults() -> None:
    plan = parse_plan('name = "Nothing"\n').plan
    assert plan.active_pv == D(100)
    assert plan.money_per_pv == D(1)
    assert (plan.unilevel, plan.binary, plan.matrix, plan.ranks) == (None, None, None, [])
    lines = describe(plan)
    assert len(lines) == 2
    assert "pays nothing" in lines[1]


def test_section_and_rank_defaults() -> None:
    text = (
        'name = "x"\n[unilevel]\nrates = [0.1]\n[binary]\npair_unit = 100\npair_rate = 0.1\n'
        '[[ranks]]\nname = "Starter"\n'
    )
    plan = parse_plan(text).plan
    assert plan.unilevel is not None
    assert plan.unilevel.compression == "dynamic"
    assert plan.binary is not None
    assert (plan.binary.cap, plan.binary.max_carry) == (None, None)
    [rank] = plan.ranks
    assert (rank.pv, rank.gv, rank.max_leg_share, rank.active_frontline, rank.bonus) == (0, 0, 1, 0, 0)


@pytest.mark.parametrize("name", ["unilevel.toml", "binary.toml", "hybrid.toml"])
def test_each_shipped_plan_loads(name: str) -> None:
    loaded = load_plan(REPO / "plans" / name)
    plan = loaded.plan
    assert plan.name
    sections = [plan.unilevel, plan.binary, plan.matrix]
    assert any(s is not None for s in sections)
    # one line for the top, one per section, one per rank
    assert len(describe(plan)) == 1 + sum(s is not None for s in sections) + len(plan.ranks)


def test_the_hybrid_plan_has_every_section() -> None:
    plan = load_plan(REPO / "plans" / "hybrid.toml").plan
    assert plan.unilevel
    assert plan.binary
    assert plan.matrix
    assert len(plan.ranks) >= 3
    assert any(rank.bonus > 0 for rank in plan.ranks)


def test_every_key_of_the_model_is_documented() -> None:
    readme = (REPO / "plans" / "README.md").read_text()
    for section in (Plan, Unilevel, Binary, Matrix, Rank):
        for key in section.model_fields:
            written = (f"`{key}`", f"`[{key}]`", f"`[[{key}]]`")
            assert any(w in readme for w in written), (section.__name__, key)


# -- the text and its hash ------------------------------------------------------------------------------


def test_hash_is_of_the_exact_text() -> None:
    text = '# a comment\nname = "Hash me"   \n\n'
    loaded = parse_plan(text)
    assert loaded.text == text
    assert loaded.sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert parse_plan(text + " ").sha256 != loaded.sha256


def test_load_keeps_line_endings_and_non_ascii_exactly(tmp_path: Path) -> None:
    raw = 'name = "Pl\u00e4n \u2014 \u00e9t\u00e9"\r\nactive_pv = 50\r\n'.encode()
    path = tmp_path / "crlf.toml"
    path.write_bytes(raw)
    loaded = load_plan(path)
    assert loaded.text.encode("utf-8") == raw
    assert loaded.sha256 == hashlib.sha256(raw).hexdigest()
    assert loaded.plan.name == "Pl\u00e4n \u2014 \u00e9t\u00e9"


def test_load_names_the_file_in_problems(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('name = "x"\nactive_pv = -1\n')
    with pytest.raises(InvalidInput) as caught:
        load_plan(path)
    assert caught.value.problems == [Problem("mine.toml", 2, "active_pv", "must be at least 0, not -1")]


def test_missing_or_undecodable_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_plan(tmp_path / "absent.toml")
    assert caught.value.problems[0].file == "absent.toml"
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'name = "ok"\nother = "\xe9"\n')
    with pytest.raises(InvalidInput) as caught:
        load_plan(path)
    assert caught.value.problems[0].line == 2
    assert "UTF-8" in caught.value.problems[0].reason


# -- each rule broken once -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column", "line", "words"),
    [
        ("active_pv = 10\n", "name", None, "missing"),
        ('name = ""\n', "name", 1, "empty"),
        ('name = "   "\n', "name", 1, "empty"),
        ("name = 5\n", "name", 1, "string"),
        ('name = "x"\nbonus_pool = 1\n', "bonus_pool", 2, "unknown key"),
        ('name = "x"\n[unilevel]\nrates = [0.1]\ncompresion = "none"\n', "unilevel.compresion", 4, "unknown"),
        ('name = "x"\n[[ranks]]\nname = "A"\nbouns = 5\n', "ranks[0].bouns", 4, "unknown key"),
        ('name = "x"\n[bonus]\nrate = 1\n', "bonus", 2, "unknown key"),
        ('name = "x"\nactive_pv = "100"\n', "active_pv", 2, "number"),
        ('name = "x"\nactive_pv = true\n', "active_pv", 2, "true/false"),
        ('name = "x"\n[binary]\npair_unit = false\npair_rate = 0.1\n', "binary.pair_unit", 3, "true/false"),
        ('name = "x"\n[unilevel]\nrates = [0.1, true]\n', "unilevel.rates[1]", 3, "true/false"),
        ('name = "x"\nactive_pv = nan\n', "active_pv", 2, "finite"),
        ('name = "x"\nmoney_per_pv = inf\n', "money_per_pv", 2, "finite"),
        ('name = "x"\nactive_pv = -1\n', "active_pv", 2, "at least 0"),
        ('name = "x"\nmoney_per_pv = 0\n', "money_per_pv", 2, "more than 0"),
        ('name = "x"\n[unilevel]\nrates = [0.1, 1.5]\n', "unilevel.rates[1]", 3, "at most 1"),
        ('name = "x"\n[unilevel]\nrates = [-0.01]\n', "unilevel.rates[0]", 3, "at least 0"),
        ('name = "x"\n[unilevel]\nrates = []\n', "unilevel.rates", 3, "empty"),
        ('name = "x"\n[unilevel]\nrates = 0.1\n', "unilevel.rates", 3, "array"),
        ('name = "x"\n[unilevel]\ncompression = "dynamic"\n', "unilevel.rates", 2, "missing"),
        (
            'name = "x"\n[unilevel]\nrates = [0.1]\ncompression = "full"\n',
            "unilevel.compression",
            4,
            "'none'",
        ),
        ('name = "x"\nunilevel = 3\n', "unilevel", 2, "table"),
        ('name = "x"\n[binary]\npair_unit = 0\npair_rate = 0.1\n', "binary.pair_unit", 3, "more than 0"),
        ('name = "x"\n[binary]\npair_unit = 100\npair_rate = 1.01\n', "binary.pair_rate", 4, "at most 1"),
        ('name = "x"\n[binary]\npair_unit = 100\n', "binary.pair_rate", 2, "missing"),
        ('name = "x"\n[binary]\npair_unit = 1\npair_rate = 0.1\ncap = -5\n', "binary.cap", 5, "at least 0"),
        ('name = "x"\n[binary]\npair_unit = 1\npair_rate = 0\nmax_carry = -1\n', "binary.max_carry", 5, "0"),
        ('name = "x"\n[matrix]\nwidth = 0\nrates = [0.1]\n', "matrix.width", 3, "at least 1"),
        ('name = "x"\n[matrix]\nwidth = 2.0\nrates = [0.1]\n', "matrix.width", 3, "whole number"),
        ('name = "x"\n[matrix]\nwidth = 2\nrates = [0.1, 2]\n', "matrix.rates[1]", 4, "at most 1"),
        ('name = "x"\n[[ranks]]\npv = 1\n', "ranks[0].name", 2, "missing"),
        ('name = "x"\n[[ranks]]\nname = "A"\ngv = -1\n', "ranks[0].gv", 4, "at least 0"),
        (
            'name = "x"\n[[ranks]]\nname = "A"\nmax_leg_share = 0\n',
            "ranks[0].max_leg_share",
            4,
            "more than 0",
        ),
        ('name = "x"\n[[ranks]]\nname = "A"\nmax_leg_share = 1.2\n', "ranks[0].max_leg_share", 4, "most 1"),
        (
            'name = "x"\n[[ranks]]\nname = "A"\nactive_frontline = 1.5\n',
            "ranks[0].active_frontline",
            4,
            "whole",
        ),
        ('name = "x"\n[[ranks]]\nname = "A"\nactive_frontline = -1\n', "ranks[0].active_frontline", 4, "0"),
        ('name = "x"\n[[ranks]]\nname = "A"\nbonus = -50\n', "ranks[0].bonus", 4, "at least 0"),
        ('name = "x"\n[ranks]\nname = "A"\n', "ranks", 2, "array"),
    ],
)
def test_each_rule_broken_once(text: str, column: str, line: int | None, words: str) -> None:
    problem = only_problem(text)
    assert problem.file == "p.toml"
    assert problem.column == column
    assert problem.line == line
    assert words in problem.reason


def test_duplicate_rank_names_are_refused_ignoring_case() -> None:
    text = 'name = "x"\n[[ranks]]\nname = "Gold"\ngv = 10\n[[ranks]]\nname = "gold"\ngv = 20\n'
    problem = only_problem(text)
    assert (problem.line, problem.column) == (6, "ranks[1].name")
    assert "'gold'" in problem.reason
    assert "ranks[0]" in problem.reason


@pytest.mark.parametrize(("key", "low", "high"), [("pv", 50, 100), ("gv", 500, 2000)])
def test_ranks_must_be_listed_lowest_first(key: str, low: int, high: int) -> None:
    text = (
        f'name = "x"\n[[ranks]]\nname = "Silver"\n{key} = {high}\n[[ranks]]\nname = "Bronze"\n{key} = {low}\n'
    )
    problem = only_problem(text)
    assert (problem.line, problem.column) == (7, f"ranks[1].{key}")
    assert "'Bronze'" in problem.reason
    assert "'Silver'" in problem.reason
    assert "lowest first" in problem.reason


def test_equal_requirements_are_in_order() -> None:
    text = 'name = "x"\n[[ranks]]\nname = "A"\npv = 100\n[[ranks]]\nname = "B"\npv = 100\ngv = 10\n'
    assert [r.name for r in parse_plan(text).plan.ranks] == ["A", "B"]


def test_a_rank_left_at_the_default_below_a_higher_one_is_out_of_order() -> None:
    text = 'name = "x"\n[[ranks]]\nname = "A"\ngv = 100\n[[ranks]]\nname = "B"\n'
    problem = only_problem(text)
    assert problem.column == "ranks[1].gv"
    assert problem.line == 5  # the rank's header: the key itself is not written


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('name = "x"\nactive_pv = = 1\n', 2, "column"),
        ('name = "x"\n[binary\n', 2, "not valid TOML"),
        ('name = "x"\ncomment = "never closed\n', 2, "not valid TOML"),
        ('name = "x"\n[binary]\npair_unit = 1\npair_rate = 0\n[binary]\n', 5, "twice"),
    ],
)
def test_toml_syntax_errors_are_located(text: str, line: int, words: str) -> None:
    problem = only_problem(text)
    assert problem.line == line
    assert problem.column is None
    assert words in problem.reason


def test_a_key_given_twice_is_located_by_key() -> None:
    problem = only_problem('name = "x"\nactive_pv = 1\n\nactive_pv = 2\n')
    assert (problem.line, problem.column) == (4, "active_pv")
    assert "first on line 2" in problem.reason


def test_all_problems_are_reported_at_once_in_line_order() -> None:
    text = """\
name = ""
active_pv = true
colour = "blue"

[unilevel]
rates = [0.1, 1.5]
compression = "full"

[binary]
pair_rate = 0.1
cap = -1

[matrix]
width = 0
rates = [0.1]

[[ranks]]
name = "Gold"
gv = 1000

[[ranks]]
name = "Gold"
gv = 500
bonus = "lots"
"""
    found = [(p.line, p.column) for p in problems_of(text)]
    assert found == [
        (1, "name"),
        (2, "active_pv"),
        (3, "colour"),
        (6, "unilevel.rates[1]"),
        (7, "unilevel.compression"),
        (9, "binary.pair_unit"),
        (11, "binary.cap"),
        (14, "matrix.width"),
        (22, "ranks[1].name"),
        (23, "ranks[1].gv"),
        (24, "ranks[1].bonus"),
    ]


def test_keys_are_located_in_dotted_and_quoted_forms() -> None:
    text = 'name = "x"\nbinary.pair_unit = 100\n"binary".pair_rate = 2\n'
    problem = only_problem(text)
    assert (problem.line, problem.column) == (3, "binary.pair_rate")


def test_lines_are_counted_as_toml_counts_them() -> None:
    text = 'name = "a\u2028b\u0085c"  # \u0085\nactive_pv = -1\r\n'
    problem = only_problem(text)
    assert (problem.line, problem.column) == (2, "active_pv")


def test_keys_inside_multiline_arrays_do_not_confuse_the_lines() -> None:
    text = 'name = "x"\n[unilevel]\nrates = [\n  0.1,\n  0.2,\n]\ncompression = "x"\n'
    problem = only_problem(text)
    assert (problem.line, problem.column) == (7, "unilevel.compression")


# -- the model used directly from code ---------------------------------------------------------------


def test_the_model_keeps_its_rules_when_built_in_code() -> None:
    assert Plan(name="x", money_per_pv=0.1).money_per_pv == D("0.1")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="lowest first"):
        Plan.model_validate({"name": "x", "ranks": [{"name": "B", "pv": 2}, {"name": "A", "pv": 1}]})
    with pytest.raises(ValidationError, match="already used"):
        Plan.model_validate({"name": "x", "ranks": [{"name": "A"}, {"name": "A"}]})


def test_describe_speaks_plainly() -> None:
    lines = describe(parse_plan(CONTRACT_EXAMPLE).plan)
    assert len(lines) == 5
    assert "100 PV" in lines[0]
    assert lines[1].startswith("Unilevel: ")
    assert "5% to the 1st upline" in lines[1]
    assert "20 per pair" in lines[2]
    assert "at most 5000" in lines[2]
    assert lines[3].startswith("Matrix: at most 3 members")
    assert lines[4].startswith("Rank 'Silver'")
    assert "60%" in lines[4]
    assert "bonus of 50" in lines[4]


# -- round trip ------------------------------------------------------------------------------------------

rates = st.lists(st.decimals(min_value=0, max_value=1, places=4), min_size=1, max_size=8)
amounts = st.decimals(min_value=0, max_value=10**7, places=2)
names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=20).filter(
    lambda s: bool(s.strip())
)


@st.composite
def plan_dicts(draw: st.DrawFn) -> dict[str, Any]:
    plan: dict[str, Any] = {"name": draw(names)}
    if draw(st.booleans()):
        plan["active_pv"] = draw(amounts)
    if draw(st.booleans()):
        plan["money_per_pv"] = draw(st.decimals(min_value=D("0.01"), max_value=100, places=2))
    if draw(st.booleans()):
        plan["unilevel"] = {"rates": draw(rates)}
        if draw(st.booleans()):
            plan["unilevel"]["compression"] = draw(st.sampled_from(["dynamic", "none"]))
    if draw(st.booleans()):
        binary: dict[str, Any] = {
            "pair_unit": draw(st.decimals(min_value=D("0.01"), max_value=10**5, places=2)),
            "pair_rate": draw(st.decimals(min_value=0, max_value=1, places=4)),
        }
        for key in ("cap", "max_carry"):
            if draw(st.booleans()):
                binary[key] = draw(amounts)
        plan["binary"] = binary
    if draw(st.booleans()):
        plan["matrix"] = {"width": draw(st.integers(1, 20)), "rates": draw(rates)}
    rank_names = draw(st.lists(names, max_size=5, unique_by=lambda s: s.strip().casefold()))
    pvs = sorted(draw(st.lists(amounts, min_size=len(rank_names), max_size=len(rank_names))))
    gvs = sorted(draw(st.lists(amounts, min_size=len(rank_names), max_size=len(rank_names))))
    ranks = []
    for name, pv, gv in zip(rank_names, pvs, gvs, strict=True):
        rank: dict[str, Any] = {"name": name, "pv": pv, "gv": gv}
        if draw(st.booleans()):
            rank["max_leg_share"] = draw(st.decimals(min_value=D("0.01"), max_value=1, places=2))
        if draw(st.booleans()):
            rank["active_frontline"] = draw(st.integers(0, 50))
        if draw(st.booleans()):
            rank["bonus"] = draw(amounts)
        ranks.append(rank)
    if ranks:
        plan["ranks"] = ranks
    return plan


def toml_value(value: object) -> str:
    if isinstance(value, str):
        escaped = (
            f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F else "\\" + c if c in '"\\' else c
            for c in value
        )
        return '"' + "".join(escaped) + '"'
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return str(value)


def to_toml(plan: dict[str, Any]) -> str:
    out = [f"{k} = {toml_value(v)}" for k, v in plan.items() if not isinstance(v, (dict, list))]
    for section in ("unilevel", "binary", "matrix"):
        if section in plan:
            out.append(f"\n[{section}]  # {section}")
            out += [f"{k} = {toml_value(v)}" for k, v in plan[section].items()]
    for rank in plan.get("ranks", []):
        out.append("\n[[ranks]]")
        out += [f"{k} = {toml_value(v)}" for k, v in rank.items()]
    return "\n".join(out) + "\n"


def with_defaults(plan: dict[str, Any]) -> dict[str, Any]:
    """The contract's defaults, written out independently of the model."""
    full: dict[str, Any] = {"active_pv": D(100), "money_per_pv": D(1), "unilevel": None, "binary": None}
    full |= {"matrix": None, "ranks": []} | plan
    if full["unilevel"] is not None:
        full["unilevel"] = {"compression": "dynamic"} | full["unilevel"]
    if full["binary"] is not None:
        full["binary"] = {"cap": None, "max_carry": None} | full["binary"]
    rank_defaults = {"pv": D(0), "gv": D(0), "max_leg_share": D(1), "active_frontline": 0, "bonus": D(0)}
    full["ranks"] = [rank_defaults | rank for rank in full["ranks"]]
    return full


@settings(max_examples=150, deadline=None)
@given(plan_dicts())
def test_round_trip(plan: dict[str, Any]) -> None:
    text = to_toml(plan)
    loaded = parse_plan(text)
    assert loaded.plan.model_dump() == with_defaults(plan)
    assert loaded.text == text
    assert len(describe(loaded.plan)) >= 1

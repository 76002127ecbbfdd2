"""Malformed plan files (issue 9): whatever the bytes, a plan is accepted or refused with located
problems (line within the file, a reason) — never a traceback, never a silently wrong plan."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from graph_service.compensation.plan import LoadedPlan, load_plan, parse_plan
from graph_service.errors import InvalidInput
from tests.reliability.tally import tally

PLANS = sorted((Path(__file__).resolve().parents[2] / "plans").glob("*.toml"))
TEXTS = [p.read_text(encoding="utf-8") for p in PLANS]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(TEXTS))
    lines = text.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        k = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "repeat", "cut", "noise", "swap_value", "truncate"]))
        if action == "drop":
            del lines[k]
        elif action == "repeat":
            lines.insert(k, lines[k])
        elif action == "cut":
            lines[k] = lines[k][: draw(st.integers(0, len(lines[k])))]
        elif action == "noise":
            at = draw(st.integers(0, len(lines[k])))
            lines[k] = lines[k][:at] + draw(st.text(min_size=1, max_size=6)) + lines[k][at:]
        elif action == "swap_value" and "=" in lines[k]:
            key = lines[k].split("=", 1)[0]
            value = draw(st.sampled_from(['"x"', "-1", "1e400", "[]", "[1, 'a']", "true", "{}", "0", "nan"]))
            lines[k] = f"{key}= {value}\n"
        elif action == "truncate":
            lines = lines[:k]
    return "".join(lines)


def _outcome(read: Callable[[], LoadedPlan]) -> LoadedPlan | InvalidInput:
    """The plan, or the refusal; any other exception escapes and fails the test."""
    try:
        return read()
    except InvalidInput as exc:
        return exc


def _check(text: str) -> None:
    outcome = _outcome(lambda: parse_plan(text, source="plan.toml"))
    tally("plan_inputs")
    if isinstance(outcome, InvalidInput):
        tally("plan_refused")
        assert outcome.problems, "refused without a problem"
        count = text.count("\n") + 1
        for problem in outcome.problems:
            assert problem.file == "plan.toml"
            assert problem.reason.strip()
            assert problem.line is None or 1 <= problem.line <= count, (problem, count)
    else:
        assert outcome.text == text
        assert outcome.plan.name.strip()


@settings(max_examples=400, deadline=None)
@given(mutated())
def test_mutated_plans_are_accepted_or_refused_with_located_problems(text: str) -> None:
    _check(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_accepted_or_refused_with_located_problems(text: str) -> None:
    _check(text)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_on_disk(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "plan.toml"
        path.write_bytes(data)
        outcome = _outcome(lambda: load_plan(path))
    tally("plan_inputs")
    if isinstance(outcome, InvalidInput):
        tally("plan_refused")
        assert outcome.problems
        assert all(p.reason.strip() and p.file == "plan.toml" for p in outcome.problems)

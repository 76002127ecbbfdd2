"""Shape of the synthetic organisation: read back through the csv module, no database."""

from __future__ import annotations

import csv
import io
import re
import statistics
from collections import Counter, defaultdict, deque
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from graph_service.ingest.generator import GenerateSummary, generate

DISTRIBUTOR_HEADER = [
    "id",
    "sponsor_id",
    "name",
    "country",
    "joined_on",
    "placement_parent_id",
    "placement_side",
]
ORDER_HEADER = ["id", "distributor_id", "ordered_on", "volume", "amount", "buyer"]
PLAIN_DECIMAL = re.compile(r"^-?\d+(\.\d{1,2})?$")


@dataclass(frozen=True)
class Generated:
    summary: GenerateSummary
    distributors: list[dict[str, str]]
    orders: list[dict[str, str]]


def _read(path: Path, header: list[str]) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, strict=True)
        assert next(reader) == header
        rows = [dict(zip(header, row, strict=True)) for row in reader]
    return rows


def _run(out: Path, distributors: int, months: int, seed: int = 7) -> Generated:
    summary = generate(out, distributors=distributors, months=months, seed=seed)
    return Generated(
        summary,
        _read(out / "distributors.csv", DISTRIBUTOR_HEADER),
        _read(out / "orders.csv", ORDER_HEADER),
    )


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    return _run(tmp_path_factory.mktemp("big"), distributors=20_000, months=3)


def _recruits(rows: list[dict[str, str]]) -> Counter[str]:
    return Counter(r["sponsor_id"] for r in rows if r["sponsor_id"])


def _depths(rows: list[dict[str, str]]) -> dict[str, int]:
    depth: dict[str, int] = {}
    for r in rows:  # sponsors come first, checked in test_sponsors_come_first
        depth[r["id"]] = depth[r["sponsor_id"]] + 1 if r["sponsor_id"] else 0
    return depth


# ---------------------------------------------------------------- files


@pytest.mark.parametrize(
    ("name", "header"), [("distributors.csv", DISTRIBUTOR_HEADER), ("orders.csv", ORDER_HEADER)]
)
def test_files_are_exactly_what_the_csv_module_writes(big: Generated, name: str, header: list[str]) -> None:
    raw = (big.summary.files[0].parent / name).read_bytes()
    assert b"\r" not in raw
    text = raw.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    assert rows[0] == header
    again = io.StringIO()
    csv.writer(again, lineterminator="\n").writerows(rows)
    assert again.getvalue() == text


def test_names_exercise_quoting_and_unicode_while_ids_stay_ascii(big: Generated) -> None:
    names = [r["name"] for r in big.distributors]
    assert any("," in n for n in names)
    assert any('"' in n for n in names)
    assert any(not n.isascii() for n in names)
    assert all(n.strip() == n and n for n in names)
    assert all(r["id"].isascii() for r in big.distributors)
    assert all(re.fullmatch(r"[A-Z]{2}", r["country"]) for r in big.distributors)
    assert len({r["country"] for r in big.distributors}) >= 8


def test_summary_matches_files(big: Generated) -> None:
    s = big.summary
    assert s.distributors == len(big.distributors) == 20_000
    assert s.orders == len(big.orders)
    assert s.roots == sum(1 for r in big.distributors if not r["sponsor_id"])
    assert s.max_depth == max(_depths(big.distributors).values())
    assert s.periods == ["2026-08", "2026-09", "2026-10"]
    assert [f.name for f in s.files] == ["distributors.csv", "orders.csv"]
    assert all(f.is_file() for f in s.files)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    runs = {
        name: generate(tmp_path / name, distributors=3_000, months=2, seed=seed)
        for name, seed in (("a", 11), ("b", 11), ("c", 12))
    }
    for file in ("distributors.csv", "orders.csv"):
        a, b, c = ((tmp_path / name / file).read_bytes() for name in "abc")
        assert a == b
        assert a != c
    assert runs["a"].orders == runs["b"].orders
    assert runs["a"].max_depth == runs["b"].max_depth


# ---------------------------------------------------------------- sponsor tree


def test_ids_unique_and_sponsors_come_first(big: Generated) -> None:
    seen: set[str] = set()
    for r in big.distributors:
        assert r["id"] not in seen
        if r["sponsor_id"]:
            assert r["sponsor_id"] in seen, r
        seen.add(r["id"])
    assert [r["id"] for r in big.distributors[:3]] == ["D1", "D2", "D3"]


def test_sponsor_tree_has_no_cycles(big: Generated) -> None:
    sponsor = {r["id"]: r["sponsor_id"] for r in big.distributors}
    for start in sponsor:
        node, steps = start, 0
        while sponsor[node]:
            node = sponsor[node]
            steps += 1
            assert steps <= len(sponsor)


def test_several_roots(big: Generated) -> None:
    assert 2 <= big.summary.roots <= 20


def test_recruiting_is_heavy_tailed(big: Generated) -> None:
    recruits = _recruits(big.distributors)
    nobody = sum(1 for r in big.distributors if r["id"] not in recruits) / len(big.distributors)
    assert nobody > 0.5
    assert max(recruits.values()) >= 50
    # and it is a tail, not one giant: many sponsor a few
    assert sum(1 for c in recruits.values() if 2 <= c <= 10) > 0.1 * len(big.distributors)


def test_depth_is_realistic_with_long_chains(big: Generated) -> None:
    depths = list(_depths(big.distributors).values())
    assert 3 <= statistics.median(depths) <= 15
    assert max(depths) >= 15


def test_recruits_never_join_before_their_sponsor(big: Generated) -> None:
    joined = {r["id"]: date.fromisoformat(r["joined_on"]) for r in big.distributors}
    for r in big.distributors:
        if r["sponsor_id"]:
            assert joined[r["id"]] >= joined[r["sponsor_id"]], r


def test_joins_spread_over_the_window_and_grow(big: Generated) -> None:
    joined = [date.fromisoformat(r["joined_on"]) for r in big.distributors]
    assert min(joined) >= date(2024, 11, 1)
    assert max(joined) <= date(2026, 10, 31)
    first_year = sum(1 for d in joined if d < date(2025, 11, 1))
    assert 0.05 * len(joined) < first_year < 0.45 * len(joined)
    assert len({(d.year, d.month) for d in joined}) == 24


# ---------------------------------------------------------------- placement


def test_every_member_but_the_roots_is_placed_once_per_slot(big: Generated) -> None:
    slots: set[tuple[str, str]] = set()
    seen: set[str] = set()
    for r in big.distributors:
        if r["sponsor_id"]:
            assert r["placement_side"] in ("L", "R")
            assert r["placement_parent_id"] in seen, r
            slot = (r["placement_parent_id"], r["placement_side"])
            assert slot not in slots
            slots.add(slot)
        else:
            assert r["placement_parent_id"] == r["placement_side"] == ""
        seen.add(r["id"])


def test_placement_stays_in_the_sponsors_subtree(big: Generated) -> None:
    sponsor = {r["id"]: r["sponsor_id"] for r in big.distributors}
    parent = {r["id"]: r["placement_parent_id"] for r in big.distributors}

    def top(node: str, up: dict[str, str]) -> str:
        while up[node]:
            node = up[node]
        return node

    for r in big.distributors:
        if not r["sponsor_id"]:
            continue
        assert top(r["id"], sponsor) == top(r["id"], parent)
        node = r["placement_parent_id"]  # walk up to the sponsor: an ancestor-or-self
        while node != r["sponsor_id"]:
            node = parent[node]
            assert node, f"{r['sponsor_id']} is not above {r['placement_parent_id']}"


def test_placement_is_breadth_first_spillover(tmp_path: Path) -> None:
    """Replays the rule naively: first free slot, breadth-first from the sponsor, left first."""
    rows = _run(tmp_path, distributors=2_500, months=1, seed=3).distributors
    children: dict[str, dict[str, str]] = defaultdict(dict)
    for r in rows:
        if not r["sponsor_id"]:
            continue
        queue = deque([r["sponsor_id"]])
        while True:
            node = queue.popleft()
            free = [side for side in "LR" if side not in children[node]]
            if free:
                break
            queue.extend(children[node][side] for side in "LR")
        assert (r["placement_parent_id"], r["placement_side"]) == (node, free[0]), r
        children[node][free[0]] = r["id"]


# ---------------------------------------------------------------- orders


def test_orders_fall_in_the_window_after_joining(big: Generated) -> None:
    joined = {r["id"]: r["joined_on"] for r in big.distributors}
    for o in big.orders:
        assert "2026-08-01" <= o["ordered_on"] <= "2026-10-31"
        assert o["ordered_on"] >= joined[o["distributor_id"]], o
        date.fromisoformat(o["ordered_on"])
    assert sorted({o["ordered_on"][:7] for o in big.orders}) == big.summary.periods


def test_order_ids_unique_and_buyers_known(big: Generated) -> None:
    ids = [o["id"] for o in big.orders]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"O[1-9]\d*", i) for i in ids)
    buyers = Counter(o["buyer"] for o in big.orders)
    assert set(buyers) == {"retail", "self"}
    assert 0.45 < buyers["retail"] / len(big.orders) < 0.75


def test_about_one_order_per_member_per_month_from_a_minority_of_members(big: Generated) -> None:
    per_member = len(big.orders) / len(big.distributors)
    assert 2.0 <= per_member <= 4.0
    # attrition: in a given month many members buy nothing
    for period in big.summary.periods:
        buyers = {o["distributor_id"] for o in big.orders if o["ordered_on"].startswith(period)}
        assert 0.2 < len(buyers) / len(big.distributors) < 0.8


def test_amounts_and_volumes_are_plain_decimals_in_realistic_ranges(big: Generated) -> None:
    volumes = []
    for o in big.orders:
        assert PLAIN_DECIMAL.match(o["volume"]), o
        assert PLAIN_DECIMAL.match(o["amount"]), o
        volume, amount = float(o["volume"]), float(o["amount"])
        assert (volume < 0) == (amount < 0), o
        if volume >= 10:
            assert 1.19 <= amount / volume <= 1.61, o
        volumes.append(volume)
    purchases = [v for v in volumes if v > 0]
    assert 0.7 < sum(1 for v in purchases if 50 <= v <= 150) / len(purchases) < 0.95
    assert max(purchases) > 500
    assert max(purchases) <= 1000


def test_refunds_are_few_negative_and_follow_a_purchase_at_least_as_big(big: Generated) -> None:
    purchases: dict[str, list[tuple[str, float]]] = defaultdict(list)
    refunds = 0
    for o in big.orders:  # ids run in date order, so a refund's purchase is already seen
        volume = float(o["volume"])
        if volume > 0:
            purchases[o["distributor_id"]].append((o["ordered_on"], volume))
            continue
        refunds += 1
        assert volume < 0
        assert float(o["amount"]) < 0
        assert any(day <= o["ordered_on"] and v >= -volume for day, v in purchases[o["distributor_id"]]), o
    assert 0.01 <= refunds / len(big.orders) <= 0.06


# ---------------------------------------------------------------- edges


@pytest.mark.parametrize("n", [1, 2, 5])
def test_tiny_organisations(tmp_path: Path, n: int) -> None:
    out = tmp_path / "nested" / "out"
    got = _run(out, distributors=n, months=1, seed=1)
    assert got.summary.distributors == len(got.distributors) == n
    assert got.summary.periods == ["2026-10"]
    assert got.summary.roots == 1
    assert got.distributors[0]["sponsor_id"] == ""
    assert all(r["sponsor_id"] and r["placement_parent_id"] for r in got.distributors[1:])
    assert got.summary.max_depth == max(_depths(got.distributors).values())
    assert got.summary.orders == len(got.orders) >= 1  # roots stay active


def test_long_history_widens_the_window(tmp_path: Path) -> None:
    got = _run(tmp_path, distributors=2_000, months=30, seed=5)
    assert len(got.summary.periods) == 30
    assert got.summary.periods[0] == "2024-05"
    assert sorted({o["ordered_on"][:7] for o in got.orders}) == got.summary.periods
    assert min(r["joined_on"] for r in got.distributors) >= "2024-05-01"


def test_end_period_moves_everything(tmp_path: Path) -> None:
    got = generate(tmp_path, distributors=500, months=2, seed=1, end_period="2025-01")
    assert got.periods == ["2024-12", "2025-01"]
    orders = _read(tmp_path / "orders.csv", ORDER_HEADER)
    assert max(o["ordered_on"] for o in orders) <= "2025-01-31"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"distributors": 0, "months": 3, "seed": 1},
        {"distributors": 10, "months": 0, "seed": 1},
        {"distributors": 10, "months": 3, "seed": -1},
        {"distributors": 10, "months": 3, "seed": 1, "end_period": "2026-13"},
        {"distributors": 10, "months": 3, "seed": 1, "end_period": "Oct 2026"},
    ],
)
def test_bad_arguments_are_refused(tmp_path: Path, kwargs: dict[str, int | str]) -> None:
    with pytest.raises(ValueError, match=r"distributors|months|seed|end_period"):
        generate(tmp_path, **kwargs)  # type: ignore[arg-type]
    assert not (tmp_path / "distributors.csv").exists()

"""Personal data by role over real HTTP: a viewer key sees ids and figures but no distributor's
name anywhere, and cannot learn names by searching; analysts and admins see them
(DOWNLINE_NAMES_ROLE, default analyst: graph_service/analytics/privacy.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tests.helpers import serving
from tests.integration.test_api import DISTRIBUTORS, _get, net

__all__ = ["net"]  # the fixture, imported to be used here

NAMES = [row[2] for row in DISTRIBUTORS]


def _everything(api: str, key: str) -> dict[str, Any]:
    """What a key reads about people through every route that lists or shows members."""
    return {
        "stats": _get(api, "/v1/distributors/A1/stats", key).json(),
        "upline": _get(api, "/v1/distributors/A11/upline", key).json(),
        "downline": _get(api, "/v1/distributors/A/downline", key).json(),
        "search": _get(api, "/v1/search", key, q="A").json(),
        "network": _get(api, "/v1/network", key, top=10).json(),
    }


def test_a_viewer_sees_no_names_anywhere(api: str, net: dict[str, str]) -> None:
    for who in ("viewer", "scoped"):
        seen = _everything(api, net[who])
        text = json.dumps(seen)
        assert not [n for n in NAMES if n in text], who
        # the figures and the structure are all there, by id
        assert seen["stats"]["id"] == "A1"
        assert seen["stats"]["name"] is None
        assert [m["id"] for m in seen["upline"]] == (["A1", "A"] if who == "scoped" else ["A1", "A", "R"])
        assert [(m["id"], m["name"]) for m in seen["downline"]["items"]] == [
            ("A1", None),
            ("A11", None),
            ("A2", None),
        ]
        assert {h["id"] for h in seen["search"]} >= {"A", "A1"}
        assert all(t["name"] is None for t in seen["network"]["top"])
    downline = _get(api, "/v1/distributors/R/downline", net["viewer"]).json()
    assert [m["id"] for m in downline["items"]] == ["A", "A1", "A11", "A2", "B", "B1"]


def test_a_viewer_cannot_learn_names_by_searching(api: str, net: dict[str, str]) -> None:
    for prefix in ("Ann", "ann", "Rita", "Bea", "Al"):
        assert _get(api, "/v1/search", net["viewer"], q=prefix).json() == [], prefix
        listed = _get(api, "/v1/distributors/R/downline", net["viewer"], search=prefix).json()
        assert (listed["items"], listed["total"]) == ([], 0), prefix
    # ids still match
    assert [h["id"] for h in _get(api, "/v1/search", net["viewer"], q="B1").json()] == ["B1"]
    found = _get(api, "/v1/distributors/R/downline", net["viewer"], search="a1").json()
    assert [m["id"] for m in found["items"]] == ["A1", "A11"]


def test_analysts_and_admins_see_names(api: str, net: dict[str, str]) -> None:
    for who in ("analyst", "admin"):
        seen = _everything(api, net[who])
        assert seen["stats"]["name"] == "Alma One"
        assert [m["name"] for m in seen["upline"]] == ["Alma One", "Ann Able", "Rita Root"]
        assert {m["id"]: m["name"] for m in seen["downline"]["items"]}["A11"] == "Abel Deep"
        assert _get(api, "/v1/search", net[who], q="Ann").json()[0]["id"] == "A"
        assert {t["id"]: t["name"] for t in seen["network"]["top"]}["R"] == "Rita Root"
        listed = _get(api, "/v1/distributors/R/downline", net[who], search="ann").json()
        assert [m["id"] for m in listed["items"]] == ["A"]
    csv_text = httpx.get(
        f"{api}/v1/distributors/A/downline",
        params={"format": "csv"},
        headers={"Authorization": f"Bearer {net['analyst']}"},
        timeout=30,
    ).text
    assert "Alma One" in csv_text


def test_names_role_viewer_shows_names_to_every_key(
    net: dict[str, str], cli_env: dict[str, str], tmp_path: Path
) -> None:
    with serving({**cli_env, "DOWNLINE_NAMES_ROLE": "viewer"}, tmp_path / "serve.log") as base:
        assert _get(base, "/v1/distributors/A1/stats", net["viewer"]).json()["name"] == "Alma One"
        assert [h["name"] for h in _get(base, "/v1/search", net["viewer"], q="Ann").json()] == ["Ann Able"]

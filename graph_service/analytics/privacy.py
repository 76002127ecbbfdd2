"""Personal data by role: a distributor's name is shown only to keys whose role needs it.

`DOWNLINE_NAMES_ROLE` (default `analyst`) is the least role that sees names: analysts and admins
export lists and contact people; a viewer (management browsing figures, an API client fetching
stats) sees ids, figures and the structure, with `name` null. Hiding covers what can be searched
as well as what is shown: a viewer's search matches ids only, since a search by name would tell
whose name starts with what. Set it to `viewer` when every key may see names.

Ad hoc Cypher and named queries need the analyst role already, so they need no hiding (which is
why `admin` is not an option: analysts could read names through Cypher).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal, TypeVar

import pandas as pd

NamesRole = Literal["viewer", "analyst"]
T = TypeVar("T")

__all__ = ["NamesRole", "hide_names", "shown"]


def hide_names(value: T) -> T:
    """`value` with every distributor name in it set to None: dataclasses of the analytics model
    (a `name` field, and lists or dataclasses inside), JSON documents (dicts and lists), and the
    downline window (its "more" rows keep their "N more" label, which names nobody)."""
    out: Any
    if isinstance(value, pd.DataFrame):
        out = value.copy()
        if "name" in out.columns:
            people = out["kind"] != "more" if "kind" in out.columns else slice(None)
            out.loc[people, "name"] = None
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            current = getattr(value, f.name)
            if f.name == "name":
                changes["name"] = None
            elif isinstance(current, list | tuple) or dataclasses.is_dataclass(current):
                changes[f.name] = hide_names(current)
        out = dataclasses.replace(value, **changes)
    elif isinstance(value, dict):
        out = {k: None if k == "name" else hide_names(v) for k, v in value.items()}
    elif isinstance(value, list):
        out = [hide_names(v) for v in value]
    elif isinstance(value, tuple):
        out = tuple(hide_names(v) for v in value)
    else:
        out = value
    return out  # type: ignore[no-any-return]


def shown(value: T, sees_names: bool) -> T:
    """`value` as a caller sees it: whole when they may see names, else with names hidden."""
    return value if sees_names else hide_names(value)

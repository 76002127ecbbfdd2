"""The dashboard's own plotly.js build (dashboards/plotly): it has every trace type the figures
draw, it is the version of plotly.js the plotly package was made for, and it is built from what
the folder says (pinned versions, the trace list in its banner)."""

from __future__ import annotations

import json
import re

from plotly.offline import get_plotlyjs_version

from dashboards.app import PLOTLY_JS

FOLDER = PLOTLY_JS.parent
ROOT = FOLDER.parent.parent
CORE = {"scatter"}  # plotly.js/lib/core registers scatter itself


def _registered() -> set[str]:
    entry = (FOLDER / "index.js").read_text(encoding="utf-8")
    return set(re.findall(r"require\('plotly\.js/lib/(\w+)'\)", entry)) - {"core"} | CORE


def _drawn() -> set[str]:
    """Trace types the dashboard's Python builds: go.Bar(...), fig.add_scatter(...), ..."""
    found: set[str] = set()
    for path in (ROOT / "dashboards").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= {name.lower() for name in re.findall(r"\bgo\.([A-Z]\w*)\(", text)} - {"figure"}
        found |= set(re.findall(r"\.add_(bar|scatter|heatmap|sankey|sunburst|pie|histogram|box)\(", text))
    return found


def test_every_trace_type_drawn_is_in_the_build() -> None:
    drawn = _drawn()
    assert {"bar", "scatter", "sankey", "sunburst"} <= drawn  # the scan finds what is there
    assert drawn <= _registered(), f"add {sorted(drawn - _registered())} to dashboards/plotly/index.js"


def test_the_build_is_the_plotly_js_the_plotly_package_expects() -> None:
    package = json.loads((FOLDER / "package.json").read_text(encoding="utf-8"))
    pinned = package["dependencies"]
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in pinned.values()), pinned
    assert pinned["plotly.js"] == get_plotlyjs_version()
    lock = json.loads((FOLDER / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"]["node_modules/plotly.js"]["version"] == pinned["plotly.js"]


def test_the_built_file_says_what_it_was_built_from() -> None:
    head = PLOTLY_JS.read_bytes()[:400].decode("utf-8", "replace")
    banner = re.match(r"/\* downline: plotly\.js (\S+), core \+ ([a-z, ]+); built from", head)
    assert banner is not None, head[:120]
    assert banner.group(1) == get_plotlyjs_version()
    assert set(banner.group(2).split(", ")) | CORE == _registered()
    package = json.loads((FOLDER / "package.json").read_text(encoding="utf-8"))
    assert banner.group(0) in package["scripts"]["build"].replace('\\"', '"')
    assert PLOTLY_JS.stat().st_size < 2_000_000  # not the full bundle (4.8 MB)

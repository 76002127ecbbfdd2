"""The benchmark plot (benchmarks/plot.py): well-formed SVG, a bar per measured value, a gap
for what was not measured, longer bars for longer times."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # our own SVG, not untrusted input

from benchmarks import plot

NS = "{http://www.w3.org/2000/svg}"


def test_bars_on_a_log_scale() -> None:
    bars = [
        plot.Bar("Import", "ours", 10, 2.0, True),
        plot.Bar("Import", "ours", 1000, 200.0, True),
        plot.Bar("Import", "theirs", 10, 0.02),
        plot.Bar("Import", "theirs", 1000, None),
        plot.Bar("Run", "ours", 10, 1.0, True),
    ]
    root = ET.fromstring(plot.svg(bars, "a <title> & more"))  # noqa: S314
    rects = [r for r in root.iter(f"{NS}rect") if r.get("y") not in (None, "30")]
    widths = [float(r.get("width", 0)) for r in rects if r.get("height") != "100%"]
    assert len(widths) == 4  # 4 measured values; the missing one is a "-"
    assert widths[1] > widths[0] > widths[2]  # 200 s > 2 s > 0.02 s
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert "a <title> & more" in texts
    assert "-" in texts
    assert "200 s" in texts


def test_one_value_and_none() -> None:
    ET.fromstring(plot.svg([plot.Bar("g", "a", 10, 1.0)], "t"))  # noqa: S314
    ET.fromstring(plot.svg([plot.Bar("g", "a", 10, None)], "t"))  # noqa: S314

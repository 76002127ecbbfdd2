"""The plot of `make bench`: seconds per measure and size, ours beside the peers, as an SVG.

Plain SVG written by hand (no plotting library, no browser): one panel per measure group, a bar
per (tool, size) on a log scale, so that 0.05 s and 600 s both read. benchmarks/run.py calls
`write` with the run's results; RESULTS.md shows the file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c")  # one per network size
OURS = "#1f77b4"


@dataclass
class Bar:
    group: str  # panel
    label: str  # tool or step
    size: int  # distributors
    seconds: float | None  # None: not measured (drawn as a gap with "-")
    ours: bool = False


def _x(seconds: float, lo: float, hi: float, left: float, width: float) -> float:
    return left + width * (math.log10(seconds) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))


def svg(bars: Sequence[Bar], title: str) -> str:
    measured = [b.seconds for b in bars if b.seconds]
    if not measured:
        return '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
    lo = 10 ** math.floor(math.log10(min(measured)))
    hi = max(10 ** math.ceil(math.log10(max(measured))), lo * 10)
    sizes = sorted({b.size for b in bars})
    groups: dict[str, dict[str, list[Bar]]] = {}
    for b in bars:
        groups.setdefault(b.group, {}).setdefault(b.label, []).append(b)
    left, width, bar_h, gap = 250.0, 560.0, 9.0, 8.0
    out = [f'<text x="10" y="20" font-size="14" font-weight="bold">{escape(title)}</text>']
    for k, size in enumerate(sizes):
        x = left + k * 150
        out.append(f'<rect x="{x}" y="30" width="12" height="10" fill="{COLOURS[k % len(COLOURS)]}"/>')
        out.append(f'<text x="{x + 16}" y="39">{size:,} distributors</text>')
    y = 60.0
    for group, labels in groups.items():
        out.append(f'<text x="10" y="{y + 12:.0f}" font-weight="bold">{escape(group)}</text>')
        y += 20
        for label, items in labels.items():
            by_size = {b.size: b for b in items}
            weight = ' font-weight="bold"' if any(b.ours for b in items) else ""
            out.append(
                f'<text x="{left - 6}" y="{y + bar_h * len(sizes) / 2 + 4:.0f}" text-anchor="end"{weight}>'
                f"{escape(label)}</text>"
            )
            for k, size in enumerate(sizes):
                bar = by_size.get(size)
                top = y + k * bar_h
                if bar is None or not bar.seconds:
                    out.append(f'<text x="{left + 3}" y="{top + bar_h - 1:.0f}" font-size="9">-</text>')
                    continue
                end = _x(max(bar.seconds, lo), lo, hi, left, width)
                out.append(
                    f'<rect x="{left}" y="{top:.1f}" width="{max(end - left, 1):.1f}" height="{bar_h - 1}" '
                    f'fill="{COLOURS[k % len(COLOURS)]}"/>'
                )
                text = f"{bar.seconds:,.2f} s" if bar.seconds < 10 else f"{bar.seconds:,.0f} s"
                out.append(f'<text x="{end + 3:.1f}" y="{top + bar_h - 1:.0f}" font-size="9">{text}</text>')
            y += bar_h * len(sizes) + gap
        y += 8
    # the log axis
    out.append(f'<line x1="{left}" y1="{y}" x2="{left + width}" y2="{y}" stroke="#444"/>')
    decade = lo
    while decade <= hi * 1.0001:
        x = _x(decade, lo, hi, left, width)
        out.append(f'<line x1="{x:.1f}" y1="55" x2="{x:.1f}" y2="{y}" stroke="#ddd"/>')
        out.append(f'<text x="{x:.1f}" y="{y + 14}" text-anchor="middle">{decade:g} s</text>')
        decade *= 10
    out.append(f'<text x="{left + width / 2}" y="{y + 30}" text-anchor="middle">seconds, log scale</text>')
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 90:.0f}" height="{y + 45:.0f}" '
        'font-family="sans-serif" font-size="11">',
        '<rect width="100%" height="100%" fill="white"/>',
    ]
    return "\n".join([*head, *out, "</svg>"])


def write(path: Path, bars: Sequence[Bar], title: str) -> Path:
    path.write_text(svg(bars, title) + "\n", encoding="utf-8")
    return path

"""Counts for the reliability figures (issue 9): how many inputs a suite tried, refused, ...

When DOWNLINE_RELIABILITY_TALLY names a file, every call appends one JSON line {"kind", "n"} to it
(summed per kind afterwards for benchmarks/RESULTS.md); otherwise it does nothing.
"""

from __future__ import annotations

import json
import os


def tally(kind: str, n: int = 1) -> None:
    path = os.environ.get("DOWNLINE_RELIABILITY_TALLY")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"kind": kind, "n": n}) + "\n")

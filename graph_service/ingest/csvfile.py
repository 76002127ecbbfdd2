"""Streaming CSV records with the physical line each starts on, and located problems.

UTF-8 (a byte-order mark is tolerated), RFC 4180 quoting (fields may hold commas, quotes and
newlines), LF or CRLF line ends. Lines are decoded one by one so a bad byte is reported on its
own line and parsing goes on to find the other problems.
"""

from __future__ import annotations

import codecs
import csv
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from graph_service.errors import Problem

MAX_PROBLEMS_KEPT = 1_000
MAX_FIELD = 1_000_000  # a field longer than this is a broken file, not data

csv.field_size_limit(MAX_FIELD)


@dataclass
class Problems:
    """Collects problems; keeps the first MAX_PROBLEMS_KEPT and counts them all."""

    items: list[Problem] = field(default_factory=list)
    total: int = 0

    def add(self, file: str, line: int | None, column: str | None, reason: str) -> None:
        self.total += 1
        if len(self.items) < MAX_PROBLEMS_KEPT:
            self.items.append(Problem(file, line, column, reason))

    def __bool__(self) -> bool:
        return self.total > 0


@dataclass(frozen=True)
class Record:
    line: int
    values: dict[str, str]


def control_char(text: str) -> str | None:
    """The first control character (Unicode category Cc) in text, as U+XXXX, or None."""
    for ch in text:
        if unicodedata.category(ch) == "Cc":
            return f"U+{ord(ch):04X}"
    return None


def _decoded_lines(fh: BinaryIO, label: str, problems: Problems) -> Iterator[str]:
    for number, raw in enumerate(fh, start=1):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.add(label, number, None, f"not valid UTF-8 (byte {exc.start + 1} of the line)")
            yield raw.decode("utf-8", errors="replace")


def read_records(
    path: Path,
    label: str,
    *,
    required: tuple[str, ...],
    optional: tuple[str, ...],
    problems: Problems,
) -> Iterator[Record]:
    """Yield one Record per data row holding the known columns; header problems end the file."""
    known = required + optional
    with path.open("rb") as fh:
        reader = csv.reader(_decoded_lines(fh, label, problems), strict=True)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            problems.add(label, 1, None, f"unreadable header: {exc}")
            return
        if header is None or not any(h.strip() for h in header):
            problems.add(label, 1, None, "the file is empty: a header row is needed")
            return
        names = [h.strip().lower() for h in header]
        positions: dict[str, int] = {}
        for index, name in enumerate(names):
            if name in known:
                if name in positions:
                    problems.add(label, 1, name, f"column {name!r} appears twice in the header")
                else:
                    positions[name] = index
        missing = [name for name in required if name not in positions]
        for name in missing:
            problems.add(label, 1, name, f"required column {name!r} is missing")
        if missing or len(positions) != len({n for n in names if n in known}):
            return
        width = len(names)
        last_line = reader.line_num
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                problems.add(label, last_line + 1, None, f"malformed CSV: {exc}")
                return
            start = last_line + 1
            last_line = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            if len(row) != width and not (len(row) > width and not any(v.strip() for v in row[width:])):
                problems.add(label, start, None, f"has {len(row)} fields, the header has {width}")
                continue
            yield Record(start, {name: row[pos] for name, pos in positions.items()})

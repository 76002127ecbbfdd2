"""Reading a CSV file into columns, with the physical line each record starts on, and located problems.

UTF-8 (a byte-order mark is tolerated), RFC 4180 quoting (fields may hold commas, quotes and
newlines), LF or CRLF line ends.

Two readers give the same result:

- the exact reader streams the file through the csv module, decoding line by line, so a bad byte
  is reported on its own line and reading goes on to find the other problems. When the file is
  valid UTF-8 it takes records a block at a time (a record spans one line plus one per newline
  inside its fields, checked against the csv module's line count); on a csv error it reads the
  file again record by record to place the problem;
- the fast reader (pyarrow, multi-threaded) is used only when it provably sees the same records at
  the same lines: the file is valid UTF-8, has no lone CR, no line longer than a field may be,
  every line holding a quote is well-formed RFC 4180 on its own (so no field spans lines and no
  quoting is malformed), and pyarrow finds exactly one record per physical line (so there are no
  blank lines). Anything else, or any pyarrow error, and the exact reader does the whole file.

The header is always read by the exact reader. Problems are returned as Pending items that carry
their place in reading order, so that the checks of the values (validate.py) can merge theirs in
and the first problems kept are the ones a record-by-record reader would have met first.
"""

from __future__ import annotations

import codecs
import csv
import heapq
import re
import unicodedata
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from operator import itemgetter, methodcaller
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pacsv  # type: ignore[import-untyped]

from graph_service.errors import Problem
from graph_service.ingest.arrays import Ints, StrArray, bulk, strings

MAX_PROBLEMS_KEPT = 1_000
MAX_FIELD = 1_000_000  # a field longer than this is a broken file, not data
FAST_BLOCK = 1 << 24  # pyarrow block size; far above the longest line allowed
BLOCK_ROWS = 65_536  # the exact reader turns rows into columns this many at a time

csv.field_size_limit(MAX_FIELD)

# One physical line of well-formed RFC 4180 with no field spanning lines: quoted fields close
# before a comma or the end of the line; an unquoted field may hold quotes after its first char.
_FIELD = rb'(?:"(?:[^"\r\n]|"")*+"|[^",\r\n][^,\r\n]*+)?+'
_LINE = re.compile(_FIELD + rb"(?:," + _FIELD + rb")*+\r?+")


class Pending(NamedTuple):
    """A problem found but not yet added: `at` (the line the record being read starts on), then
    `phase` (0 reading, 1 checking values) and `order` place it in reading order."""

    at: int
    phase: int
    order: int
    line: int | None
    column: str | None
    reason: str


@dataclass
class Problems:
    """Collects problems and counts them all; keeps the MAX_PROBLEMS_KEPT first *in the files*
    (files in the order they were first reported, then by line, problems without a line first),
    whatever order the checks found them in (a file's own checks run before the database's)."""

    total: int = 0
    _kept: list[tuple[int, int, int, Problem]] = field(default_factory=list)  # a heap, keys negated
    _files: dict[str, int] = field(default_factory=dict)

    def add(self, file: str, line: int | None, column: str | None, reason: str) -> None:
        self.total += 1
        rank = self._files.setdefault(file, len(self._files))
        entry = (-rank, -(line if line is not None else -1), -self.total, Problem(file, line, column, reason))
        if len(self._kept) < MAX_PROBLEMS_KEPT:
            heapq.heappush(self._kept, entry)
        elif entry[:3] > self._kept[0][:3]:  # earlier in the files than the last one kept
            heapq.heapreplace(self._kept, entry)

    @property
    def items(self) -> list[Problem]:
        """The problems kept, in file order."""
        return [e[3] for e in sorted(self._kept, key=lambda e: e[:3], reverse=True)]

    def add_pending(self, file: str, pending: list[Pending]) -> None:
        """Add problems of one file in reading order."""
        for p in sorted(pending, key=lambda p: (p.at, p.phase, p.order)):
            self.add(file, p.line, p.column, p.reason)

    def __bool__(self) -> bool:
        return self.total > 0


@dataclass(frozen=True)
class Record:
    line: int
    values: dict[str, str]


@dataclass
class CsvTable:
    """The data records of a file that have the header's number of fields, as columns."""

    lines: Ints  # physical line each record starts on (header = line 1)
    columns: dict[str, StrArray]  # the known columns present in the header
    pending: list[Pending]  # reading problems (encoding, field counts, malformed quoting, header)
    reader: str = "exact"  # which reader read the records: "fast" or "exact"
    usable: bool = True  # False when the header is unusable (then there are no records)

    def __len__(self) -> int:
        return len(self.lines)

    def get(self, name: str) -> StrArray | None:
        return self.columns.get(name)


def control_char(text: str) -> str | None:
    """The first control character (Unicode category Cc) in text, as U+XXXX, or None."""
    for ch in text:
        if unicodedata.category(ch) == "Cc":
            return f"U+{ord(ch):04X}"
    return None


class _ExactReader:
    """csv-module records over lines decoded one by one; problems are kept as Pending.

    When the whole file is known to be valid UTF-8 the lines are decoded without a Python
    generator in between (same lines, faster); otherwise each line is decoded on its own so a
    bad byte is reported on its line and replaced.
    """

    def __init__(self, fh: BinaryIO, *, valid_utf8: bool) -> None:
        self.pending: list[Pending] = []
        self.decode_errors: list[tuple[int, str]] = []
        self._order = 0
        lines: Iterator[str]
        if valid_utf8:
            if fh.read(len(codecs.BOM_UTF8)) != codecs.BOM_UTF8:
                fh.seek(0)
            lines = map(methodcaller("decode", "utf-8"), fh)
        else:
            lines = self._decoded_lines(fh)
        self.csv = csv.reader(lines, strict=True)

    def _decoded_lines(self, fh: BinaryIO) -> Iterator[str]:
        for number, raw in enumerate(fh, start=1):
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                self.decode_errors.append((number, f"not valid UTF-8 (byte {exc.start + 1} of the line)"))
                yield raw.decode("utf-8", errors="replace")

    def add(self, at: int, line: int | None, column: str | None, reason: str) -> None:
        self.pending.append(Pending(at, 0, self._order, line, column, reason))
        self._order += 1

    def flush(self, at: int) -> None:
        """Report the lines that failed to decode as part of the record starting at `at`."""
        for number, reason in self.decode_errors:
            self.add(at, number, None, reason)
        self.decode_errors.clear()

    def next_row(self, at: int) -> list[str] | None:
        """The next record (None at the end); raises csv.Error."""
        try:
            return next(self.csv, None)
        finally:
            self.flush(at)


def _header(
    reader: _ExactReader, required: tuple[str, ...], optional: tuple[str, ...]
) -> tuple[int, dict[str, int]] | None:
    """(width, position of each known column), or None when the header makes the file unusable."""
    known = required + optional
    try:
        header = reader.next_row(1)
    except csv.Error as exc:
        reader.add(1, 1, None, f"unreadable header: {exc}")
        return None
    if header is None or not any(h.strip() for h in header):
        reader.add(1, 1, None, "the file is empty: a header row is needed")
        return None
    names = [h.strip().lower() for h in header]
    positions: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in known:
            if name in positions:
                reader.add(1, 1, name, f"column {name!r} appears twice in the header")
            else:
                positions[name] = index
    missing = [name for name in required if name not in positions]
    for name in missing:
        reader.add(1, 1, name, f"required column {name!r} is missing")
    if missing or len(positions) != len({n for n in names if n in known}):
        return None
    return len(names), positions


class _Columns:
    """Kept records, turned into column chunks a block at a time."""

    def __init__(self, positions: dict[str, int]) -> None:
        self.positions = positions
        self.lines = array("q")
        self.chunks: dict[str, list[Any]] = {name: [] for name in positions}

    def add(self, rows: list[list[str]], lines: Iterable[int]) -> None:
        self.lines.extend(lines)
        for name, chunk in self.chunks.items():
            values = list(map(itemgetter(self.positions[name]), rows))
            chunk.append(pa.array(values, type=pa.large_string()).cast(pa.string()))

    def table(self, pending: list[Pending]) -> CsvTable:
        return CsvTable(
            np.frombuffer(self.lines, dtype=np.int64).copy()
            if len(self.lines)
            else np.zeros(0, dtype=np.int64),
            {name: pa.chunked_array(chunk, type=pa.string()) for name, chunk in self.chunks.items()},
            pending,
        )


_KEEP, _BLANK, _BAD = 0, 1, 2


def _kind(row: list[str], width: int) -> int:
    if not row or (len(row) == 1 and not row[0].strip()):
        return _BLANK
    if len(row) != width and not (len(row) > width and not any(v.strip() for v in row[width:])):
        return _BAD
    return _KEEP


def _exact_rows(reader: _ExactReader, width: int, positions: dict[str, int]) -> CsvTable:
    """Record by record, each placed by the csv module's own line count."""
    out = _Columns(positions)
    block: list[list[str]] = []
    lines: list[int] = []
    rows = reader.csv
    start = rows.line_num + 1  # the line the next record starts on
    with bulk():
        try:
            for row in rows:
                reader.flush(start)
                kind = _kind(row, width)
                if kind == _KEEP:
                    block.append(row)
                    lines.append(start)
                    if len(block) == BLOCK_ROWS:
                        out.add(block, lines)
                        block, lines = [], []
                elif kind == _BAD:
                    reader.add(start, start, None, f"has {len(row)} fields, the header has {width}")
                start = rows.line_num + 1
        except csv.Error as exc:
            reader.flush(start)
            reader.add(start, start, None, f"malformed CSV: {exc}")
        reader.flush(start)
        out.add(block, lines)
    return out.table(reader.pending)


def _rows_by_block(reader: _ExactReader, width: int, positions: dict[str, int]) -> CsvTable | None:
    """The same as _exact_rows, BLOCK_ROWS records at a time, for a file without decoding problems:
    a record spans one line plus one per newline inside its fields. None on a csv error (the
    caller reads again record by record, to place it)."""
    out = _Columns(positions)
    rows = reader.csv
    plain_width = width if width > 1 else -1  # a row of that many fields is never blank
    with bulk():
        while True:
            before = rows.line_num
            try:
                block = list(islice(rows, BLOCK_ROWS))
            except csv.Error:
                return None
            if not block:
                return out.table(reader.pending)
            after = rows.line_num
            if after - before == len(block) and list(map(len, block)).count(plain_width) == len(block):
                out.add(block, range(before + 1, after + 1))  # one record per line, all kept
                continue
            kept: list[list[str]] = []
            lines: list[int] = []
            start = before + 1
            for row in block:
                kind = _kind(row, width)
                if kind == _KEEP:
                    kept.append(row)
                    lines.append(start)
                elif kind == _BAD:
                    reader.add(start, start, None, f"has {len(row)} fields, the header has {width}")
                start += 1 + sum(value.count("\n") for value in row)
            if start != after + 1:
                return None  # not expected; the record-by-record reader decides
            out.add(kept, lines)


def _valid_utf8(data: bytes) -> bool:
    if data.isascii():
        return True
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    binary = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        binary.cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def _fast_rows(data: bytes, width: int, positions: dict[str, int]) -> CsvTable | None:
    """The records read by pyarrow, or None when the exact reader must read the file (which must
    be valid UTF-8)."""
    if b"\n\n" in data or b"\n\r\n" in data:
        return None  # a blank line: the exact reader skips it and keeps the numbering
    cr = data.count(b"\r")
    if cr and cr != data.count(b"\r\n"):
        return None  # a lone CR: the csv module and pyarrow split lines differently
    newlines = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord("\n"))
    starts = np.concatenate(([0], newlines + 1))
    ends = np.concatenate((newlines, [len(data)]))
    if data.endswith(b"\n"):
        starts, ends = starts[:-1], ends[:-1]  # nothing after the last newline
    if len(ends) and int((ends - starts).max()) > MAX_FIELD:
        return None  # the csv module would refuse the field; leave it to the exact reader
    body_lines = len(starts) - 1
    if body_lines <= 0:
        return CsvTable(np.zeros(0, dtype=np.int64), {n: strings([]) for n in positions}, [], reader="fast")
    if b'"' in data:
        quotes = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord('"'))
        quoted = np.unique(np.searchsorted(newlines, quotes))
        line = _LINE
        for i in quoted[quoted > 0].tolist():  # line 0 is the header: read exactly already
            if line.fullmatch(data, int(starts[i]), int(ends[i])) is None:
                return None
    names = [f"c{i}" for i in range(width)]
    wanted = {name: f"c{pos}" for name, pos in positions.items()}
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=1, block_size=FAST_BLOCK, use_threads=True
            ),
            parse_options=pacsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(
                include_columns=list(wanted.values()),
                column_types=dict.fromkeys(wanted.values(), pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                null_values=[],
                check_utf8=True,
            ),
        )
    except (pa.ArrowException, ValueError):
        return None
    if table.num_rows != body_lines:
        return None  # blank lines: the exact reader skips them and keeps the numbering
    columns: dict[str, Any] = {name: strings(table.column(c)) for name, c in wanted.items()}
    return CsvTable(np.arange(2, body_lines + 2, dtype=np.int64), columns, [], reader="fast")


def read_table(
    path: Path,
    *,
    required: tuple[str, ...],
    optional: tuple[str, ...],
    exact: bool = False,
) -> CsvTable:
    """The known columns of a file's data records; `exact` forces the csv-module reader."""
    data = path.read_bytes()
    valid = _valid_utf8(data)
    with path.open("rb") as fh:
        reader = _ExactReader(fh, valid_utf8=valid)
        header = _header(reader, required, optional)
        if header is None:
            return CsvTable(np.zeros(0, dtype=np.int64), {}, reader.pending, usable=False)
        width, positions = header
        if not exact and valid and reader.csv.line_num == 1 and not reader.pending:
            table = _fast_rows(data, width, positions)
            if table is not None:
                return table
        del data  # the exact reader streams the file
        if valid:
            table = _rows_by_block(reader, width, positions)
            if table is not None:
                return table
            fh.seek(0)  # a malformed record: read again, record by record, to place the problem
            reader = _ExactReader(fh, valid_utf8=True)
            if _header(reader, required, optional) is None:
                raise AssertionError("the header read differently the second time")
        return _exact_rows(reader, width, positions)


def read_records(
    path: Path,
    label: str,
    *,
    required: tuple[str, ...],
    optional: tuple[str, ...],
    problems: Problems,
) -> Iterator[Record]:
    """One Record per data row holding the known columns (exact reader); problems go to `problems`."""
    table = read_table(path, required=required, optional=optional, exact=True)
    problems.add_pending(label, table.pending)
    values = {name: col.to_pylist() for name, col in table.columns.items()}
    for i, line in enumerate(table.lines.tolist()):
        yield Record(line, {name: col[i] for name, col in values.items()})

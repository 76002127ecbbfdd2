"""Column helpers for validation: string arrays (pyarrow), integer arrays (numpy), forests of links.

Each check runs over a whole column at once. Where a rule is subtle (Python's `str.strip`, regular
expressions, dates, decimals) it is not re-implemented: a vectorised test only picks out the rows
that might break it, or the column's distinct values are handed one by one to the same Python
function that states the rule, so there is one copy of every rule and it is exact.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar, overload

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

R = TypeVar("R")
Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]
Objects = npt.NDArray[np.object_]
StrArray = Any  # a pyarrow string Array or ChunkedArray without nulls ("" stands for an empty field)

# Unicode category Cc is exactly U+0000-U+001F and U+007F-U+009F (tested against unicodedata)
_CONTROL = "[\\x00-\\x1f\\x7f-\\x9f]"
# a plain decimal that fits int64 once scaled: no sign but "-", digits on both sides of the point
_PLAIN_DECIMAL = "^-?[0-9]{1,9}(\\.[0-9]{1,4})?$"  # longer ones go through parse_scaled (refused)
_SCALE_BY_PLACES = np.array([10_000, 1_000, 100, 10, 1], dtype=np.int64)
ITER_BATCH = 65_536


@contextmanager
def bulk() -> Iterator[None]:
    """Build millions of small objects without the cyclic garbage collector rescanning the heap."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def strings(values: Sequence[str] | StrArray) -> StrArray:
    """A pyarrow string array from a list, or an array (chunked arrays stay chunked)."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values if values.type == pa.string() else values.cast(pa.string())
    return pa.array(values, type=pa.string())


def empty_strings(n: int) -> StrArray:
    return pa.array([""], type=pa.string()).take(np.zeros(n, dtype=np.int64))


def numpy(array: Any) -> npt.NDArray[Any]:
    """A pyarrow array or chunked array (no nulls) as numpy."""
    out: npt.NDArray[Any] = (
        array.to_numpy() if isinstance(array, pa.ChunkedArray) else array.to_numpy(zero_copy_only=False)
    )
    return out


def bools(array: Any) -> Bools:
    return np.asarray(numpy(array), dtype=np.bool_).reshape(-1)


def lengths(values: StrArray) -> Ints:
    """Length of each value in code points (as Python's len)."""
    return np.asarray(numpy(pc.utf8_length(values)), dtype=np.int64).reshape(-1)


def equal(a: StrArray, b: StrArray) -> Bools:
    return bools(pc.equal(a, b))


def _chunks(values: StrArray) -> list[Any]:
    return list(values.chunks) if isinstance(values, pa.ChunkedArray) else [values]


def _may_hold_control(values: StrArray) -> bool:
    """False when no value can hold a control character: no byte of the data is one (C0, DEL) or
    starts one (C1: C2 80-9F). Looks at whole data buffers, so it may say True needlessly."""
    for chunk in _chunks(values):
        if len(chunk) == 0:
            continue
        data = chunk.buffers()[2]
        if data is None:
            continue
        raw = np.frombuffer(data, dtype=np.uint8)
        if ((raw < 0x20) | (raw == 0x7F)).any():
            return True
        if ((raw[:-1] == 0xC2) & ((raw[1:] & 0xE0) == 0x80)).any():
            return True
    return False


def id_suspects(values: StrArray, max_len: int) -> Bools:
    """Rows that may break the id rule (empty, too long, a control character); never misses one."""
    n = lengths(values)
    out: Bools = (n == 0) | (n > max_len)
    if _may_hold_control(values):
        out |= bools(pc.match_substring_regex(values, _CONTROL))
    return out


def is_in(values: StrArray, value_set: StrArray) -> Bools:
    if len(value_set) == 0 or len(values) == 0:
        return np.zeros(len(values), dtype=np.bool_)
    return bools(pc.is_in(values, value_set=value_set))


def take(values: StrArray, rows: Ints | Bools) -> StrArray:
    """values[rows] (row indices or a mask); all rows in order give values itself, uncopied."""
    if rows.dtype == np.bool_:
        rows = np.flatnonzero(rows)
    n = len(values)
    if len(rows) == n and (
        n == 0 or (rows[0] == 0 and rows[-1] == n - 1 and bool((np.diff(rows) == 1).all()))
    ):
        return values
    return values.take(pa.array(rows, type=pa.int64()))


def nulls_for_empty(values: StrArray) -> StrArray:
    """Empty strings become nulls (None in Python)."""
    return pc.if_else(pc.equal(values, ""), pa.scalar(None, type=pa.string()), values)


def encode(values: StrArray) -> tuple[Ints, Any]:
    """Dense codes (one per distinct value) and the distinct values (a pyarrow array)."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64), pa.array([], type=pa.string())
    encoded = pc.dictionary_encode(values)
    if isinstance(encoded, pa.ChunkedArray):  # the chunks share one dictionary, the last is whole
        chunks = [c for c in encoded.chunks if len(c)]
        codes = np.concatenate([numpy(c.indices) for c in chunks])
        return codes.astype(np.int64), chunks[-1].dictionary
    return numpy(encoded.indices).astype(np.int64), encoded.dictionary


def codes_of(values: StrArray) -> tuple[Ints, list[str]]:
    """Dense codes (one per distinct value) and the distinct values as Python strings."""
    codes, dictionary = encode(values)
    return codes, dictionary.to_pylist()


def per_value(values: StrArray, rule: Callable[[str], R]) -> tuple[Ints, list[R]]:
    """Apply rule once per distinct value: (code of each row, result of each code)."""
    codes, distinct = codes_of(values)
    return codes, [rule(v) for v in distinct]


def plain_decimals(values: StrArray) -> tuple[Bools, Ints]:
    """Rows holding a plain decimal (-?digits[.digits], at most 9 + 4 digits) and their value in
    ten-thousandths (0 elsewhere): what fixedpoint.parse_scaled gives for them."""
    plain = bools(pc.match_substring_regex(values, _PLAIN_DECIMAL))
    scaled = np.zeros(len(plain), dtype=np.int64)
    if plain.any():
        subset = take(values, plain)
        dot = np.asarray(numpy(pc.find_substring(subset, ".")), dtype=np.int64)
        places = np.where(dot >= 0, lengths(subset) - dot - 1, 0)
        digits = np.asarray(numpy(pc.cast(pc.replace_substring(subset, ".", ""), pa.int64())), dtype=np.int64)
        scaled[plain] = digits * _SCALE_BY_PLACES[places]
    return plain, scaled


def first_rows(codes: Ints) -> Ints:
    """For each row, the first row holding the same code."""
    n = len(codes)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    first = np.full(int(codes.max()) + 1, n, dtype=np.int64)
    np.minimum.at(first, codes, np.arange(n, dtype=np.int64))
    out: Ints = first[codes]
    return out


def first_rows_of(values: StrArray) -> Ints:
    return first_rows(encode(values)[0])


def int_column(values: Sequence[int | None]) -> npt.NDArray[Any]:
    """int64 when every value fits (None as 0, callers keep a mask), else Python ints (object)."""
    try:
        return np.array([0 if v is None else v for v in values], dtype=np.int64)
    except OverflowError:
        return np.array(list(values), dtype=np.object_)


def objects(values: Sequence[Any]) -> Objects:
    out = np.empty(len(values), dtype=np.object_)
    out[:] = values
    return out


def chains(parent: Ints) -> tuple[Ints, Ints, Bools]:
    """Follow parent links (-1: none) by pointer doubling, O(n log depth).

    Returns each node's top (its farthest ancestor, which has no parent), the number of links up
    to it, and whether the node is in or below a cycle (then top and links mean nothing).
    """
    n = len(parent)
    nodes = np.arange(n, dtype=np.int64)
    has = parent >= 0
    nxt = np.where(has, parent, nodes)
    dist = has.astype(np.int64)
    for _ in range(max(1, math.ceil(math.log2(n + 1))) + 1):
        if not has[nxt].any():
            break
        dist = dist + dist[nxt]
        nxt = nxt[nxt]
    return nxt, dist, has[nxt]


def subtree_min(parent: Ints, level: Ints, value: Ints) -> Ints:
    """For each node of a forest (no cycles), the minimum of value over its subtree (itself included).

    level is the number of links up to the node's top; nodes are folded into parents deepest first.
    """
    out = value.copy()
    if len(out) == 0:
        return out
    order = np.argsort(-level, kind="stable")
    by_level = level[order]
    bounds = np.flatnonzero(np.diff(by_level)) + 1
    for group in np.split(order, bounds):
        if level[group[0]] == 0:
            break
        np.minimum.at(out, parent[group], out[group])
    return out


class StrSeq(Sequence[str]):
    """A read-only sequence of Python strings over a pyarrow array, converted batch by batch."""

    def __init__(self, values: StrArray) -> None:
        self._values = values

    def __len__(self) -> int:
        return len(self._values)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self._values))
            if step == 1:
                out: list[str] = self._values.slice(start, max(0, stop - start)).to_pylist()
                return out
            return [self[i] for i in range(start, stop, step)]
        if index < 0:
            index += len(self._values)
        if not 0 <= index < len(self._values):
            raise IndexError(index)
        value: str = self._values[index].as_py()
        return value

    def __iter__(self) -> Iterator[str]:
        for start in range(0, len(self._values), ITER_BATCH):
            yield from self._values.slice(start, ITER_BATCH).to_pylist()

    def __repr__(self) -> str:
        return f"StrSeq({len(self)} strings)"

"""The health frame of a rollup, packed into a few byte arrays kept in Neo4j beside the rollup.

Network health needs every member's sponsor, join month and PV per period. Reading them as a
million-element lists costs an API worker seconds of Neo4j time and of Python (and holds the GIL
while it builds the arrays). The rollup has these arrays in hand already, so it packs them once
(`encode`), writes them as `(:RollupFrame {slot, part, build, data})` nodes of at most PART_BYTES
each (cypher/rollup/frame_write.cypher), and a worker reads them back in one query and unpacks
them with numpy (`decode`): no per-member Python object, the ids one Arrow string array (about
12 bytes a member, against 60 as Python strings).

Format: an uncompressed `.npz` (numpy's zip of `.npy` arrays, read with `allow_pickle=False`) of
  ids      uint8, the ids as UTF-8, one after the other    lengths  int64, bytes of each id
  sponsor  int64, row of the sponsor (-1 for a root)       joined   int64, join month number
                                                                    (year * 12 + month - 1; -1: none)
  pv       int64 (members, periods), ten-thousandths of PV
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]

IntArray = npt.NDArray[np.int64]
PART_BYTES = 8 * 1024 * 1024  # one node's byte array at most (one write transaction each)
FORMAT = 1


@dataclass
class Packed:
    ids: pa.LargeStringArray
    sponsor: IntArray
    joined: IntArray
    pv: IntArray


def month_number(period: str) -> int:
    year, month = period.split("-")
    return int(year) * 12 + int(month) - 1


def month_codes(joined: Sequence[str | None]) -> IntArray:
    """Join months (YYYY-MM, '' or None without) as month numbers, -1 without."""
    number = {m: month_number(m) for m in set(joined) if m}
    return np.fromiter((number.get(j or "", -1) for j in joined), np.int64, len(joined))


def encode(ids: Sequence[str], sponsor: IntArray, joined: IntArray, pv: IntArray) -> list[bytes]:
    """The frame as parts of at most PART_BYTES."""
    raw = [i.encode("utf-8") for i in ids]
    buffer = io.BytesIO()
    np.savez(
        buffer,
        format=np.array([FORMAT], np.int64),
        ids=np.frombuffer(b"".join(raw), np.uint8),
        lengths=np.fromiter((len(b) for b in raw), np.int64, len(raw)),
        sponsor=np.asarray(sponsor, np.int64),
        joined=np.asarray(joined, np.int64),
        pv=np.asarray(pv, np.int64),
    )
    data = buffer.getvalue()
    return [data[a : a + PART_BYTES] for a in range(0, len(data), PART_BYTES)] or [b""]


def decode(parts: Sequence[bytes]) -> Packed:
    """The arrays `encode` packed (ValueError for anything else)."""
    with np.load(io.BytesIO(b"".join(parts)), allow_pickle=False) as z:
        if int(z["format"][0]) != FORMAT:
            raise ValueError(f"frame format {int(z['format'][0])}, expected {FORMAT}")
        text, lengths = z["ids"], z["lengths"]
        sponsor, joined, pv = z["sponsor"], z["joined"], z["pv"]
    n = len(lengths)
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if text.dtype != np.uint8 or lengths.ndim != 1 or offsets[-1] != len(text) or (lengths < 0).any():
        raise ValueError("frame ids do not match their lengths")
    ids = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(text))
    try:
        ids.validate(full=True)  # UTF-8
    except pa.ArrowInvalid as exc:
        raise ValueError(f"frame ids are not UTF-8: {exc}") from None
    if sponsor.shape != (n,) or joined.shape != (n,) or pv.ndim != 2 or pv.shape[0] != n:
        raise ValueError("frame arrays of different lengths")
    return Packed(ids, sponsor, joined, pv)

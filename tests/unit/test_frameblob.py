"""Packing the health frame of a rollup into byte arrays and back (graph_service.analytics.frameblob)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph_service.analytics import frameblob


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # patched per example
@given(
    ids=st.lists(st.text(min_size=1, max_size=6), max_size=40, unique=True),
    periods=st.integers(min_value=0, max_value=4),
    part=st.integers(min_value=1, max_value=300),
    data=st.data(),
)
def test_a_frame_comes_back_as_it_was_packed(
    ids: list[str], periods: int, part: int, data: st.DataObject, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = len(ids)
    sponsor = np.array([data.draw(st.integers(-1, max(n - 1, -1))) for _ in ids], np.int64)
    joined = frameblob.month_codes(
        [data.draw(st.sampled_from(["", "2026-01", "1999-12", None])) for _ in ids]
    )
    pv = np.array(
        [[data.draw(st.integers(-(2**62), 2**62)) for _ in range(periods)] for _ in ids], np.int64
    ).reshape(n, periods)
    with monkeypatch.context() as m:
        m.setattr(frameblob, "PART_BYTES", part)
        parts = frameblob.encode(ids, sponsor, joined, pv)
    assert all(len(p) <= part for p in parts)
    back = frameblob.decode(parts)
    assert back.ids.to_pylist() == ids
    assert back.sponsor.tolist() == sponsor.tolist()
    assert back.joined.tolist() == joined.tolist()
    assert back.pv.shape == (n, periods)
    assert back.pv.tolist() == pv.tolist()


def test_month_codes() -> None:
    assert frameblob.month_codes(["2026-01", "", None, "0001-12"]).tolist() == [2026 * 12, -1, -1, 23]


def test_anything_else_is_refused() -> None:
    with pytest.raises(ValueError, match=r"."):
        frameblob.decode([b"not a frame"])


def _packed(ids: bytes, lengths: list[int]) -> list[bytes]:
    """A frame of the right format around the given id bytes and lengths."""
    buffer = io.BytesIO()
    n = len(lengths)
    np.savez(
        buffer,
        format=np.array([frameblob.FORMAT], np.int64),
        ids=np.frombuffer(ids, np.uint8),
        lengths=np.array(lengths, np.int64),
        sponsor=np.full(n, -1, np.int64),
        joined=np.full(n, -1, np.int64),
        pv=np.zeros((n, 1), np.int64),
    )
    return [buffer.getvalue()]


def test_ids_that_do_not_fit_their_lengths_or_are_not_utf8_are_refused() -> None:
    assert frameblob.decode(_packed("aé".encode(), [1, 2])).ids.to_pylist() == ["a", "é"]
    with pytest.raises(ValueError, match="UTF-8"):
        frameblob.decode(_packed(b"a\xff", [1, 1]))
    with pytest.raises(ValueError, match="lengths"):
        frameblob.decode(_packed(b"abc", [1, 1]))
    with pytest.raises(ValueError, match="lengths"):
        frameblob.decode(_packed(b"ab", [3, -1]))

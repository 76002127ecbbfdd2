"""The per-key token bucket of the API (graph_service.api.deps.RateLimiter)."""

from __future__ import annotations

import pytest

from graph_service.api import deps
from graph_service.api.deps import RateLimiter


def test_a_bucket_empties_then_refills_evenly(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(deps.time, "monotonic", lambda: now[0])
    limiter = RateLimiter(per_minute=3)
    assert [limiter.take("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("k") == pytest.approx(20.0)  # one token every 20 s
    assert limiter.take("other") == 0.0
    now[0] += 20
    assert limiter.take("k") == 0.0
    assert limiter.take("k") > 0
    now[0] += 3600  # a long pause refills to the capacity, not beyond
    assert [limiter.take("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("k") > 0


def test_zero_means_unlimited() -> None:
    limiter = RateLimiter(per_minute=0)
    assert all(limiter.take("k") == 0.0 for _ in range(1000))

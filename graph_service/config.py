"""Settings from DOWNLINE_* environment variables (one pydantic-settings class).

Without DOWNLINE_NEO4J_URI the local server that `downline db start` runs under DOWNLINE_HOME is
used: its Bolt port and generated password are read from that home. With it, any Neo4j 5 server
(a cluster over `neo4j://`, Aura over `neo4j+s://`) is used the same way.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

NEO4J_VERSION = "5.26.19"
DEFAULT_BOLT_PORT = 7687
DEFAULT_HTTP_PORT = 7474


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DOWNLINE_", extra="ignore")

    home: Path = Field(default=Path(".downline"), description="local server files, password, ports")
    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: str | None = None
    neo4j_database: str = "neo4j"
    # how long a transaction that cannot reach Neo4j is retried before giving up: short for the API
    # (it answers 503 with Retry-After instead), longer for commands (a restart does not fail them)
    neo4j_retry_seconds: float = 0.5
    cli_retry_seconds: float = 30.0
    neo4j_connect_timeout_s: float = 1.5  # the API's; commands wait up to 5 s for a connection

    # Local server sizing: a 1M-member network with ~3M orders fits heap + page cache <= 8 GiB.
    neo4j_heap: str = "4g"
    neo4j_pagecache: str = "3g"
    neo4j_lib: Path | None = Field(default=None, description="folder of Neo4j jars (default: cache)")
    java_home: Path | None = None
    start_timeout_s: float = 120.0

    import_batch_rows: int = 20_000
    rollup_batch_rows: int = 10_000
    bulk_import_min_rows: int = 1_000_000  # distributors + orders: an empty local database is bulk loaded
    active_pv: float = 100.0
    cypher_timeout_s: float = 10.0  # ad hoc Cypher: server-side time limit
    cypher_max_rows: int = 10_000  # ad hoc Cypher: rows returned at most
    expensive_per_minute: int = 60  # per key and worker: ad hoc Cypher, named queries, CSV exports
    # the least role that sees distributors' names (analytics/privacy.py): viewers see ids only
    names_role: Literal["viewer", "analyst"] = "analyst"
    # API workers read the health frame at start and after each publish (analytics/warmup.py)
    warm_up: bool = True
    run_lines_per_write: int = Field(default=100_000, ge=1)  # commission runs: lines per write transaction
    run_earners_per_chunk: int = Field(default=512, ge=1)  # commission runs: earners per stored chunk
    run_stale_seconds: float = Field(default=120.0, ge=0)  # a run being written and silent this long: dead
    # forced matrix: members directly under each member; recorded with the first placement, and an
    # import with another width is refused (placements never move)
    matrix_width: int = Field(default=3, ge=1)
    # network health (graph_service/analytics/health.py): red-flag thresholds and the summary score
    health_min_retail_share: float = Field(default=0.5, ge=0, le=1)  # fires below
    health_max_zero_earner_share: float = Field(default=0.75, ge=0, le=1)  # fires above
    health_max_bunching: float = Field(default=0.3, ge=0, le=1)  # fires above
    health_bunching_band: float = Field(default=0.1, gt=0, le=10)  # band [t, t * (1 + band))
    health_max_top1_share: float = Field(default=0.5, ge=0, le=1)  # fires above
    health_max_deep_pay_share: float = Field(default=0.5, ge=0, le=1)  # fires above
    health_flag_weight: int = Field(default=20, ge=0, le=100)  # score = 100 - weight per fired flag

    @property
    def active_threshold(self) -> Decimal:
        """The active threshold as an exact decimal (PV in a period needed to be active)."""
        return Decimal(str(self.active_pv))

    @cached_property
    def home_dir(self) -> Path:
        return self.home.expanduser().resolve()

    @property
    def uses_local_server(self) -> bool:
        return self.neo4j_uri is None


def get_settings() -> Settings:
    return Settings()

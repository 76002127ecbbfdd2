"""Settings from DOWNLINE_* environment variables (one pydantic-settings class).

Without DOWNLINE_NEO4J_URI the local server that `downline db start` runs under DOWNLINE_HOME is
used: its Bolt port and generated password are read from that home. With it, any Neo4j 5 server
(a cluster over `neo4j://`, Aura over `neo4j+s://`) is used the same way.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property
from pathlib import Path

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
    neo4j_retry_seconds: float = 2.0

    # Local server sizing: a 1M-member network with ~3M orders fits heap + page cache <= 8 GiB.
    neo4j_heap: str = "4g"
    neo4j_pagecache: str = "3g"
    neo4j_lib: Path | None = Field(default=None, description="folder of Neo4j jars (default: cache)")
    java_home: Path | None = None
    start_timeout_s: float = 120.0

    import_batch_rows: int = 20_000
    rollup_batch_rows: int = 2_000
    active_pv: float = 100.0
    cypher_timeout_s: float = 10.0  # ad hoc Cypher: server-side time limit
    cypher_max_rows: int = 10_000  # ad hoc Cypher: rows returned at most
    expensive_per_minute: int = 60  # per key and worker: ad hoc Cypher, named queries, CSV exports

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

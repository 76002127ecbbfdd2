"""API keys: roles, optional scope, stored hashed in Neo4j, checked in constant time.

A key reads `dl_<id>_<secret>`: the id finds the stored record, the secret (256 random bits) is
kept only as its SHA-256 (a fast hash is enough for a random secret of that size: there is nothing
to brute-force), and is compared with `hmac.compare_digest`. Keys are never logged; the full key is
printed once, when it is created.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any, Literal

from neo4j import Driver

from graph_service.analytics.service import published
from graph_service.db.queries import cypher
from graph_service.errors import BadRequest, NotFound

Role = Literal["viewer", "analyst", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "analyst", "admin")  # each can do what those before it can
PREFIX = "dl"


@dataclass(frozen=True)
class ApiKey:
    id: str
    role: Role
    scope: str | None  # a distributor id: the key sees that distributor and their downline only
    name: str | None
    created: str | None
    revoked: str | None = None

    def allows(self, role: Role) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "role": self.role,
            "scope": self.scope,
            "name": self.name,
            "created": self.created,
            "revoked": self.revoked,
        }


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _key(row: dict[str, Any]) -> ApiKey:
    return ApiKey(
        id=row["id"],
        role=row["role"],
        scope=row["scope"],
        name=row["name"],
        created=row["created"],
        revoked=row["revoked"],
    )


def create_key(
    driver: Driver, database: str, *, role: str, scope: str | None = None, name: str | None = None
) -> tuple[str, ApiKey]:
    """A new key: (the key text, shown once; its record). The scope must be a known distributor."""
    if role not in ROLES:
        raise BadRequest(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if scope is not None:
        gen = published(driver, database).gen
        found, _, _ = driver.execute_query(
            cypher("analytics/names"), ids=[scope], gen=gen, database_=database, routing_="r"
        )
        if not found:
            raise NotFound(f"no distributor with id {scope!r} to scope the key to")
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    records, _, _ = driver.execute_query(
        cypher("keys/create"),
        id=key_id,
        hash=_digest(secret),
        role=role,
        scope=scope,
        name=name,
        database_=database,
    )
    return f"{PREFIX}_{key_id}_{secret}", _key(records[0].data())


def list_keys(driver: Driver, database: str) -> list[ApiKey]:
    records, _, _ = driver.execute_query(cypher("keys/list"), database_=database, routing_="r")
    return [_key(r.data()) for r in records]


def revoke_key(driver: Driver, database: str, key_id: str) -> ApiKey:
    records, _, _ = driver.execute_query(cypher("keys/revoke"), id=key_id, database_=database)
    forget_verified()
    if not records:
        raise NotFound(f"no API key with id {key_id!r}")
    return _key(records[0].data())


def parse(token: str) -> tuple[str, str] | None:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


# Verified keys are remembered for a few seconds per process (keyed by the secret's digest), so a
# busy client costs one Neo4j round trip per request, not two. A revocation made through this
# process is seen at once; one made elsewhere (another worker, the CLI) within VERIFIED_TTL_S.
VERIFIED_TTL_S = 5.0
_verified: dict[str, tuple[float, ApiKey]] = {}


def forget_verified() -> None:
    _verified.clear()


def verify(driver: Driver, database: str, token: str) -> ApiKey | None:
    """The key's record if `token` is a valid, unrevoked key; None otherwise."""
    parsed = parse(token)
    if parsed is None:
        return None
    key_id, secret = parsed
    digest = _digest(secret)
    remembered = _verified.get(digest)
    now = time.monotonic()
    if remembered is not None and remembered[0] > now and remembered[1].id == key_id:
        return remembered[1]
    found = _lookup(driver, database, key_id, secret)
    if found is not None:
        if len(_verified) > 10_000:
            _verified.clear()
        _verified[digest] = (now + VERIFIED_TTL_S, found)
    return found


def _lookup(driver: Driver, database: str, key_id: str, secret: str) -> ApiKey | None:
    records, _, _ = driver.execute_query(cypher("keys/get"), id=key_id, database_=database, routing_="r")
    # compare even when the id is unknown, so timing does not tell ids apart
    stored = records[0]["hash"] if records else "0" * 64
    if not hmac.compare_digest(_digest(secret), stored) or not records:
        return None
    key = _key(records[0].data())
    return None if key.revoked else key

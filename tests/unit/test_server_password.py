"""The local server's generated password (graph_service/db/server.py)."""

from __future__ import annotations

from graph_service.db.server import new_password


def test_a_generated_password_is_never_read_as_an_option() -> None:
    # token_urlsafe starts with "-" one time in 64: neo4j-admin then took it for an option
    passwords = {new_password() for _ in range(2_000)}
    assert len(passwords) == 2_000
    assert not any(p.startswith("-") for p in passwords)
    assert min(len(p) for p in passwords) >= 32

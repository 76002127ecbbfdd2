"""Applies cypher/schema.cypher (constraints and indexes) idempotently and waits for them."""

from __future__ import annotations

from neo4j import Driver, Query

from graph_service.db.queries import statements


def ensure_schema(driver: Driver, database: str) -> None:
    with driver.session(database=database) as session:
        for text in statements("schema"):
            session.run(Query(text)).consume()
        session.run("CALL db.awaitIndexes(300)").consume()

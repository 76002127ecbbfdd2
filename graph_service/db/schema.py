"""Applies cypher/schema.cypher (constraints and indexes) idempotently and waits for them."""

from __future__ import annotations

from neo4j import Driver, Query

from graph_service.db.queries import statements


def create_schema(driver: Driver, database: str) -> None:
    """Create what is missing; new indexes fill in the background."""
    with driver.session(database=database) as session:
        for text in statements("schema"):
            session.run(Query(text)).consume()


def ensure_schema(driver: Driver, database: str) -> None:
    create_schema(driver, database)
    with driver.session(database=database) as session:
        session.run("CALL db.awaitIndexes(300)").consume()

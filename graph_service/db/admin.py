"""Whole-database chores: head-counts and `db reset`."""

from __future__ import annotations

from typing import Any

from neo4j import Driver, RoutingControl

from graph_service.db.queries import query

DELETE_BATCH = 20_000


def delete_all(driver: Driver, *, database: str) -> int:
    """Delete every node in batches (a million-node graph does not fit one transaction's memory)."""
    total = 0
    while True:
        records, _, _ = driver.execute_query(
            query("admin/delete_batch"), limit=DELETE_BATCH, database_=database, routing_=RoutingControl.WRITE
        )
        deleted = int(records[0]["deleted"])
        total += deleted
        if deleted == 0:
            return total


def counts(driver: Driver, *, database: str) -> dict[str, Any]:
    records, _, _ = driver.execute_query(
        query("admin/counts"), database_=database, routing_=RoutingControl.READ
    )
    row = records[0]
    return {
        "distributors": int(row["distributors"]),
        "orders": int(row["orders"]),
        "periods": sorted(row["periods"]),
    }

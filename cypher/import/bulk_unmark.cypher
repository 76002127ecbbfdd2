// Removes the node the bulk load's catch-up transactions wrote (import/bulk_mark.cypher).
MATCH (m:BulkMark)
DELETE m

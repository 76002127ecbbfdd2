// Removes the node the bulk load's catch-up transactions wrote (import/bulk_mark.cypher).
// Parameters: none.
MATCH (m:BulkMark)
DELETE m

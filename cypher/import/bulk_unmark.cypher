// Removes the nodes the bulk load's catch-up transactions wrote (import/bulk_mark.cypher): one
// a transaction, tens of thousands at most.
// Parameters: none.
MATCH (m:BulkMark)
DELETE m

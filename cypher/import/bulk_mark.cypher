// The tiny write transactions after a bulk load (graph_service/ingest/bulk.py `_catch_up`): count
// the new store's transactions up past the old store's, so bookmarks of the old one still hold.
// Each inner transaction commits on its own (one transaction id each), all in one request and
// sixteen at a time, so their commits share log flushes: about 4,000 a second on the 2-core
// machine, against 270 with one round trip each. import/bulk_unmark.cypher removes the nodes.
// Parameters: $transactions.
UNWIND range(1, $transactions) AS i
CALL (i) {
  CREATE (:BulkMark {i: i})
} IN 16 CONCURRENT TRANSACTIONS OF 1 ROWS

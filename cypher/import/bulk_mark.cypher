// One tiny write transaction after a bulk load (graph_service/ingest/bulk.py `_catch_up`): counts
// the new store's transactions up past the old store's, so bookmarks of the old one still hold.
// Parameters: $i.
MERGE (m:BulkMark {id: 1})
SET m.i = $i

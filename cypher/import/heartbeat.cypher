// Keeps the import lease alive between batches.
// Parameters: $holder. Returns held (bool): false if another import took the lease over.
OPTIONAL MATCH (l:ImportLock {id: 1, holder: $holder})
SET l.heartbeat = datetime()
RETURN l IS NOT NULL AS held

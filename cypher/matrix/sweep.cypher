// Clears matrix positions that were never published: run only when no MatrixConfig exists (no
// placement was ever published), so every position found belongs to a crashed placing import.
// Runs as its own (auto-commit) statement, in committed batches.
// Parameters: none. Returns cleared (positions removed).
// Index: none (a scan of the distributors, once, on a database loaded before the matrix).
MATCH (d:Distributor)
WHERE d.matrix_seq IS NOT NULL
CALL (d) {
  OPTIONAL MATCH ()-[r:MATRIX]->(d)
  DELETE r
  REMOVE d.matrix_parent_id, d.matrix_seq, d.matrix_depth
} IN TRANSACTIONS OF 10000 ROWS
RETURN count(*) AS cleared

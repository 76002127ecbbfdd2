// Writes matrix positions of already published distributors (a database loaded before the
// matrix existed). Readers ignore them until MatrixConfig exists (cypher/matrix/record.cypher,
// written when the import publishes); a crash before that leaves them to cypher/matrix/sweep.
// Parameters: $rows [{id, parent (null for a matrix root), seq, depth}].
// Index: constraint distributor_id (two seeks per row).
UNWIND $rows AS row
MATCH (d:Distributor {id: row.id})
SET d.matrix_parent_id = row.parent, d.matrix_seq = row.seq, d.matrix_depth = row.depth
WITH d, row
WHERE row.parent IS NOT NULL
MATCH (p:Distributor {id: row.parent})
CREATE (p)-[:MATRIX {seq: row.seq}]->(d)

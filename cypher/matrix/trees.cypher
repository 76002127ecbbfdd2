// The matrix positions of whole matrices, one per root of the sponsor tree (a member's matrix is
// the one of their sponsor-tree root): what an import needs to place newcomers under them.
// Parameters: $roots (root ids), $published (the published generation).
// Returns one row per root that has positions: root, ids, seqs (matrix_seq), parents (the
//         parent's matrix_seq, -1 for the matrix root), three aligned lists.
// Index: distributor_root (root_id seek), then one MATRIX relationship per member.
UNWIND $roots AS root
MATCH (d:Distributor {root_id: root})
WHERE d.gen <= $published AND d.matrix_seq IS NOT NULL
OPTIONAL MATCH (p:Distributor)-[:MATRIX]->(d)
RETURN root, collect(d.id) AS ids, collect(d.matrix_seq) AS seqs,
       collect(coalesce(p.matrix_seq, -1)) AS parents

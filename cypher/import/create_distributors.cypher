// Creates new distributors and links each to its sponsor and to its matrix parent. Rows come in
// matrix placement order, which puts every sponsor and every matrix parent before the members
// under them: each exists, created earlier in the same transaction or before.
// Staged under generation $gen: invisible to readers until the import publishes (a MATRIX link
// from a visible parent to a staged child is hidden with the child).
// Their binary placement (parent id and side) is set here too; the PLACES links follow in
// create_placements once every parent exists.
// Parameters: $rows [{id, sponsor_id, name, country, joined_on, depth, root_id,
//             placement_parent_id, placement_side, matrix_parent_id, matrix_seq, matrix_depth}],
//             $import_id, $gen.
// Index: constraint distributor_id (sponsor seek, and matrix parent seek when it is not the sponsor).
UNWIND $rows AS row
CREATE (d:Distributor {
  id: row.id, sponsor_id: row.sponsor_id, name: row.name, country: row.country,
  joined_on: row.joined_on, depth: row.depth, root_id: row.root_id, placement_parent_id: row.placement_parent_id,
  placement_side: row.placement_side, matrix_parent_id: row.matrix_parent_id, matrix_seq: row.matrix_seq,
  matrix_depth: row.matrix_depth, import_id: $import_id, gen: $gen
})
WITH d, row
CALL (d, row) {
  WITH d, row
  WHERE row.sponsor_id IS NOT NULL
  MATCH (s:Distributor {id: row.sponsor_id})
  CREATE (s)-[:SPONSORS]->(d)
  WITH s, d, row
  WHERE row.matrix_parent_id = row.sponsor_id  // most often: no second seek
  CREATE (s)-[:MATRIX {seq: row.matrix_seq}]->(d)
}
CALL (d, row) {
  WITH d, row
  WHERE row.matrix_parent_id <> row.sponsor_id  // spilled under someone else (null: a root)
  MATCH (p:Distributor {id: row.matrix_parent_id})
  CREATE (p)-[:MATRIX {seq: row.matrix_seq}]->(d)
}

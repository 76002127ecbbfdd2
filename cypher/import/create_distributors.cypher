// Creates new distributors and links each to its sponsor (rows come sponsors first, so every
// sponsor exists, created earlier in the same transaction or before).
// Staged under generation $gen: invisible to readers until the import publishes.
// Their placement (parent id and side) is set here too; the PLACES links follow in
// create_placements once every parent exists.
// Parameters: $rows [{id, sponsor_id, name, country, joined_on, depth, root_id,
//             placement_parent_id, placement_side}], $import_id, $gen.
// Index: constraint distributor_id (sponsor seek).
UNWIND $rows AS row
CREATE (d:Distributor {
  id: row.id, sponsor_id: row.sponsor_id, name: row.name, country: row.country,
  joined_on: row.joined_on, depth: row.depth, root_id: row.root_id, placement_parent_id: row.placement_parent_id,
  placement_side: row.placement_side, import_id: $import_id,
  gen: $gen
})
WITH d, row
WHERE row.sponsor_id IS NOT NULL
MATCH (s:Distributor {id: row.sponsor_id})
CREATE (s)-[:SPONSORS]->(d)

// Placement ancestors of existing distributors, nearest first (to refuse placement cycles).
// Parameters: $ids. Returns (id, ancestors).
// Index: constraint distributor_id; walks PLACES upwards (depth of the binary tree).
UNWIND $ids AS id
MATCH (d:Distributor {id: id})
OPTIONAL MATCH p = (top:Distributor)-[:PLACES*1..]->(d)
WHERE NOT EXISTS { ()-[:PLACES]->(top) }
RETURN id, CASE WHEN p IS NULL THEN [] ELSE [n IN reverse(nodes(p))[1..] | n.id] END AS ancestors

// Display names of the given distributors.
// Parameters: $ids, $gen. Returns rows id, name.
// Index: constraint distributor_id.
UNWIND $ids AS id
MATCH (d:Distributor {id: id})
WHERE d.gen <= $gen
RETURN d.id AS id, d.name AS name

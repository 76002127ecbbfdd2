// The published generation: readers see distributors and orders with gen <= this number.
// Parameters: none. Returns gen (0 on an empty database).
// A read: the node is created by the first publication (import/publish.cypher).
OPTIONAL MATCH (p:Publication {id: 1})
RETURN coalesce(p.gen, 0) AS gen

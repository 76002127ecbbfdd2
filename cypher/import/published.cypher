// The published generation: readers see distributors and orders with gen <= this number.
// Parameters: none. Returns gen (0 on an empty database).
MERGE (p:Publication {id: 1})
ON CREATE SET p.gen = 0
RETURN p.gen AS gen

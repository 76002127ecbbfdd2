// Distributors whose id or (when $by_name) name starts with $q (names also with a capital first
// letter), at most $limit, inside the scope [$lo, $hi] of the live slot when $lo is not null.
// Parameters: $q, $q_title, $by_name, $gen, $k, $lo, $hi, $limit.
// Returns rows id, name, sponsor_id, depth, size.
// Index: constraint distributor_id (id prefix), text index distributor_name (name prefix).
CALL () {
  MATCH (d:Distributor) WHERE d.id STARTS WITH $q RETURN d
  UNION
  MATCH (d:Distributor) WHERE $by_name AND d.name STARTS WITH $q RETURN d
  UNION
  MATCH (d:Distributor) WHERE $by_name AND d.name STARTS WITH $q_title RETURN d
}
WITH d
WHERE d.gen <= $gen AND ($lo IS NULL OR (d[$k.pre] >= $lo AND d[$k.pre] <= $hi))
RETURN d.id AS id, d.name AS name, d.sponsor_id AS sponsor_id, d.depth AS depth, d[$k.size] AS size
ORDER BY size DESC, id
LIMIT $limit

// How many members of the range ($lo, $hi] pass the filters of cypher/analytics/downline.cypher
// (used only when the rollup cannot answer it directly: a search, or level and activity together).
// Parameters: $slot, $gen, $k, $i, $lo, $hi, $depth, $active_only, $active, $search.
// Returns total.
MATCH (m:Distributor)
WHERE m[$k.pre] > $lo AND m[$k.pre] <= $hi
  AND m.gen <= $gen
  AND ($depth IS NULL OR m.depth = $depth)
  AND ($active_only IS NULL OR (CASE WHEN $i < 0 THEN 0 ELSE m[$k.pv][$i] END >= $active) = $active_only)
  AND ($search IS NULL OR toLower(m.id) STARTS WITH $search OR toLower(m.name) STARTS WITH $search)
RETURN count(m) AS total

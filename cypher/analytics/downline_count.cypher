// How many members of the range ($lo, $hi] pass the filters of cypher/analytics/downline.cypher
// (used only when the rollup cannot answer it directly: a search, or level and activity together).
// One branch per slot, so each uses its own `pre` index (a range seek, not a scan).
// Parameters: $slot, $gen, $k, $i, $lo, $hi, $depth, $active_only, $active, $search, $by_name.
// Returns total.
// Index: distributor_pre_0 / distributor_pre_1.
CALL () {
  WITH 1 AS one
  WHERE $slot = 0
  MATCH (m:Distributor)
  WHERE m.r0_pre > $lo AND m.r0_pre <= $hi
    AND m.gen <= $gen
    AND ($depth IS NULL OR m.depth = $depth)
    AND ($active_only IS NULL OR (CASE WHEN $i < 0 THEN 0 ELSE m.r0_pv[$i] END >= $active) = $active_only)
    AND ($search IS NULL OR toLower(m.id) STARTS WITH $search OR ($by_name AND toLower(m.name) STARTS WITH $search))
  RETURN count(m) AS n
  UNION ALL
  WITH 1 AS one
  WHERE $slot = 1
  MATCH (m:Distributor)
  WHERE m.r1_pre > $lo AND m.r1_pre <= $hi
    AND m.gen <= $gen
    AND ($depth IS NULL OR m.depth = $depth)
    AND ($active_only IS NULL OR (CASE WHEN $i < 0 THEN 0 ELSE m.r1_pv[$i] END >= $active) = $active_only)
    AND ($search IS NULL OR toLower(m.id) STARTS WITH $search OR ($by_name AND toLower(m.name) STARTS WITH $search))
  RETURN count(m) AS n
}
RETURN sum(n) AS total

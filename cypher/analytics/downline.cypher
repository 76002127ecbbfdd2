// A page of a downline in depth-first tree order: the members numbered in ($lo, $hi] in the live
// slot (a range seek on the slot's `pre` index, read in index order, stopped at $limit rows).
// One branch per slot, so each uses its own index with static property names.
// Filters (each null to skip): $depth (absolute depth: the level asked + the distributor's depth),
// $active_only (PV in the period >= $active), $search (lower-case prefix of id, or of name
// when $by_name).
// Parameters: $slot, $gen, $k, $i, $lo, $hi, $depth, $active_only, $active, $search, $by_name, $limit.
// Returns rows pre, id, name, sponsor_id, depth, pv, gv, size, joined_on, country.
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
  RETURN m, m.r0_pre AS pre
  ORDER BY m.r0_pre
  LIMIT $limit
  UNION ALL
  WITH 1 AS one
  WHERE $slot = 1
  MATCH (m:Distributor)
  WHERE m.r1_pre > $lo AND m.r1_pre <= $hi
    AND m.gen <= $gen
    AND ($depth IS NULL OR m.depth = $depth)
    AND ($active_only IS NULL OR (CASE WHEN $i < 0 THEN 0 ELSE m.r1_pv[$i] END >= $active) = $active_only)
    AND ($search IS NULL OR toLower(m.id) STARTS WITH $search OR ($by_name AND toLower(m.name) STARTS WITH $search))
  RETURN m, m.r1_pre AS pre
  ORDER BY m.r1_pre
  LIMIT $limit
}
RETURN pre, m.id AS id, m.name AS name, m.sponsor_id AS sponsor_id, m.depth AS depth,
       CASE WHEN $i < 0 THEN 0 ELSE m[$k.pv][$i] END AS pv,
       CASE WHEN $i < 0 THEN 0 ELSE m[$k.gv][$i] END AS gv,
       m[$k.size] AS size, toString(m.joined_on) AS joined_on, m.country AS country
ORDER BY pre

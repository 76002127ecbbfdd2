// Every member of a scope [$lo, $hi] (a distributor and their downline) with their rolled-up
// figures: a range seek on the live slot's `pre` index (one branch per slot, as in downline.cypher).
// Network statistics over a scoped API key are aggregated from these rows.
// Parameters: $slot, $gen, $lo, $hi, $k.
// Returns rows id, depth, joined (YYYY-MM or null), frontline, size, pv, gv, maxleg (lists per period).
CALL () {
  WITH 1 AS one
  WHERE $slot = 0
  MATCH (m:Distributor)
  WHERE m.r0_pre >= $lo AND m.r0_pre <= $hi
  RETURN m
  UNION ALL
  WITH 1 AS one
  WHERE $slot = 1
  MATCH (m:Distributor)
  WHERE m.r1_pre >= $lo AND m.r1_pre <= $hi
  RETURN m
}
WITH m
WHERE m.gen <= $gen
RETURN m.id AS id, m.depth AS depth, substring(toString(m.joined_on), 0, 7) AS joined,
       coalesce(m[$k.levels][0], 0) AS frontline, m[$k.size] AS size, m[$k.pv] AS pv, m[$k.gv] AS gv,
       m[$k.maxleg] AS maxleg

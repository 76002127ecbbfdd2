// The members of a scope [$lo, $hi] (a distributor and their downline, numbered in the live slot)
// of data generation $gen, with the sponsor and join month: network health over a scoped key's
// organisation. One branch per slot so that each is a range seek on its `pre` index (as
// cypher/analytics/scope_members.cypher).
// Parameters: $slot, $gen, $lo, $hi.
// Returns one row of lists aligned by position: ids, sponsors ('' for a root), joined ('YYYY-MM',
// '' without joined_on).
// Index: distributor_pre_0 / distributor_pre_1 (range seek).
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
RETURN collect(m.id) AS ids, collect(coalesce(m.sponsor_id, '')) AS sponsors,
       collect(coalesce(substring(toString(m.joined_on), 0, 7), '')) AS joined

// Query: stalled_branches
// Title: Stalled branches
// Description: Frontline members of a distributor whose whole leg (they and everyone below them)
//   has had no volume in the last `months` periods with orders up to the period: nobody's PV
//   differs from 0 in any of them. Largest legs first.
// Param: id id required  -- the distributor whose legs are looked at
// Param: months int optional 3 1..120  -- how many of the latest periods with orders to look at
// Param: period period optional  -- YYYY-MM, the last period looked at, default the latest with orders
// Param: limit int optional 100 1..10000  -- rows at most
// Parameters (system, set by the service): $gen, $k, $period, $periods, $scope_lo, $scope_hi.
// Returns rows leg (the frontline member's id), name, size (members of the leg), since (the first
//   period of the window looked at; null when no period has orders), last_volume_period (the last
//   period up to $period in which the leg's GV was not 0, null if never). Ordered by size
//   descending, then leg id.
// Legs whose GV is 0 in every period of the window are then walked to make sure no one's PV
// differs from 0 (refunds can cancel volume out within a leg). Index: constraint distributor_id.
MATCH (d:Distributor {id: $id})
WHERE d.gen <= $gen
WITH d, [j IN range(0, size($periods) - 1) WHERE $periods[j] <= $period] AS upto
WITH d, upto, CASE WHEN size(upto) > $months THEN size(upto) - $months ELSE 0 END AS start
WITH d, upto, upto[start..] AS window
MATCH (d)-[:SPONSORS]->(c:Distributor)
WHERE c.gen <= $gen
  AND ($scope_lo IS NULL OR (c[$k.pre] >= $scope_lo AND c[$k.pre] <= $scope_hi))
  AND all(j IN window WHERE c[$k.gv][j] = 0)
WITH c, upto, window
WHERE NOT EXISTS {
  MATCH (c)-[:SPONSORS*0..]->(m:Distributor)
  WHERE m.gen <= $gen AND any(j IN window WHERE m[$k.pv][j] <> 0)
}
RETURN c.id AS leg, c.name AS name, c[$k.size] + 1 AS size,
       CASE WHEN size(window) = 0 THEN null ELSE $periods[window[0]] END AS since,
       last([j IN upto WHERE c[$k.gv][j] <> 0 | $periods[j]]) AS last_volume_period
ORDER BY size DESC, leg
LIMIT $limit

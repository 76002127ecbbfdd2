// Query: volume_by_country_and_level
// Title: Downline volume by country and level
// Description: A distributor's downline in the period grouped by country and level (1 = the
//   frontline): members, active members and their PV.
// Param: id id required  -- the distributor whose downline is grouped
// Param: period period optional  -- YYYY-MM, default the latest period with orders
// Parameters (system, set by the service): $gen, $k, $i, $active, $scope_lo, $scope_hi.
// Returns rows country (null when unknown), level, members, active (PV >= $active), pv (the sum
//   of their PV; PV as a float, toFloat(ten-thousandths) / 10000.0). Ordered by level, then
//   country (unknown last).
// Walks the downline once (O(downline size)). Index: constraint distributor_id.
MATCH (d:Distributor {id: $id})
WHERE d.gen <= $gen
MATCH (d)-[:SPONSORS*1..]->(m:Distributor)
WHERE m.gen <= $gen
  AND ($scope_lo IS NULL OR (m[$k.pre] >= $scope_lo AND m[$k.pre] <= $scope_hi))
WITH m.country AS country, m.depth - d.depth AS level,
     CASE WHEN $i < 0 THEN 0 ELSE m[$k.pv][$i] END AS pv
RETURN country, level, count(*) AS members,
       sum(CASE WHEN pv >= $active THEN 1 ELSE 0 END) AS active,
       toFloat(sum(pv)) / 10000.0 AS pv
ORDER BY level, country

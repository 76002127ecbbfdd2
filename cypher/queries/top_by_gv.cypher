// Query: top_by_gv
// Title: Top by group volume
// Description: The distributors with the largest GV in the period (within the caller's scope),
//   ties by id.
// Param: period period optional  -- YYYY-MM, default the latest period with orders
// Param: limit int optional 10 1..10000  -- rows at most
// Parameters (system, set by the service): $gen, $k, $i, $scope_lo, $scope_hi.
// Returns rows id, name, gv, pv, downline_size, depth. Volumes: PV as floats,
//   toFloat(ten-thousandths) / 10000.0. Ordered by gv descending, then id.
// Reads every distributor (in the scope): no index orders by a period's GV.
MATCH (d:Distributor)
WHERE d.gen <= $gen
  AND ($scope_lo IS NULL OR (d[$k.pre] >= $scope_lo AND d[$k.pre] <= $scope_hi))
WITH d,
     CASE WHEN $i < 0 THEN 0 ELSE d[$k.gv][$i] END AS gv,
     CASE WHEN $i < 0 THEN 0 ELSE d[$k.pv][$i] END AS pv
ORDER BY gv DESC, d.id
LIMIT $limit
RETURN d.id AS id, d.name AS name, toFloat(gv) / 10000.0 AS gv, toFloat(pv) / 10000.0 AS pv,
       d[$k.size] AS downline_size, d.depth AS depth
ORDER BY gv DESC, id

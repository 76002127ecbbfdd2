// Query: rank_candidates
// Title: Rank candidates
// Description: Distributors whose GV in the period is at least min_gv and whose PV is at least
//   min_pv, with their strongest-leg share (how much of the leg volume one leg brings). Largest
//   GV first.
// Param: min_gv float required  -- group volume at least (PV)
// Param: min_pv float optional 0  -- personal volume at least (PV)
// Param: period period optional  -- YYYY-MM, default the latest period with orders
// Param: limit int optional 100 1..10000  -- rows at most
// Parameters (system, set by the service): $gen, $k, $i, $scope_lo, $scope_hi.
// Returns rows id, name, pv, gv, frontline (members), downline_size, strongest_leg_share (the
//   largest leg volume over the sum of leg volumes, GV - PV; 0 with no legs or a zero sum).
//   Volumes: PV as floats, toFloat(ten-thousandths) / 10000.0; the thresholds are compared with
//   those floats, which is exact for decimals of up to four places. Ordered by gv descending, id.
// Reads every distributor (in the scope): no index orders by a period's GV.
MATCH (d:Distributor)
WHERE d.gen <= $gen
  AND ($scope_lo IS NULL OR (d[$k.pre] >= $scope_lo AND d[$k.pre] <= $scope_hi))
WITH d,
     CASE WHEN $i < 0 THEN 0 ELSE d[$k.pv][$i] END AS pv,
     CASE WHEN $i < 0 THEN 0 ELSE d[$k.gv][$i] END AS gv,
     CASE WHEN $i < 0 THEN 0 ELSE d[$k.maxleg][$i] END AS maxleg
WHERE toFloat(gv) / 10000.0 >= $min_gv AND toFloat(pv) / 10000.0 >= $min_pv
RETURN d.id AS id, d.name AS name, toFloat(pv) / 10000.0 AS pv, toFloat(gv) / 10000.0 AS gv,
       coalesce(d[$k.levels][0], 0) AS frontline, d[$k.size] AS downline_size,
       CASE WHEN d[$k.levels] IS NULL OR gv - pv = 0 THEN 0.0
            ELSE toFloat(maxleg) / toFloat(gv - pv) END AS strongest_leg_share
ORDER BY gv DESC, id
LIMIT $limit

// Query: inactive_legs
// Title: Inactive legs
// Description: Frontline legs of a distributor with no active member in the period: neither the
//   frontline member nor anyone below them has PV at the active threshold. Largest leg volume first.
// Param: id id required  -- the distributor whose legs are looked at
// Param: period period optional  -- YYYY-MM, default the latest period with orders
// Param: limit int optional 100 1..10000  -- rows at most
// Parameters (system, set by the service): $gen, $k, $i, $active, $rollup_active, $scope_lo, $scope_hi.
// Returns rows leg (the frontline member's id), name, size (members of the leg: the frontline member
//   and their downline), gv (the leg's volume in the period). Volumes: PV as floats,
//   toFloat(ten-thousandths) / 10000.0. Ordered by gv descending, then leg id.
// The rollup's active-downline count (`act`) answers when it was counted with the threshold asked
// for; with another threshold each leg is walked until an active member turns up.
// Index: constraint distributor_id.
MATCH (d:Distributor {id: $id})
WHERE d.gen <= $gen
MATCH (d)-[:SPONSORS]->(c:Distributor)
WHERE c.gen <= $gen
  AND ($scope_lo IS NULL OR (c[$k.pre] >= $scope_lo AND c[$k.pre] <= $scope_hi))
WITH c,
     CASE WHEN $i < 0 THEN 0 ELSE c[$k.pv][$i] END AS pv,
     CASE WHEN $i < 0 THEN 0 ELSE c[$k.gv][$i] END AS gv,
     CASE WHEN $i < 0 THEN 0 ELSE c[$k.act][$i] END AS act
WHERE pv < $active
WITH c, gv, act
WHERE CASE
  // no orders that month: nobody below has PV either, and 0 < $active (c passed above)
  WHEN $i < 0 THEN true
  WHEN $active = $rollup_active THEN act = 0
  ELSE NOT EXISTS {
    MATCH (c)-[:SPONSORS*1..]->(m:Distributor)
    WHERE m.gen <= $gen AND m[$k.pv][$i] >= $active
  }
END
RETURN c.id AS leg, c.name AS name, c[$k.size] + 1 AS size, toFloat(gv) / 10000.0 AS gv
ORDER BY gv DESC, leg
LIMIT $limit

// Query: recruiters_of_the_month
// Title: Recruiters of the month
// Description: Sponsors by the number of their recruits who joined in the period (joined_on in
//   that month), with how many of those recruits are active in it. Most recruits first.
// Param: period period optional  -- YYYY-MM, default the latest period with orders
// Param: limit int optional 10 1..10000  -- sponsors at most
// Parameters (system, set by the service): $gen, $k, $i, $period, $active, $scope_lo, $scope_hi.
// Returns rows id, name (the sponsor), recruits, active_recruits (PV in the period >= $active).
//   Ordered by recruits descending, then id.
// Reads every distributor's joined_on (no index on it).
WITH date($period + '-01') AS first
MATCH (r:Distributor)
WHERE r.gen <= $gen AND r.joined_on >= first AND r.joined_on < first + duration('P1M')
MATCH (s:Distributor)-[:SPONSORS]->(r)
WHERE s.gen <= $gen
  AND ($scope_lo IS NULL OR (s[$k.pre] >= $scope_lo AND s[$k.pre] <= $scope_hi))
WITH s, count(r) AS recruits,
     sum(CASE WHEN (CASE WHEN $i < 0 THEN 0 ELSE r[$k.pv][$i] END) >= $active THEN 1 ELSE 0 END)
       AS active_recruits
RETURN s.id AS id, s.name AS name, recruits, active_recruits
ORDER BY recruits DESC, id
LIMIT $limit

// Per period, from the rolled-up figures: who is active, and the leg balance of everyone with legs
// and a positive leg volume (bucket = floor(10 * strongest leg / sum of legs), 9 at most; -1 for
// the others). Exact: integer arithmetic on ten-thousandths.
// Parameters: $gen, $periods, $active, $k {pv, gv, maxleg, levels}.
// Returns rows i (index into $periods), active (boolean), bucket, distributors.
MATCH (d:Distributor)
WHERE d.gen <= $gen
WITH d[$k.pv] AS pv, d[$k.gv] AS gv, d[$k.maxleg] AS maxleg, size(d[$k.levels]) > 0 AS has_legs
UNWIND range(0, size($periods) - 1) AS i
WITH i, pv[i] >= $active AS active,
     CASE WHEN has_legs AND gv[i] - pv[i] > 0
       THEN CASE WHEN 10 * maxleg[i] / (gv[i] - pv[i]) > 9 THEN 9 ELSE 10 * maxleg[i] / (gv[i] - pv[i]) END
       ELSE -1 END AS bucket
RETURN i, active, bucket, count(*) AS distributors

// The distributors with the largest GV in the period $periods[$i] ($i = -1: a period without
// orders, where everyone's GV is 0): the first $top, plus everyone tied with the last of them,
// at most $most rows, in GV order then id order (the caller orders ties by code point).
// Parameters: $gen, $i, $top, $most, $k {gv, pv, size}.
// Returns rows id, gv, pv, size.
CALL () {
  MATCH (d:Distributor)
  WHERE d.gen <= $gen
  WITH CASE WHEN $i < 0 THEN 0 ELSE d[$k.gv][$i] END AS gv
  ORDER BY gv DESC
  LIMIT $top
  RETURN min(gv) AS cut
}
MATCH (d:Distributor)
WHERE d.gen <= $gen AND CASE WHEN $i < 0 THEN 0 ELSE d[$k.gv][$i] END >= cut
WITH d, CASE WHEN $i < 0 THEN 0 ELSE d[$k.gv][$i] END AS gv
ORDER BY gv DESC, d.id
LIMIT $most
RETURN d.id AS id, gv, CASE WHEN $i < 0 THEN 0 ELSE d[$k.pv][$i] END AS pv, d[$k.size] AS size

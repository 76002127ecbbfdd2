// The distributors with the largest GV in the period $periods[$i]: the first $top, plus everyone
// tied with the last of them (the caller orders ties by id), at most $most rows.
// Parameters: $gen, $i, $top, $most, $k {gv, pv, size}.
// Returns rows id, gv, pv, size.
CALL () {
  MATCH (d:Distributor)
  WHERE d.gen <= $gen
  WITH d[$k.gv][$i] AS gv
  ORDER BY gv DESC
  LIMIT $top
  RETURN min(gv) AS cut
}
MATCH (d:Distributor)
WHERE d.gen <= $gen AND d[$k.gv][$i] >= cut
WITH d, d[$k.gv][$i] AS gv
ORDER BY gv DESC
LIMIT $most
RETURN d.id AS id, gv, d[$k.pv][$i] AS pv, d[$k.size] AS size

// Where a distributor sits in the live rollup: the frame of a downline listing.
// Parameters: $id, $gen, $k (live slot names), $i (period index or -1).
// Returns one row (none for an unknown id): depth, pre, size, levels, act. A member without
// downline stores no levels list (cypher/rollup/write.cypher): [] here.
MATCH (d:Distributor {id: $id})
WHERE d.gen <= $gen
RETURN d.depth AS depth, d[$k.pre] AS pre, d[$k.size] AS size, coalesce(d[$k.levels], []) AS levels,
       CASE WHEN $i < 0 THEN null ELSE d[$k.act][$i] END AS act

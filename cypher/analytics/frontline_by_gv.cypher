// The frontline of each distributor in $ids ranked by GV in the period (largest first, ties by
// id): members $skip .. $skip + $limit - 1 of that order, and how many the frontline holds. The
// dashboard's explorer expands a node with it (and pages in "N more"), the downline window of the
// legs page takes it level by level. Only the frontline is read (one hop from each distributor,
// sorted here), never the downline below it, so expanding a root of a million costs what its
// frontline costs.
// Parameters: $ids (distributor ids), $gen, $k (live slot names), $i (period index or -1),
//             $skip, $limit.
// Returns one row per id found: parent, total (frontline size), children (a list of maps id, name,
//         sponsor_id, depth, pv, gv, size, joined_on, country; volumes in ten-thousandths).
// Index: constraint distributor_id.
UNWIND $ids AS pid
MATCH (p:Distributor {id: pid})
WHERE p.gen <= $gen
CALL (p) {
  OPTIONAL MATCH (p)-[:SPONSORS]->(c:Distributor)
  WHERE c.gen <= $gen
  WITH c, CASE WHEN c IS NULL OR $i < 0 THEN 0 ELSE coalesce(c[$k.gv][$i], 0) END AS gv
  ORDER BY gv DESC, c.id
  RETURN count(c) AS total, collect(c)[$skip..$skip + $limit] AS page
}
RETURN p.id AS parent, total,
       [c IN page | c {.id, .name, .sponsor_id, .depth, .country,
                       joined_on: toString(c.joined_on),
                       pv: CASE WHEN $i < 0 THEN 0 ELSE coalesce(c[$k.pv][$i], 0) END,
                       gv: CASE WHEN $i < 0 THEN 0 ELSE coalesce(c[$k.gv][$i], 0) END,
                       size: coalesce(c[$k.size], 0)}] AS children

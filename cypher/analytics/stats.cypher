// One distributor's figures for one period, read from the live rollup (a few property reads and
// one hop to the frontline: as fast for a root with a million below as for anyone).
// Parameters: $id, $gen (published), $k (property names of the live slot, see
//             cypher/rollup/level.cypher), $i (index of the period in the rollup's periods, -1
//             when the period has no orders).
// Returns one row (none for an unknown id): id, name, sponsor_id, depth, pv, gv, act, size,
//         height, dsum, levels, legs [[id, gv, size]] (volumes in ten-thousandths).
// Index: constraint distributor_id.
MATCH (d:Distributor {id: $id})
WHERE d.gen <= $gen
CALL (d) {
  MATCH (d)-[:SPONSORS]->(c:Distributor)
  WHERE c.gen <= $gen
  RETURN collect([c.id, CASE WHEN $i < 0 THEN 0 ELSE c[$k.gv][$i] END, c[$k.size] + 1]) AS legs
}
RETURN d.id AS id, d.name AS name, d.sponsor_id AS sponsor_id, d.depth AS depth,
       CASE WHEN $i < 0 THEN 0 ELSE d[$k.pv][$i] END AS pv,
       CASE WHEN $i < 0 THEN 0 ELSE d[$k.gv][$i] END AS gv,
       CASE WHEN $i < 0 THEN null ELSE d[$k.act][$i] END AS act,
       d[$k.size] AS size, d[$k.height] AS height, d[$k.dsum] AS dsum, d[$k.levels] AS levels, legs

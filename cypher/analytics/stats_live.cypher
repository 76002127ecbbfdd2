// One distributor's figures for one period computed on the fly from the raw graph: a
// variable-length walk of the whole downline and each member's orders. O(downline size): the
// cross-check of the rollups (and the baseline of the benchmark), not the product's fast path.
// Parameters: $id, $gen (published), $period, $active (threshold, ten-thousandths).
// Returns one row (none for an unknown id): id, name, sponsor_id, depth, pv, and groups
//         [{leg, level, members, volume, active}]: the downline grouped by leg and level.
// Index: constraint distributor_id, order_distributor_period.
MATCH (d:Distributor {id: $id})
WHERE d.gen <= $gen
CALL (d) {
  MATCH (o:Order)
  USING INDEX o:Order(distributor_id, period)
  WHERE o.distributor_id = d.id AND o.period = $period AND o.gen <= $gen
  RETURN sum(o.volume) AS pv
}
CALL (d) {
  MATCH path = (d)-[:SPONSORS*1..]->(m:Distributor)
  WHERE m.gen <= $gen
  CALL (m) {
    MATCH (o:Order)
    USING INDEX o:Order(distributor_id, period)
    WHERE o.distributor_id = m.id AND o.period = $period AND o.gen <= $gen
    RETURN sum(o.volume) AS volume
  }
  WITH nodes(path)[1].id AS leg, length(path) AS level, volume
  WITH leg, level, count(*) AS members, sum(volume) AS volume,
       sum(CASE WHEN volume >= $active THEN 1 ELSE 0 END) AS active
  RETURN collect({leg: leg, level: level, members: members, volume: volume, active: active}) AS groups
}
RETURN d.id AS id, d.name AS name, d.sponsor_id AS sponsor_id, d.depth AS depth, pv, groups

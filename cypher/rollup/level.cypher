// One step of the bottom-up rollup: every distributor at the depths $depths (consecutive, deepest
// first), from its own orders and its frontline's already rolled-up figures (the level below was
// done earlier: in a step before, or earlier in this one, whose rows are taken in order).
// Thin levels are grouped into one step (a 1,500-deep chain is a few round trips, not 1,500).
// Writes, under the slot's property names $k (a rollup is built in the slot readers do not use,
// then published at once by switching Publication.slot):
//   size    downline size               height  max_depth (0 without downline)
//   dsum    sum of downline levels      levels  head-count per level [level 1, level 2, ...]
//   pv, gv, act, maxleg   per period, aligned to $periods: PV, GV, active downline count,
//                         largest leg volume (0 without legs)   -- volumes in ten-thousandths
// Parameters: $depths, $gen, $periods, $active (threshold, ten-thousandths), $batch,
//             $k {size, height, dsum, levels, pv, gv, act, maxleg}.
// Index: distributor_depth (the level), order_distributor_period (own orders).
UNWIND $depths AS depth
MATCH (d:Distributor)
WHERE d.depth = depth AND d.gen <= $gen
CALL (d) {
  CALL (d) {
    MATCH (o:Order)
    USING INDEX o:Order(distributor_id, period)
    WHERE o.distributor_id = d.id AND o.period IS NOT NULL AND o.gen <= $gen
    WITH o.period AS period, sum(o.volume) AS volume
    RETURN collect([period, volume]) AS own
  }
  CALL (d) {
    MATCH (d)-[:SPONSORS]->(c:Distributor)
    WHERE c.gen <= $gen
    RETURN collect({
      size: c[$k.size], height: c[$k.height], dsum: c[$k.dsum], levels: c[$k.levels],
      pv: c[$k.pv], gv: c[$k.gv], act: c[$k.act]
    }) AS kids
  }
  WITH d, kids, size(kids) AS n, range(0, size($periods) - 1) AS ps,
       [p IN $periods | reduce(s = 0, x IN own | s + CASE WHEN x[0] = p THEN x[1] ELSE 0 END)] AS pv
  WITH d, kids, n, ps, pv,
       reduce(s = 0, c IN kids | s + c.size + 1) AS size,
       reduce(h = 0, c IN kids | CASE WHEN c.height + 1 > h THEN c.height + 1 ELSE h END) AS height,
       reduce(s = 0, c IN kids | s + 1 + c.dsum + c.size) AS dsum
  SET d[$k.size] = size,
      d[$k.height] = height,
      d[$k.dsum] = dsum,
      d[$k.levels] = CASE WHEN n = 0 THEN [] ELSE
        [n] + [i IN range(0, height - 2) | reduce(s = 0, c IN kids | s + coalesce(c.levels[i], 0))] END,
      d[$k.pv] = pv,
      d[$k.gv] = [i IN ps | pv[i] + reduce(s = 0, c IN kids | s + c.gv[i])],
      d[$k.act] = [i IN ps | reduce(s = 0, c IN kids |
        s + c.act[i] + CASE WHEN c.pv[i] >= $active THEN 1 ELSE 0 END)],
      d[$k.maxleg] = [i IN ps | CASE WHEN n = 0 THEN 0 ELSE
        reduce(m = kids[0].gv[i], c IN kids | CASE WHEN c.gv[i] > m THEN c.gv[i] ELSE m END) END]
} IN TRANSACTIONS OF $batch ROWS

// The naive baseline of the analytics benchmark (benchmarks/analytics.py): GV per period and
// downline size of each given distributor, summed over its whole downline by a variable-length
// walk and an index seek for each member's orders. O(downline size) per distributor, so O(n * depth)
// for everyone: what the rollup (graph_service/analytics/rollup.py) avoids.
// Parameters: $ids (distributor ids), $gen (the published generation: rows with gen <= $gen
//             count), $periods (the periods to report, YYYY-MM).
// Returns one row per distributor and period: id, period, size (downline size, the distributor
//         not counted), gv (own PV + the downline's, ten-thousandths).
// Index: constraint distributor_id, order_distributor_period.
UNWIND $ids AS id
MATCH (d:Distributor {id: id})
WHERE d.gen <= $gen
CALL (d) {
  MATCH (d)-[:SPONSORS*0..]->(m:Distributor)
  WHERE m.gen <= $gen
  CALL (m) {
    MATCH (o:Order)
    USING INDEX o:Order(distributor_id, period)
    WHERE o.distributor_id = m.id AND o.period IS NOT NULL AND o.gen <= $gen
    WITH o.period AS period, sum(o.volume) AS volume
    RETURN collect([period, volume]) AS own
  }
  UNWIND $periods AS period
  WITH period, m, reduce(s = 0, x IN own | s + CASE WHEN x[0] = period THEN x[1] ELSE 0 END) AS pv
  RETURN period, count(m) - 1 AS size, sum(pv) AS gv
}
RETURN d.id AS id, period, size, gv

// The periods (months) that have orders, ascending, and the head-count of every depth: the frame
// of a rollup (its steps group thin levels together).
// Parameters: $gen (the generation rolled up: rows with gen <= $gen count).
// Returns periods [YYYY-MM ...], levels [[depth, distributors] ...] ascending (empty network: []).
// Index: order_period (distinct periods), distributor_depth.
CALL () {
  MATCH (o:Order)
  WHERE o.period IS NOT NULL AND o.gen <= $gen
  WITH DISTINCT o.period AS period
  ORDER BY period
  RETURN collect(period) AS periods
}
CALL () {
  MATCH (d:Distributor)
  WHERE d.depth IS NOT NULL AND d.gen <= $gen
  WITH d.depth AS depth, count(*) AS distributors
  ORDER BY depth
  RETURN collect([depth, distributors]) AS levels
}
RETURN periods, levels

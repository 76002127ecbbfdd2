// The periods (months) that have orders, ascending, and the deepest depth: the frame of a rollup.
// Parameters: $gen (the generation rolled up: rows with gen <= $gen count).
// Returns periods [YYYY-MM ...], max_depth (null on an empty network).
// Index: order_period (distinct periods), distributor_depth (max).
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
  RETURN max(d.depth) AS max_depth
}
RETURN periods, max_depth

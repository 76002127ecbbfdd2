// Distributors whose PV in $period is at least $active, computed from the orders (used when a
// threshold other than the rollup's is asked for). Distributors without orders have PV 0.
// Parameters: $gen, $period, $active.
// Returns active.
// Index: order_period.
CALL () {
  MATCH (o:Order)
  WHERE o.period = $period AND o.gen <= $gen
  WITH o.distributor_id AS id, sum(o.volume) AS pv
  RETURN sum(CASE WHEN pv >= $active THEN 1 ELSE 0 END) AS with_orders,
         count(id) AS ordering
}
CALL () {
  MATCH (d:Distributor)
  WHERE d.gen <= $gen
  RETURN count(d) AS everyone
}
RETURN with_orders + CASE WHEN 0 >= $active THEN everyone - ordering ELSE 0 END AS active

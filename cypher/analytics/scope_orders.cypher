// Order totals per period over the members $ids of a scope.
// Parameters: $ids, $gen.
// Returns rows period, volume, retail_volume, orders (ten-thousandths).
// Index: order_distributor_period.
UNWIND $ids AS id
MATCH (o:Order)
USING INDEX o:Order(distributor_id, period)
WHERE o.distributor_id = id AND o.period IS NOT NULL AND o.gen <= $gen
RETURN o.period AS period, sum(o.volume) AS volume,
       sum(CASE WHEN o.buyer = 'retail' THEN o.volume ELSE 0 END) AS retail_volume, count(*) AS orders

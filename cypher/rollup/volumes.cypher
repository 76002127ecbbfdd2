// PV per (distributor, period) of generation $gen, one record per period (ascending): the periods
// a rollup covers are the months with orders. Refunds subtract. Also the period's totals: volume,
// its retail part and the number of orders (orders of every distributor id, as imported).
// Parameters: $gen; $all: no order is newer than $gen (rollup/newer.cypher), so skip the test.
// Returns rows period, ids, pvs (aligned lists: one entry per distributor with orders in the
// period), volume, retail_volume, orders (volumes in ten-thousandths).
// Index: order_distributor_period.
MATCH (o:Order)
USING INDEX o:Order(distributor_id, period)
WHERE o.distributor_id IS NOT NULL AND o.period IS NOT NULL AND ($all OR o.gen <= $gen)
WITH o.period AS period, o.distributor_id AS id, sum(o.volume) AS pv,
     sum(CASE WHEN o.buyer = 'retail' THEN o.volume ELSE 0 END) AS retail, count(*) AS orders
WITH period, collect(id) AS ids, collect(pv) AS pvs, sum(pv) AS volume, sum(retail) AS retail_volume,
     sum(orders) AS orders
RETURN period, ids, pvs, volume, retail_volume, orders
ORDER BY period

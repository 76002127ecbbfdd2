// Order totals per period: volume (refunds subtract), its retail part, the number of orders.
// Parameters: $gen.
// Returns rows period, volume, retail_volume, orders (volumes in ten-thousandths).
// Index: order_gen.
MATCH (o:Order)
WHERE o.gen <= $gen
RETURN o.period AS period, sum(o.volume) AS volume,
       sum(CASE WHEN o.buyer = 'retail' THEN o.volume ELSE 0 END) AS retail_volume, count(*) AS orders

// PV per distributor and period straight from the orders of data generation $gen, with its retail
// part (refunds subtract on both sides). Used when the live rollup cannot answer: a commission run
// that read an earlier generation than the published one (the rollup holds later orders too).
// Parameters: $gen.
// Returns one row of lists aligned by position: ids, periods, volumes, retail (ten-thousandths).
// Index: order_gen (range seek gen <= $gen).
MATCH (o:Order)
WHERE o.gen <= $gen AND o.period IS NOT NULL
WITH o.distributor_id AS id, o.period AS period, sum(o.volume) AS volume,
     sum(CASE WHEN o.buyer = 'retail' THEN o.volume ELSE 0 END) AS retail
RETURN collect(id) AS ids, collect(period) AS periods, collect(volume) AS volumes, collect(retail) AS retail

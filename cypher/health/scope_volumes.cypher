// PV per distributor and period, with its retail part, from the orders of data generation $gen of
// the members $ids (a scope's organisation, read in slices of ids).
// Parameters: $ids, $gen.
// Returns one row of lists aligned by position: ids, periods, volumes, retail (ten-thousandths).
// Index: order_distributor_period (one seek per member).
UNWIND $ids AS id
MATCH (o:Order)
USING INDEX o:Order(distributor_id, period)
WHERE o.distributor_id = id AND o.period IS NOT NULL AND o.gen <= $gen
WITH id, o.period AS period, sum(o.volume) AS volume,
     sum(CASE WHEN o.buyer = 'retail' THEN o.volume ELSE 0 END) AS retail
RETURN collect(id) AS ids, collect(period) AS periods, collect(volume) AS volumes, collect(retail) AS retail

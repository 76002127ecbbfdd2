// Whether rows newer than generation $gen exist (an import staging, or a crashed one not yet
// swept): when none do, the rollup's scans (forest.cypher, volumes.cypher) can skip their
// per-row `gen <= $gen` test, a property read per order (1-2 s of 7 at 3M orders).
// Parameters: $gen. Returns distributors, orders (booleans).
// Index: distributor_gen, order_gen (a seek on gen > $gen: nothing to read when none).
RETURN EXISTS { MATCH (d:Distributor) WHERE d.gen > $gen } AS distributors,
       EXISTS { MATCH (o:Order) WHERE o.gen > $gen } AS orders

// Head-counts of what readers see (published generations only) and the periods with orders.
// Parameters: none. Returns distributors, orders, periods.
// Index: distributor_gen, order_gen (range seek gen <= published).
OPTIONAL MATCH (p:Publication {id: 1})
WITH coalesce(p.gen, 0) AS published
CALL (published) { MATCH (d:Distributor) WHERE d.gen <= published RETURN count(d) AS distributors }
CALL (published) {
  MATCH (o:Order) WHERE o.gen <= published
  RETURN count(o) AS orders, collect(DISTINCT o.period) AS periods
}
RETURN distributors, orders, periods

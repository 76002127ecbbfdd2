// Head-counts for summaries (count store lookups, no scans) and the periods that have orders.
// Parameters: none. Returns distributors, orders, periods.
// Index: order_period (distinct values read from the index).
CALL () { MATCH (d:Distributor) RETURN count(d) AS distributors }
CALL () { MATCH (o:Order) RETURN count(o) AS orders }
CALL () {
  MATCH (o:Order) WHERE o.period IS NOT NULL
  RETURN collect(DISTINCT o.period) AS periods
}
RETURN distributors, orders, periods

// Records a committed import (in the same transaction as its data).
// Parameters: $id, $gen, $source, $distributors_added, $distributors_updated, $orders_added, $periods.
CREATE (:Import {
  id: $id, gen: $gen, at: datetime(), source: $source, distributors_added: $distributors_added,
  distributors_updated: $distributors_updated, orders_added: $orders_added, periods: $periods
})

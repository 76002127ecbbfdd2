// Creates new orders. volume and amount are integers in ten-thousandths; period is 'YYYY-MM'.
// Staged under generation $gen: invisible to readers until the import publishes.
// Parameters: $rows [{id, distributor_id, ordered_on, period, volume, amount, buyer}], $import_id, $gen.
// Index: constraint order_id (uniqueness check on create).
UNWIND $rows AS row
CREATE (:Order {
  id: row.id, distributor_id: row.distributor_id, ordered_on: row.ordered_on, period: row.period,
  volume: row.volume, amount: row.amount, buyer: row.buyer, import_id: $import_id, gen: $gen
})

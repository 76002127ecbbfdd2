// Orders already imported, to make re-imports idempotent and refuse changed orders.
// Parameters: $ids (order ids). Returns one row per existing order.
// Index: constraint order_id.
UNWIND $ids AS id
MATCH (o:Order {id: id})
RETURN o.id AS id, o.distributor_id AS distributor_id, o.ordered_on AS ordered_on,
       o.volume AS volume, o.amount AS amount, o.buyer AS buyer

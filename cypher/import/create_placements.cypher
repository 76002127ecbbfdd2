// Places new (staged) distributors in the binary tree (rows come parents first); the child is
// invisible until the import publishes, so the link is too.
// The child's placement_parent_id and placement_side were set when it was created (the
// placement_slot constraint refused a slot taken twice there).
// Parameters: $rows [{child, parent, side}].
// Index: constraint distributor_id.
UNWIND $rows AS row
MATCH (c:Distributor {id: row.child})
MATCH (p:Distributor {id: row.parent})
CREATE (p)-[:PLACES {side: row.side}]->(c)

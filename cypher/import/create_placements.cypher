// Places new (staged) distributors in the binary tree (rows come parents first); the child is
// invisible until the import publishes, so the link is too.
// Parameters: $rows [{child, parent, side}]. The placement_slot constraint refuses a slot taken twice.
// Index: constraint distributor_id.
UNWIND $rows AS row
MATCH (c:Distributor {id: row.child})
MATCH (p:Distributor {id: row.parent})
SET c.placement_parent_id = row.parent, c.placement_side = row.side
CREATE (p)-[:PLACES {side: row.side}]->(c)

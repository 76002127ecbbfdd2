// Places distributors who were already visible (they gain a placement); run in the publish
// transaction so the change appears together with the rest of the import.
// Parameters: $rows [{child, parent, side}]. Index: constraint distributor_id.
UNWIND $rows AS row
MATCH (c:Distributor {id: row.child})
MATCH (p:Distributor {id: row.parent})
SET c.placement_parent_id = row.parent, c.placement_side = row.side
CREATE (p)-[:PLACES {side: row.side}]->(c)

// Placement slots already taken under the given parents.
// Parameters: $ids (placement parent ids). Returns (parent, side, child) per taken slot.
// Index: constraint distributor_id, then the parent's PLACES relationships.
UNWIND $ids AS id
MATCH (p:Distributor {id: id})-[r:PLACES]->(c:Distributor)
RETURN p.id AS parent, r.side AS side, c.id AS child

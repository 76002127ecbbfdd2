// What the database holds for the distributors an import mentions.
// Parameters: $ids (list of distributor ids). Returns one row per id that exists.
// Index: constraint distributor_id (unique seek per id).
UNWIND $ids AS id
MATCH (d:Distributor {id: id})
RETURN d.id AS id, d.sponsor_id AS sponsor_id, d.depth AS depth, d.root_id AS root_id,
       d.placement_parent_id AS placement_parent_id, d.placement_side AS placement_side,
       d.name AS name, d.country AS country, d.joined_on AS joined_on

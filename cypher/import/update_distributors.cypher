// Updates display fields of existing distributors (a sponsor never changes).
// Parameters: $rows [{id, name, country, joined_on}]; null keeps the stored value.
// Index: constraint distributor_id.
UNWIND $rows AS row
MATCH (d:Distributor {id: row.id})
SET d.name = coalesce(row.name, d.name),
    d.country = coalesce(row.country, d.country),
    d.joined_on = coalesce(row.joined_on, d.joined_on)

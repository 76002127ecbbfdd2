// Revokes an API key (kept for the record; it no longer opens anything).
// Parameters: $id. Returns the key's record (no row: unknown id).
MATCH (k:ApiKey {id: $id})
SET k.revoked = coalesce(k.revoked, datetime())
RETURN k.id AS id, k.role AS role, k.scope AS scope, k.name AS name, toString(k.created) AS created,
       toString(k.revoked) AS revoked

// One API key by its public id (the part of the key before the secret), for verification.
// Parameters: $id. Returns id, hash, role, scope, name, created, revoked (no row: unknown id).
// Index: constraint api_key_id.
MATCH (k:ApiKey {id: $id})
RETURN k.id AS id, k.hash AS hash, k.role AS role, k.scope AS scope, k.name AS name,
       toString(k.created) AS created, toString(k.revoked) AS revoked

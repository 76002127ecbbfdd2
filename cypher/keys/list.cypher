// Every API key, newest first (never the hashes).
// Parameters: none. Returns id, role, scope, name, created, revoked.
MATCH (k:ApiKey)
RETURN k.id AS id, k.role AS role, k.scope AS scope, k.name AS name, toString(k.created) AS created,
       toString(k.revoked) AS revoked
ORDER BY k.created DESC

// Stores a new API key: only the SHA-256 of its secret is kept; the key itself is shown once.
// Parameters: $id, $hash, $role, $scope (a distributor id or null), $name.
// Returns the key's record.
CREATE (k:ApiKey {id: $id, hash: $hash, role: $role, scope: $scope, name: $name, created: datetime()})
RETURN k.id AS id, k.role AS role, k.scope AS scope, k.name AS name, toString(k.created) AS created,
       null AS revoked

// Deletes up to $limit nodes (with their relationships); run until it returns 0.
// Parameters: $limit. Returns deleted (count).
MATCH (n)
WITH n LIMIT $limit
DETACH DELETE n
RETURN count(*) AS deleted

// Every node of the database, whatever its label (a bulk first load needs an empty database).
// Parameters: none.
// Returns nodes (from the count store: no scan).
MATCH (n)
RETURN count(n) AS nodes

// Whether any order exists: on an empty database the per-id order lookups are skipped.
// Parameters: none. Returns any (bool). Uses the count store, no scan.
MATCH (o:Order)
RETURN count(o) > 0 AS any

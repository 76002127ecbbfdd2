// Makes an import visible in one small commit: readers see gen <= Publication.gen.
// Parameters: $published (the generation the import started from), $gen (its own).
// Returns published (the new gen), or no row if someone else published in between.
MATCH (p:Publication {id: 1})
WHERE p.gen = $published
SET p.gen = $gen
RETURN p.gen AS published

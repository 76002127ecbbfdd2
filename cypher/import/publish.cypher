// Makes an import visible in one small commit: readers see gen <= Publication.gen, and read the
// rollup slot built for it.
// Parameters: $published (the generation the import started from), $gen (its own), $slot (the
// rollup slot that covers $gen).
// Returns published (the new gen), or no row if someone else published in between. The first
// publication creates the node (a refused import leaves an empty database empty).
MERGE (p:Publication {id: 1})
  ON CREATE SET p.gen = 0
WITH p
WHERE p.gen = $published
SET p.gen = $gen, p.slot = $slot
RETURN p.gen AS published

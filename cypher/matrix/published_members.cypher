// Every published distributor, to place a database loaded before the matrix existed, import by
// import (gen is the import that published each one). Collected lists: one record per import.
// Parameters: $published (the published generation).
// Returns one row per gen: gen, ids, sponsors ('' for a root), joined (ISO date, '' when
//         missing), three aligned lists (collect drops nulls, hence '' for none).
// Index: distributor_gen (range seek gen <= $published).
MATCH (d:Distributor)
WHERE d.gen <= $published
RETURN d.gen AS gen, collect(d.id) AS ids, collect(coalesce(d.sponsor_id, '')) AS sponsors,
       collect(coalesce(toString(d.joined_on), '')) AS joined

// The sponsor forest of generation $gen (rows with gen <= $gen, published or staged), as parallel
// lists in one record: a record per member would cost the driver several times the whole read.
// Parameters: $gen; $all: no distributor is newer than $gen (rollup/newer.cypher), so skip the test.
// Returns ids, sponsors ('' for a root), depths, joined (join month 'YYYY-MM', '' without
// joined_on): aligned lists (collect drops nulls, so none is written as null).
// Index: distributor_gen (or a label scan: every member is read).
MATCH (d:Distributor)
WHERE $all OR d.gen <= $gen
RETURN collect(d.id) AS ids, collect(coalesce(d.sponsor_id, '')) AS sponsors,
       collect(coalesce(d.depth, -1)) AS depths,
       collect(coalesce(substring(toString(d.joined_on), 0, 7), '')) AS joined

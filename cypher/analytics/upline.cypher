// The upline of a distributor, nearest first, with each sponsor's rolled-up figures: the one
// path from the distributor up to its root (expanded upwards from the distributor, each member
// having one sponsor: O(depth), whatever the size of the organisation above).
// Parameters: $id, $gen, $k (live slot names), $i (period index, -1 for a period without orders).
// Returns rows (none for an unknown id; one row with level null for a root): level, id, name,
//         sponsor_id, depth, pv, gv, size, joined_on, country.
// Index: constraint distributor_id.
MATCH (d:Distributor {id: $id})
WHERE d.gen <= $gen
OPTIONAL MATCH path = (d)<-[:SPONSORS*]-(r)
WHERE NOT (r)<-[:SPONSORS]-()
WITH d, CASE WHEN path IS NULL THEN [null] ELSE nodes(path)[1..] END AS ups
UNWIND ups AS u
RETURN CASE WHEN u IS NULL THEN null ELSE d.depth - u.depth END AS level, u.id AS id, u.name AS name,
       u.sponsor_id AS sponsor_id, u.depth AS depth,
       CASE WHEN $i < 0 THEN 0 ELSE u[$k.pv][$i] END AS pv,
       CASE WHEN $i < 0 THEN 0 ELSE u[$k.gv][$i] END AS gv,
       u[$k.size] AS size, toString(u.joined_on) AS joined_on, u.country AS country
ORDER BY level

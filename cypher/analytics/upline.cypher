// The upline of a distributor, nearest first, with each sponsor's rolled-up figures.
// Parameters: $id, $gen, $k (live slot names), $i (period index, -1 for a period without orders).
// Returns rows (none for an unknown id; one row with level null for a root): level, id, name,
//         sponsor_id, depth, pv, gv, size, joined_on, country.
MATCH (d:Distributor {id: $id})
WHERE d.gen <= $gen
OPTIONAL MATCH path = (u:Distributor)-[:SPONSORS*1..]->(d)
WHERE u.gen <= $gen
WITH length(path) AS level, u
ORDER BY level
RETURN level, u.id AS id, u.name AS name, u.sponsor_id AS sponsor_id, u.depth AS depth,
       CASE WHEN $i < 0 THEN 0 ELSE u[$k.pv][$i] END AS pv,
       CASE WHEN $i < 0 THEN 0 ELSE u[$k.gv][$i] END AS gv,
       u[$k.size] AS size, toString(u.joined_on) AS joined_on, u.country AS country

// The roots of the sponsor forest ranked by GV in the period (largest first, ties by id): roots
// $skip .. $skip + $limit - 1 of that order, and how many roots there are. Where the dashboard's
// explorer starts for an unscoped key.
// Parameters: $gen, $k (live slot names), $i (period index or -1), $skip, $limit.
// Returns one row: total, children (a list of maps id, name, sponsor_id, depth, pv, gv, size,
//         joined_on, country; volumes in ten-thousandths).
// Index: distributor_depth (roots have depth 0).
OPTIONAL MATCH (d:Distributor)
WHERE d.depth = 0 AND d.gen <= $gen
WITH d, CASE WHEN d IS NULL OR $i < 0 THEN 0 ELSE coalesce(d[$k.gv][$i], 0) END AS gv
ORDER BY gv DESC, d.id
WITH count(d) AS total, collect(d)[$skip..$skip + $limit] AS page
RETURN total,
       [d IN page | d {.id, .name, .sponsor_id, .depth, .country,
                       joined_on: toString(d.joined_on),
                       pv: CASE WHEN $i < 0 THEN 0 ELSE coalesce(d[$k.pv][$i], 0) END,
                       gv: CASE WHEN $i < 0 THEN 0 ELSE coalesce(d[$k.gv][$i], 0) END,
                       size: coalesce(d[$k.size], 0)}] AS children

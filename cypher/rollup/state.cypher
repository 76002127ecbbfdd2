// What readers use: the published generation, the live rollup slot and its frame.
// Parameters: $with_stats (also return the network figures' JSON, which only network
// statistics need). Returns gen (0 when nothing was imported), slot (null before any rollup),
// periods, active, stats (JSON or null), rolled_gen (the generation the live rollup covers),
// rolled_at (when it was built: tells apart rollups of a database reset and loaded again).
OPTIONAL MATCH (p:Publication {id: 1})
OPTIONAL MATCH (r:Rollup {slot: p.slot})
RETURN coalesce(p.gen, 0) AS gen, p.slot AS slot, r.periods AS periods, r.active AS active,
       CASE WHEN $with_stats THEN r.stats END AS stats, r.gen AS rolled_gen, toString(r.at) AS rolled_at

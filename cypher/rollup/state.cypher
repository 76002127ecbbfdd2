// What readers use: the published generation, the live rollup slot and its frame.
// Parameters: none. Returns gen (0 when nothing was imported), slot (null before any rollup),
// periods, active, stats (JSON), rolled_gen (the generation the live rollup covers).
OPTIONAL MATCH (p:Publication {id: 1})
OPTIONAL MATCH (r:Rollup {slot: p.slot})
RETURN coalesce(p.gen, 0) AS gen, p.slot AS slot, r.periods AS periods, r.active AS active,
       r.stats AS stats, r.gen AS rolled_gen

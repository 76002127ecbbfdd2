// The live rollup's packed health frame (graph_service/analytics/frameblob.py), if complete.
// Parameters: none.
// Returns one row: gen (published), rolled_gen, build, parts (expected), data (the parts in order;
// fewer than parts, or none, when the rollup has no frame, e.g. one built before frames existed).
MATCH (p:Publication {id: 1})
MATCH (r:Rollup {slot: p.slot})
OPTIONAL MATCH (b:RollupFrame {slot: p.slot, build: r.build})
WITH p, r, b
ORDER BY b.part
RETURN p.gen AS gen, r.gen AS rolled_gen, r.build AS build, r.frame_parts AS parts, collect(b.data) AS data

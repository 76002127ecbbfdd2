// The live rollup's packed health frame (graph_service/analytics/frameblob.py), if complete.
// A row a part, not one row of them all: the driver keeps each connection's receive buffer at
// the size of the largest message it has had (one part, 8 MB, rather than the whole frame).
// Parameters: none.
// Returns a row per part in order (one row with data null when the rollup has no frame, e.g.
// one built before frames existed): gen (published), rolled_gen, build, parts (expected), data.
MATCH (p:Publication {id: 1})
MATCH (r:Rollup {slot: p.slot})
OPTIONAL MATCH (b:RollupFrame {slot: p.slot, build: r.build})
RETURN p.gen AS gen, r.gen AS rolled_gen, r.build AS build, r.frame_parts AS parts, b.data AS data
ORDER BY b.part

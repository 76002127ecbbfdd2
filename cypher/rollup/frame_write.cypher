// One part of a rollup's packed health frame (graph_service/analytics/frameblob.py), written in the
// slot being built: read only through a Rollup node of the same slot and build id.
// Parameters: $slot, $build (the rollup's build id), $part (0, 1, ...), $data (bytes).
MERGE (b:RollupFrame {slot: $slot, part: $part})
SET b.build = $build, b.data = $data

// Records a finished rollup in its slot (not read until Publication.slot points at it).
// Parameters: $slot, $gen, $periods, $active, $stats (JSON text of the network figures), $seconds,
//             $build (this build's id: its RollupFrame parts carry it), $parts (how many).
MERGE (r:Rollup {slot: $slot})
SET r.gen = $gen, r.periods = $periods, r.active = $active, r.stats = $stats, r.seconds = $seconds,
    r.build = $build, r.frame_parts = $parts, r.at = datetime()

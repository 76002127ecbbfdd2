// Writes only the levels lists of one batch into a slot: a bulk load (graph_service/ingest/bulk.py)
// wrote the other figures with the nodes, but the importer cannot write an empty list.
// Parameters: $slot, $ids, $levels, $level_start as in cypher/rollup/write.cypher.
// Index: constraint distributor_id.
UNWIND range(0, size($ids) - 1) AS i
MATCH (d:Distributor {id: $ids[i]})
WITH d, $levels[$level_start[i]..$level_start[i + 1]] AS levels
SET d += CASE $slot WHEN 0 THEN {r0_levels: levels} ELSE {r1_levels: levels} END

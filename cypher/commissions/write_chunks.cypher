// Writes a batch of a run's chunks (earners and their lines, see graph_service/compensation/runs.py)
// and proves the writer is alive. Writes nothing when the run is not ours or no longer 'writing'
// (swept as abandoned), so the caller can stop.
// Parameters: $run, $writer, $chunks [map of arrays]. Returns written (chunks written).
MATCH (r:CommissionRun {id: $run})
WHERE r.state = 'writing' AND r.writer = $writer
SET r.heartbeat = datetime()
WITH r
UNWIND $chunks AS chunk
CREATE (c:RunChunk)
SET c = chunk, c.run_id = $run
RETURN count(c) AS written

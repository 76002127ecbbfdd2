// Deletes up to $batch chunks of a run (called until it returns 0).
// Parameters: $run, $batch. Returns deleted. Index: run_chunk_run.
MATCH (c:RunChunk {run_id: $run})
WITH c LIMIT $batch
DELETE c
RETURN count(*) AS deleted

// Every earner's sums of a complete run, chunk by chunk (health figures and exports read these).
// Parameters: $run. Returns per chunk: ids, rank, unilevel, binary, matrix, rank_bonus, total.
// Index: run_chunk_run.
MATCH (c:RunChunk {run_id: $run})
RETURN c.ids AS ids, c.rank AS rank, c.unilevel AS unilevel, c.binary AS binary, c.matrix AS matrix,
       c.rank_bonus AS rank_bonus, c.total AS total

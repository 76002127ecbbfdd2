// One distributor's part of a complete run, in one round trip: the run's facts, whether the
// distributor existed in the data the run read, and their sums and lines from the chunk that
// holds them (chunk = $hash modulo the run's chunk count; see graph_service/compensation/runs.py).
// Parameters: $run, $id, $hash (CRC-32 of the id's UTF-8), $lines (also return the lines).
// Returns one row (none for an unknown or unfinished run): rank_names, rates, amount_exponent,
//         data_gen, known, sums [rank, unilevel, binary, matrix, rank_bonus, total] (cents; null
//         when the run holds nothing for them), lines {source, component, level, base, rate,
//         amount} of parallel lists (null without $lines or without lines).
// Index: constraint commission_run_id, constraint run_chunk_bucket, constraint distributor_id.
MATCH (r:CommissionRun {id: $run})
WHERE r.state = 'complete'
OPTIONAL MATCH (c:RunChunk {run_id: $run, bucket: CASE WHEN r.chunks > 0 THEN $hash % r.chunks ELSE -1 END})
WITH r, c, CASE WHEN c IS NULL THEN -1
                ELSE coalesce([i IN range(0, size(c.ids) - 1) WHERE c.ids[i] = $id][0], -1) END AS i
OPTIONAL MATCH (d:Distributor {id: $id})
WHERE d.gen <= r.data_gen
WITH r, c, i, d IS NOT NULL AS known,
     CASE WHEN i < 0 THEN 0 ELSE c.line_start[i] END AS lo, CASE WHEN i < 0 THEN 0 ELSE c.line_start[i + 1] END AS hi
RETURN r.rank_names AS rank_names, r.rates AS rates, r.amount_exponent AS amount_exponent,
       r.data_gen AS data_gen, r.period AS period, known,
       CASE WHEN i < 0 THEN null
            ELSE [c.rank[i], c.unilevel[i], c.binary[i], c.matrix[i], c.rank_bonus[i], c.total[i]] END AS sums,
       CASE WHEN NOT $lines OR i < 0 OR hi = lo THEN null
            ELSE {source: c.l_source[lo..hi], component: c.l_component[lo..hi], level: c.l_level[lo..hi],
                  base: c.l_base[lo..hi], rate: c.l_rate[lo..hi], amount: c.l_amount[lo..hi]} END AS lines

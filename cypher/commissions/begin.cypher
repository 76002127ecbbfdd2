// Starts storing a run: its node in state 'writing', which no reader lists or answers for.
// Parameters: $run (the new id), $writer (a token of this process), $props (the run's fixed facts).
CREATE (r:CommissionRun {id: $run})
SET r += $props, r.state = 'writing', r.writer = $writer, r.heartbeat = datetime(), r.created_at = datetime()

// Makes a run visible, whole, in one small commit: its totals and flows, then state 'complete'.
// After this the run never changes.
// Parameters: $run, $writer, $props. Returns id, or no row when the run was swept meanwhile.
MATCH (r:CommissionRun {id: $run})
WHERE r.state = 'writing' AND r.writer = $writer
SET r += $props, r.state = 'complete', r.completed_at = datetime()
REMOVE r.writer, r.heartbeat
RETURN r.id AS id

// One complete run with everything stored on its node (plan text, flows).
// Parameters: $run. Returns run, or no row for an unknown or unfinished run.
MATCH (r:CommissionRun {id: $run})
WHERE r.state = 'complete'
RETURN r {.*, created_at: toString(r.created_at), completed_at: toString(r.completed_at)} AS run

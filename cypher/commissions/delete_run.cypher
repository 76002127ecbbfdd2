// Deletes an abandoned run's node once its chunks are gone; never a complete run.
// Parameters: $run. Index: constraint commission_run_id.
MATCH (r:CommissionRun {id: $run})
WHERE r.state = 'writing'
DELETE r

// Runs whose writer died: still 'writing' and not heard from for $stale seconds.
// Parameters: $stale (seconds). Returns id per abandoned run.
MATCH (r:CommissionRun)
WHERE r.state = 'writing' AND r.heartbeat < datetime() - duration({seconds: $stale})
RETURN r.id AS id

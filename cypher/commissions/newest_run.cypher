// The newest complete commission run (none before the first): what API workers prepare at start
// (graph_service/analytics/warmup.py). Parameters: none. Returns run_id.
MATCH (r:CommissionRun)
WHERE r.state = 'complete'
RETURN r.id AS run_id
ORDER BY r.created_at DESC, r.id DESC
LIMIT 1

// Every complete commission run, newest first (never the ones being written).
// Parameters: none. Returns run (the node's properties but the plan text and flows).
MATCH (r:CommissionRun)
WHERE r.state = 'complete'
RETURN r {.*, plan_text: null, flows: null, created_at: toString(r.created_at),
          completed_at: toString(r.completed_at)} AS run
ORDER BY r.created_at DESC, r.id DESC

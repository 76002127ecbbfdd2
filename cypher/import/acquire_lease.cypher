// Takes the import lease if it is free or its holder is gone (no heartbeat for $stale_seconds,
// or $holder_dead says its process no longer exists). MERGE locks the node, so two importers
// asking at once are served one after the other.
// Parameters: $holder (import id), $host, $pid, $stale_seconds, $holder_dead (bool).
// Returns acquired (bool) and the current holder, host, pid and heartbeat.
MERGE (l:ImportLock {id: 1})
WITH l, (l.holder IS NULL OR $holder_dead
         OR l.heartbeat < datetime() - duration({seconds: $stale_seconds})) AS free
FOREACH (_ IN CASE WHEN free THEN [1] ELSE [] END |
  SET l.holder = $holder, l.host = $host, l.pid = $pid, l.heartbeat = datetime())
RETURN l.holder = $holder AS acquired, l.holder AS holder, l.host AS host, l.pid AS pid,
       l.heartbeat AS heartbeat

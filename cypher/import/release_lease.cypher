// Gives the import lease back. Parameters: $holder. Returns nothing.
MATCH (l:ImportLock {id: 1, holder: $holder})
REMOVE l.holder, l.host, l.pid

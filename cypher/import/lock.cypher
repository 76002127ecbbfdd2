// Serialises imports: the first statement of every import transaction takes this write lock,
// so a second import waits until the first commits or rolls back, then sees its data.
// Parameters: none. Returns nothing.
MERGE (l:ImportLock {id: 1})
SET l.taken_at = datetime()

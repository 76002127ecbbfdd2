// Publishes a rollup built for the already published generation (`downline rollup`): readers
// switch to the new slot at once. No row when an import published in between (rebuild then).
// Parameters: $gen, $slot.
MATCH (p:Publication {id: 1})
WHERE p.gen = $gen
SET p.slot = $slot
RETURN p.slot AS slot

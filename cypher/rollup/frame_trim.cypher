// Removes the parts of a slot's packed frame left over from an earlier, bigger one.
// Parameters: $slot, $parts (parts of the frame just written: 0 .. $parts - 1 stay).
MATCH (b:RollupFrame {slot: $slot})
WHERE b.part >= $parts
DELETE b

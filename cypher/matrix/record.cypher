// Records the matrix placement in an import's publishing transaction: the width on the first
// placement (never changed afterwards), and the next placement number.
// Parameters: $width, $next_seq. Returns width (the recorded one: the caller checks it is $width).
// Index: constraint matrix_config_id.
MERGE (c:MatrixConfig {id: 1})
ON CREATE SET c.width = $width
SET c.next_seq = $next_seq
RETURN c.width AS width

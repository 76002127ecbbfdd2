// The matrix placement's record: the width everyone was placed with and the next placement
// number (matrix_seq). It is written by the transaction that publishes the first placement, so
// it exists exactly when every published distributor has a matrix position.
// Parameters: none. Returns width, next_seq; no row before the first placement.
// Index: constraint matrix_config_id.
MATCH (c:MatrixConfig {id: 1})
RETURN c.width AS width, c.next_seq AS next_seq

// A distributor's place in the forced matrix: parent, children in placement order, matrix depth,
// and how many members sit on each of the 7 levels below (graph_service.matrix.OPEN_LEVELS).
// Parameters: $id, $gen (the published generation), $pre (the live rollup slot's depth-first
//             number property, e.g. 'r0_pre': tells whether parent and children are in a scope).
// Returns one row (none for an unknown or unpublished id): width (null before any placement),
//         seq (null: not placed), depth, parent {id, pre} (null for a matrix root), children
//         [{id, pre}] in placement order, below [[level, members]] for levels 1..7 that have any.
// Index: constraint distributor_id and constraint matrix_config_id; then MATRIX relationships
//        (at most width per member; the subtree within 7 levels for `below`).
MATCH (d:Distributor {id: $id})
WHERE d.gen <= $gen
OPTIONAL MATCH (cfg:MatrixConfig {id: 1})
OPTIONAL MATCH (p:Distributor)-[:MATRIX]->(d)
CALL (d) {
  MATCH (d)-[r:MATRIX]->(c:Distributor)
  WHERE c.gen <= $gen
  WITH r, c
  ORDER BY r.seq
  RETURN collect({id: c.id, pre: c[$pre]}) AS children
}
CALL (d) {
  MATCH path = (d)-[:MATRIX*1..7]->(m:Distributor)
  WHERE m.gen <= $gen
  WITH length(path) AS level, count(*) AS members
  ORDER BY level
  RETURN collect([level, members]) AS below
}
RETURN cfg.width AS width, d.matrix_seq AS seq, d.matrix_depth AS depth,
       CASE WHEN p IS NULL THEN null ELSE {id: p.id, pre: p[$pre]} END AS parent, children, below

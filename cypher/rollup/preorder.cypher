// One step of the top-down numbering: the frontline of every distributor at the depths $depths
// (consecutive, shallowest first) gets its position in depth-first order (siblings by id), so that
// anyone's downline is exactly the members numbered (pre, pre + size]: a downline page is one
// range seek, in tree order. Thin levels are grouped into one step, as in level.cypher.
// Parameters: $depths, $gen, $batch, $k {pre, size}.
// Index: distributor_depth.
UNWIND $depths AS depth
MATCH (p:Distributor)
WHERE p.depth = depth AND p.gen <= $gen
CALL (p) {
  MATCH (p)-[:SPONSORS]->(c:Distributor)
  WHERE c.gen <= $gen
  WITH c
  ORDER BY c.id
  WITH collect(c) AS kids
  WITH kids, reduce(acc = [p[$k.pre] + 1], c IN kids | acc + [last(acc) + c[$k.size] + 1]) AS starts
  UNWIND range(0, size(kids) - 1) AS i
  WITH kids[i] AS c, starts[i] AS pre
  SET c[$k.pre] = pre
} IN TRANSACTIONS OF $batch ROWS

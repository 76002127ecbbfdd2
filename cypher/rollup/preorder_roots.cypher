// The first step of the top-down numbering: roots in id order, each followed by its downline.
// Parameters: $gen, $k {pre, size}.
// Index: distributor_depth.
MATCH (r:Distributor)
WHERE r.depth = 0 AND r.gen <= $gen
WITH r
ORDER BY r.id
WITH collect(r) AS roots
WITH roots, reduce(acc = [0], r IN roots | acc + [last(acc) + r[$k.size] + 1]) AS starts
UNWIND range(0, size(roots) - 1) AS i
WITH roots[i] AS r, starts[i] AS pre
SET r[$k.pre] = pre

// Where a scope (a distributor and their downline) lies in the live rollup: the numbers
// [lo, hi] = [pre, pre + size] of its members, and whether $id lies inside it.
// Parameters: $scope (distributor id), $id (a distributor id or null), $gen, $k (live slot names).
// Returns one row: lo, hi, depth (null when the scope distributor does not exist), inside.
// Index: constraint distributor_id.
OPTIONAL MATCH (s:Distributor {id: $scope})
WHERE s.gen <= $gen
OPTIONAL MATCH (d:Distributor {id: $id})
WHERE d.gen <= $gen
RETURN s[$k.pre] AS lo, s[$k.pre] + s[$k.size] AS hi, s.depth AS depth,
       d IS NOT NULL AND s IS NOT NULL AND d[$k.pre] >= s[$k.pre] AND d[$k.pre] <= s[$k.pre] + s[$k.size]
         AS inside

// The shape of the whole forest once the level steps are done: distributors by depth and frontline
// size (both histograms come from these groups).
// Parameters: $gen, $k {levels}.
// Returns rows depth, frontline, distributors.
MATCH (d:Distributor)
WHERE d.gen <= $gen
RETURN d.depth AS depth, coalesce(d[$k.levels][0], 0) AS frontline, count(*) AS distributors

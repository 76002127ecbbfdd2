// New distributors per month of joined_on (members without a join date are left out).
// Parameters: $gen.
// Returns rows month (YYYY-MM), distributors.
MATCH (d:Distributor)
WHERE d.gen <= $gen AND d.joined_on IS NOT NULL
WITH substring(toString(d.joined_on), 0, 7) AS month
RETURN month, count(*) AS distributors
ORDER BY month

// Deletes up to $limit staged rows of an import that never published (a crash or kill);
// run until it returns 0. They were never visible: their gen is above the published one.
// Parameters: $published, $limit. Returns deleted.
// Index: distributor_gen, order_gen (range seek gen > $published).
CALL () {
  MATCH (d:Distributor) WHERE d.gen > $published
  RETURN d AS n LIMIT $limit
  UNION
  MATCH (o:Order) WHERE o.gen > $published
  RETURN o AS n LIMIT $limit
}
WITH n LIMIT $limit
DETACH DELETE n
RETURN count(*) AS deleted

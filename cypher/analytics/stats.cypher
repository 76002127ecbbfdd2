// One distributor's figures for one period, read from the live rollup in one round trip: the
// published generation and slot, the period's index in the rollup, a few property reads and one
// hop to the frontline (as fast for a root with a million below as for anyone).
// Parameters: $id, $period (YYYY-MM, or null for the latest period with orders).
// Returns one row (none for an unknown id or an empty database): slot (null before any rollup),
//         rollup_active (the rollup's active threshold), period (null when no period has orders),
//         id, name, sponsor_id, depth, pv, gv, act, size, height, dsum, levels,
//         legs [[id, gv, size]] (volumes in ten-thousandths; see cypher/rollup/write.cypher;
//         levels [] for a member without downline, which stores none).
// Index: constraint distributor_id, constraint publication_id, constraint rollup_slot.
MATCH (p:Publication {id: 1})
OPTIONAL MATCH (r:Rollup {slot: p.slot})
WITH p, r, coalesce($period, r.periods[-1]) AS period, 'r' + toString(coalesce(p.slot, 0)) + '_' AS s
WITH p, r, period, s,
     coalesce([i IN range(0, size(coalesce(r.periods, [])) - 1) WHERE r.periods[i] = period][0], -1) AS i
MATCH (d:Distributor {id: $id})
WHERE d.gen <= p.gen
CALL (d, p, s, i) {
  MATCH (d)-[:SPONSORS]->(c:Distributor)
  WHERE c.gen <= p.gen
  RETURN collect([c.id, CASE WHEN i < 0 THEN 0 ELSE c[s + 'gv'][i] END, c[s + 'size'] + 1]) AS legs
}
RETURN p.slot AS slot, r.active AS rollup_active, period,
       d.id AS id, d.name AS name, d.sponsor_id AS sponsor_id, d.depth AS depth,
       CASE WHEN i < 0 THEN 0 ELSE d[s + 'pv'][i] END AS pv,
       CASE WHEN i < 0 THEN 0 ELSE d[s + 'gv'][i] END AS gv,
       CASE WHEN i < 0 THEN null ELSE d[s + 'act'][i] END AS act,
       d[s + 'size'] AS size, d[s + 'height'] AS height, d[s + 'dsum'] AS dsum, coalesce(d[s + 'levels'], []) AS levels, legs

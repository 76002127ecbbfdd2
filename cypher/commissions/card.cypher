// What a rank report card needs for one distributor and period, from the live rollup: their PV
// and each frontline member's PV and GV (a leg's volume).
// Parameters: $id, $period. Returns one row (none for an unknown id): gen, rolled_gen, period_found,
//         pv, frontline [[id, pv, gv]] (volumes in ten-thousandths).
// Index: constraint distributor_id, constraint publication_id, constraint rollup_slot.
MATCH (p:Publication {id: 1})
OPTIONAL MATCH (r:Rollup {slot: p.slot})
WITH p, r, 'r' + toString(coalesce(p.slot, 0)) + '_' AS s,
     coalesce([i IN range(0, size(coalesce(r.periods, [])) - 1) WHERE r.periods[i] = $period][0], -1) AS i
MATCH (d:Distributor {id: $id})
WHERE d.gen <= p.gen
CALL (d, p, s, i) {
  MATCH (d)-[:SPONSORS]->(c:Distributor)
  WHERE c.gen <= p.gen
  RETURN collect([c.id, CASE WHEN i < 0 THEN 0 ELSE c[s + 'pv'][i] END,
                  CASE WHEN i < 0 THEN 0 ELSE c[s + 'gv'][i] END]) AS frontline
}
RETURN p.gen AS gen, r.gen AS rolled_gen, i >= 0 AS period_found,
       CASE WHEN i < 0 THEN 0 ELSE d[s + 'pv'][i] END AS pv, frontline

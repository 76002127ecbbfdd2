// A distributor's place in the binary placement tree and the volume under each side for a period:
// *left volume* is the PV in $period of the placement subtree under the L child, that child
// included; the same for R (contract section 2). Computed by walking the placement subtree.
// Parameters: $id, $period.
// Returns one row per side L, R (none for an unknown id): parent, side_of_parent (where the
//         distributor itself is placed), side, child (null: the slot is free), volume
//         (ten-thousandths), members (of the placement subtree under that side).
// Index: constraint distributor_id, order_distributor_period.
MATCH (p:Publication {id: 1})
MATCH (d:Distributor {id: $id})
WHERE d.gen <= p.gen
UNWIND ['L', 'R'] AS side
OPTIONAL MATCH (d)-[:PLACES {side: side}]->(c:Distributor)
WHERE c.gen <= p.gen
CALL (c, p) {
  MATCH (c)-[:PLACES*0..]->(m:Distributor)
  WHERE m.gen <= p.gen
  CALL (m, p) {
    MATCH (o:Order)
    USING INDEX o:Order(distributor_id, period)
    WHERE o.distributor_id = m.id AND o.period = $period AND o.gen <= p.gen
    RETURN sum(o.volume) AS pv
  }
  RETURN sum(pv) AS volume, count(m) AS members
}
RETURN d.placement_parent_id AS parent, d.placement_side AS side_of_parent, side, c.id AS child,
       volume, members
ORDER BY side

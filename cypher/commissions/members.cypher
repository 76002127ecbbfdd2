// Every published distributor with what a commission run needs, read from the live rollup slot:
// the sponsor, the binary placement, the matrix placement and the PV of each rollup period.
// One row of parallel lists, not a row per distributor: a million records cost the driver four
// times as long as a million-element list.
// Parameters: $gen (the published generation), $pv (the live slot's PV property, e.g. 'r0_pv',
// aligned to the rollup's periods; volumes in ten-thousandths).
// Returns one row of lists aligned by position (collect drops nulls, so none is written as ''
// for ids and sides, -1 for matrix_seqs: not placed in the matrix, [] for pvs): ids, sponsors,
// depths, placement_parents, placement_sides, matrix_parents, matrix_seqs, pvs.
// Index: none (a scan of every distributor; a run reads the whole network once).
MATCH (d:Distributor)
WHERE d.gen <= $gen
RETURN collect(d.id) AS ids, collect(coalesce(d.sponsor_id, '')) AS sponsors,
       collect(coalesce(d.depth, 0)) AS depths,
       collect(coalesce(d.placement_parent_id, '')) AS placement_parents,
       collect(coalesce(d.placement_side, '')) AS placement_sides,
       collect(coalesce(d.matrix_parent_id, '')) AS matrix_parents,
       collect(coalesce(d.matrix_seq, -1)) AS matrix_seqs,
       collect(coalesce(d[$pv], [])) AS pvs

// Every distributor of data generation $gen with what network health needs: the sponsor, the join
// month and, from the live rollup slot, the PV of each rollup period (used only when that rollup
// covers exactly $gen; a commission run that read an earlier generation takes PV from the orders,
// health/volumes.cypher). One row of parallel lists, as cypher/commissions/members.cypher: a
// million records cost the driver far more than one million-element list.
// Parameters: $gen (the published generation, or the one a commission run read), $pv (the live
//             slot's PV property, e.g. 'r0_pv', aligned to the rollup's periods; or null).
// Returns one row of lists aligned by position (collect drops nulls, so none is written as '' or
// []): ids, sponsors ('' for a root), joined ('YYYY-MM', '' without joined_on), pvs (lists of
// ten-thousandths, [] when $pv is null).
// Index: none (a scan of every distributor: the figures are over the whole network).
MATCH (d:Distributor)
WHERE d.gen <= $gen
RETURN collect(d.id) AS ids, collect(coalesce(d.sponsor_id, '')) AS sponsors,
       collect(coalesce(substring(toString(d.joined_on), 0, 7), '')) AS joined,
       collect(CASE WHEN $pv IS NULL THEN [] ELSE coalesce(d[$pv], []) END) AS pvs

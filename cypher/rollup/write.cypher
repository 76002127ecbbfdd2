// Writes one batch of rolled-up figures into a slot (graph_service/analytics/treesum.py computes
// them).
// Parameters: $rows [{id, figures}], where figures maps the slot's property names (r0_* or r1_*, see
// graph_service.analytics.rollup.keys) to the values:
//   size    downline size               height  max_depth (0 without downline)
//   dsum    sum of downline levels      levels  head-count per level [level 1, level 2, ...]
//   pv, gv, act, maxleg   per period, aligned to the rollup's periods: PV, GV, active downline
//                         count, largest leg volume (0 without legs)   -- volumes in ten-thousandths
//   pre     position in depth-first order (siblings by id): the downline is (pre, pre + size]
// Index: constraint distributor_id.
UNWIND $rows AS row
MATCH (d:Distributor {id: row.id})
SET d += row.figures

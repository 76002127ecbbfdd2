// Writes one batch of rolled-up figures into a slot (graph_service/analytics/treesum.py computes
// them). The batch comes as one list per figure, not a map per member: a few long lists of
// numbers cost the driver and the server far less to encode and decode than 10,000 small maps.
// Parameters: $slot (0 or 1: the properties r0_* or r1_*), $periods (number of periods), and
// aligned per member i of the batch:
//   $ids[i]     the distributor id
//   $size[i]    downline size               $height[i]  max_depth (0 without downline)
//   $dsum[i]    sum of downline levels      $pre[i]     position in depth-first order (siblings
//                                                       by id): the downline is (pre, pre + size]
//   $levels[$level_start[i] .. $level_start[i + 1]]   head-count per level [level 1, level 2, ...];
//       none is stored for a member without downline (no levels property: readers take [])
//       -- as a bulk load's files give it, where an empty list cannot be written
//   $pv, $gv, $act, $maxleg [i * $periods .. (i + 1) * $periods]   per period, aligned to the
//       rollup's periods: PV, GV, active downline count, largest leg volume (0 without legs)
//       -- volumes in ten-thousandths
// Index: constraint distributor_id.
UNWIND range(0, size($ids) - 1) AS i
MATCH (d:Distributor {id: $ids[i]})
WITH d, i, i * $periods AS j
WITH d, $size[i] AS size, $height[i] AS height, $dsum[i] AS dsum, $pre[i] AS pre,
     CASE $level_start[i] WHEN $level_start[i + 1] THEN null
       ELSE $levels[$level_start[i]..$level_start[i + 1]] END AS levels,
     $pv[j..j + $periods] AS pv, $gv[j..j + $periods] AS gv, $act[j..j + $periods] AS act,
     $maxleg[j..j + $periods] AS maxleg
SET d += CASE $slot
  WHEN 0 THEN {r0_size: size, r0_height: height, r0_dsum: dsum, r0_levels: levels, r0_pv: pv, r0_gv: gv,
               r0_act: act, r0_maxleg: maxleg, r0_pre: pre}
  ELSE {r1_size: size, r1_height: height, r1_dsum: dsum, r1_levels: levels, r1_pv: pv, r1_gv: gv,
        r1_act: act, r1_maxleg: maxleg, r1_pre: pre}
  END

// Schema of the downline graph, applied idempotently on `db start`, `import` and service start.
// Parameters: none. Each statement ends with `;` at the end of a line (see graph_service/db/queries.py).
//
// (:Distributor {id, sponsor_id, name, country, joined_on, depth, root_id, seq,
//                placement_parent_id, placement_side})
// (sponsor:Distributor)-[:SPONSORS]->(recruit:Distributor)          the sponsor tree
// (parent:Distributor)-[:PLACES {side: 'L'|'R'}]->(child:Distributor)  the binary placement tree
// (parent:Distributor)-[:MATRIX {seq}]->(child:Distributor)  the forced matrix, placed by the
//     imports; the child also carries matrix_parent_id, matrix_seq (global placement order) and
//     matrix_depth. (:MatrixConfig {id: 1, width, next_seq}) records the width once published.
// (:Order {id, distributor_id, ordered_on, period, volume, amount, buyer, import_id})
//     volume and amount are integers in ten-thousandths (fixed point, exact sums)
// (:Import {id, gen, at, distributors_added, orders_added, ...})       one per published import
// (:ImportLock {id: 1, holder, heartbeat})                           lease: one import at a time
// (:Publication {id: 1, gen, slot})  distributors and orders carry `gen`, the import that wrote
//                                them; readers see only gen <= Publication.gen (all of an import or
//                                none) and the rollups of slot Publication.slot
// Rollups (cypher/rollup/): each distributor carries two sets of rolled-up figures, r0_* and r1_*
// (size, height, dsum, levels, pre, and per period pv, gv, act, maxleg); one is live, the other is
// rebuilt by the next import and published with it. (:Rollup {slot, gen, periods, active, stats}).

CREATE CONSTRAINT distributor_id IF NOT EXISTS FOR (d:Distributor) REQUIRE d.id IS UNIQUE;
// one child per placement slot (nulls are not indexed: members outside the binary tree pass)
CREATE CONSTRAINT placement_slot IF NOT EXISTS
FOR (d:Distributor) REQUIRE (d.placement_parent_id, d.placement_side) IS UNIQUE;
CREATE CONSTRAINT order_id IF NOT EXISTS FOR (o:Order) REQUIRE o.id IS UNIQUE;
CREATE CONSTRAINT import_id IF NOT EXISTS FOR (i:Import) REQUIRE i.id IS UNIQUE;
CREATE CONSTRAINT import_lock_id IF NOT EXISTS FOR (l:ImportLock) REQUIRE l.id IS UNIQUE;
CREATE INDEX order_distributor_period IF NOT EXISTS FOR (o:Order) ON (o.distributor_id, o.period);
CREATE INDEX order_period IF NOT EXISTS FOR (o:Order) ON (o.period);
CREATE CONSTRAINT publication_id IF NOT EXISTS FOR (p:Publication) REQUIRE p.id IS UNIQUE;
CREATE CONSTRAINT matrix_config_id IF NOT EXISTS FOR (c:MatrixConfig) REQUIRE c.id IS UNIQUE;
// staged rows of an unpublished import are found (and swept) by generation
CREATE INDEX distributor_gen IF NOT EXISTS FOR (d:Distributor) ON (d.gen);
CREATE INDEX order_gen IF NOT EXISTS FOR (o:Order) ON (o.gen);
CREATE INDEX distributor_depth IF NOT EXISTS FOR (d:Distributor) ON (d.depth);
CREATE INDEX distributor_root IF NOT EXISTS FOR (d:Distributor) ON (d.root_id);
CREATE TEXT INDEX distributor_name IF NOT EXISTS FOR (d:Distributor) ON (d.name);
CREATE CONSTRAINT rollup_slot IF NOT EXISTS FOR (r:Rollup) REQUIRE r.slot IS UNIQUE;
// depth-first position of each slot: a downline is the range (pre, pre + size]
CREATE INDEX distributor_pre_0 IF NOT EXISTS FOR (d:Distributor) ON (d.r0_pre);
CREATE INDEX distributor_pre_1 IF NOT EXISTS FOR (d:Distributor) ON (d.r1_pre);
CREATE CONSTRAINT api_key_id IF NOT EXISTS FOR (k:ApiKey) REQUIRE k.id IS UNIQUE;
// commission runs (graph_service/compensation/runs.py): a run node and its chunks of earners
CREATE CONSTRAINT commission_run_id IF NOT EXISTS FOR (r:CommissionRun) REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT run_chunk_bucket IF NOT EXISTS FOR (c:RunChunk) REQUIRE (c.run_id, c.bucket) IS UNIQUE;
CREATE INDEX run_chunk_run IF NOT EXISTS FOR (c:RunChunk) ON (c.run_id);

-- SELECT region FROM golden.src WHERE amount > 9000 UNION ALL SELECT region FROM golden.dim
-- mode: KEYED
-- sources: golden.src (key id) golden.dim (key id)
-- columns:
--   region text
--   __pgt_row_id bigint  (hidden: hash of the row identity)
--   __pgt_id_1 integer  (hidden: row identity)
--   __pgt_id_2 integer  (hidden: row identity)
--   __pgt_id_3 integer  (hidden: row identity)
-- identity: __pgt_id_1, __pgt_id_2, __pgt_id_3

-- full refresh
DELETE
FROM golden.st_union_all;
INSERT INTO golden.st_union_all(region, __pgt_id_1, __pgt_id_2, __pgt_id_3, __pgt_row_id)
SELECT q.region, q.__pgt_i1, q.__pgt_i2, q.__pgt_i3, hash_record_extended(ROW(q.__pgt_i1, q.__pgt_i2, q.__pgt_i3), 0)
FROM (SELECT __pgt_b.region AS region, 1 AS __pgt_i1, __pgt_b.__pgt_i1 AS __pgt_i2, NULL::integer AS __pgt_i3
  FROM (SELECT src.region AS region, src.id AS __pgt_i1
    FROM golden.src AS src
    WHERE (src.amount > 9000)) AS __pgt_b
  UNION ALL
  SELECT __pgt_b.region AS region, 2 AS __pgt_i1, NULL::integer AS __pgt_i2, __pgt_b.__pgt_i1 AS __pgt_i3
  FROM (SELECT dim.region AS region, dim.id AS __pgt_i1
    FROM golden.dim AS dim) AS __pgt_b) AS q;

-- apply a window of changes (MERGE; ? = lower, upper bound of each source's window)
SELECT pg_stat_get_xact_tuples_inserted(r.oid), pg_stat_get_xact_tuples_updated(r.oid), pg_stat_get_xact_tuples_deleted(r.oid), current_setting('track_counts')::boolean
FROM (SELECT to_regclass('golden.st_union_all')::oid AS oid) AS r;
WITH __pgt_d0 AS (SELECT (v.__pgt_row ->> 'id')::integer AS id, (v.__pgt_row ->> 'region')::text AS region, (v.__pgt_row ->> 'amount')::integer AS amount, v.__pgt_w, v.lsn AS __pgt_lsn, v.seq AS __pgt_seq
  FROM (SELECT CASE
    WHEN s.__pgt_w > 0 THEN c.new_row ELSE c.old_row END AS __pgt_row, s.__pgt_w, c.lsn, c.seq
    FROM pgtrickle_changes.changes_<oid> AS c
    CROSS JOIN (VALUES (1), (- 1)) AS s(__pgt_w)
    WHERE c.lsn >= ?::pg_lsn AND c.lsn < ?::pg_lsn) AS v
  WHERE v.__pgt_row IS NOT NULL OFFSET 0),
__pgt_d1 AS (SELECT (v.__pgt_row ->> 'id')::integer AS id, (v.__pgt_row ->> 'region')::text AS region, v.__pgt_w, v.lsn AS __pgt_lsn, v.seq AS __pgt_seq
  FROM (SELECT CASE
    WHEN s.__pgt_w > 0 THEN c.new_row ELSE c.old_row END AS __pgt_row, s.__pgt_w, c.lsn, c.seq
    FROM pgtrickle_changes.changes_<oid> AS c
    CROSS JOIN (VALUES (1), (- 1)) AS s(__pgt_w)
    WHERE c.lsn >= ?::pg_lsn AND c.lsn < ?::pg_lsn) AS v
  WHERE v.__pgt_row IS NOT NULL OFFSET 0),
__pgt_delta AS (SELECT __pgt_b.region AS region, 1 AS __pgt_i1, __pgt_b.__pgt_i1 AS __pgt_i2, NULL::integer AS __pgt_i3, __pgt_b.__pgt_w
  FROM (SELECT src.region AS region, src.id AS __pgt_i1, src.__pgt_w AS __pgt_w
    FROM __pgt_d0 AS src
    WHERE (src.amount > 9000)) AS __pgt_b
  UNION ALL
  SELECT __pgt_b.region AS region, 2 AS __pgt_i1, NULL::integer AS __pgt_i2, __pgt_b.__pgt_i1 AS __pgt_i3, __pgt_b.__pgt_w
  FROM (SELECT dim.region AS region, dim.id AS __pgt_i1, dim.__pgt_w AS __pgt_w
    FROM __pgt_d1 AS dim) AS __pgt_b),
__pgt_net AS (SELECT region AS region, __pgt_i1, __pgt_i2, __pgt_i3, sum(__pgt_w) AS __pgt_w
  FROM __pgt_delta
  GROUP BY region, __pgt_i1, __pgt_i2, __pgt_i3
  HAVING sum(__pgt_w) <> 0),
__pgt_apply AS (SELECT DISTINCT ON (__pgt_i1, __pgt_i2, __pgt_i3) __pgt_i1, __pgt_i2, __pgt_i3, __pgt_w, region, hash_record_extended(ROW(__pgt_i1, __pgt_i2, __pgt_i3), 0) AS __pgt_row_id
  FROM __pgt_net ORDER BY __pgt_i1, __pgt_i2, __pgt_i3, __pgt_w DESC)
MERGE INTO golden.st_union_all AS __pgt_st USING __pgt_apply AS d ON __pgt_st.__pgt_row_id = d.__pgt_row_id AND __pgt_st.__pgt_id_1 IS NOT DISTINCT FROM d.__pgt_i1 AND __pgt_st.__pgt_id_2 IS NOT DISTINCT FROM d.__pgt_i2 AND __pgt_st.__pgt_id_3 IS NOT DISTINCT FROM d.__pgt_i3
WHEN MATCHED AND d.__pgt_w < 0 THEN
DELETE
WHEN MATCHED AND (NOT (__pgt_st.region IS NOT DISTINCT FROM d.region)) THEN
UPDATE SET region = d.region
WHEN NOT MATCHED AND d.__pgt_w > 0 THEN
INSERT(region, __pgt_id_1, __pgt_id_2, __pgt_id_3, __pgt_row_id)
VALUES (d.region, d.__pgt_i1, d.__pgt_i2, d.__pgt_i3, d.__pgt_row_id);
SELECT pg_stat_get_xact_tuples_inserted(r.oid), pg_stat_get_xact_tuples_updated(r.oid), pg_stat_get_xact_tuples_deleted(r.oid), current_setting('track_counts')::boolean
FROM (SELECT to_regclass('golden.st_union_all')::oid AS oid) AS r;

-- SELECT region, amount FROM golden.src WHERE amount > 5000
-- mode: KEYED
-- sources: golden.src (key id)
-- columns:
--   region text
--   amount integer
--   __pgt_id_1 integer  (hidden: row identity)
-- identity: __pgt_id_1

-- full refresh
DELETE
FROM golden.st_projection_without_key;
INSERT INTO golden.st_projection_without_key(region, amount, __pgt_id_1)
SELECT q.region, q.amount, q.__pgt_i1
FROM (SELECT src.region AS region, src.amount AS amount, src.id AS __pgt_i1
  FROM golden.src AS src
  WHERE (src.amount > 5000)) AS q;

-- apply a window of changes (MERGE; ? = lower, upper bound of each source's window)
SELECT pg_stat_get_xact_tuples_inserted(r.oid), pg_stat_get_xact_tuples_updated(r.oid), pg_stat_get_xact_tuples_deleted(r.oid), current_setting('track_counts')::boolean
FROM (SELECT to_regclass('golden.st_projection_without_key')::oid AS oid) AS r;
WITH __pgt_d0 AS (SELECT (v.__pgt_row ->> 'id')::integer AS id, (v.__pgt_row ->> 'region')::text AS region, (v.__pgt_row ->> 'amount')::integer AS amount, v.__pgt_w, v.lsn AS __pgt_lsn, v.seq AS __pgt_seq
  FROM (SELECT CASE
    WHEN s.__pgt_w > 0 THEN c.new_row ELSE c.old_row END AS __pgt_row, s.__pgt_w, c.lsn, c.seq
    FROM pgtrickle_changes.changes_<oid> AS c
    CROSS JOIN (VALUES (1), (- 1)) AS s(__pgt_w)
    WHERE c.lsn >= ?::pg_lsn AND c.lsn < ?::pg_lsn) AS v
  WHERE v.__pgt_row IS NOT NULL OFFSET 0),
__pgt_delta AS (SELECT src.region AS region, src.amount AS amount, src.id AS __pgt_i1, src.__pgt_w AS __pgt_w, src.__pgt_lsn AS __pgt_lsn, src.__pgt_seq AS __pgt_seq
  FROM __pgt_d0 AS src
  WHERE (src.amount > 5000)),
__pgt_apply AS (SELECT DISTINCT ON (__pgt_i1) __pgt_i1, __pgt_lsn, __pgt_seq, __pgt_w, region, amount
  FROM __pgt_delta ORDER BY __pgt_i1, __pgt_lsn DESC, __pgt_seq DESC, __pgt_w DESC)
MERGE INTO golden.st_projection_without_key AS __pgt_st USING __pgt_apply AS d ON __pgt_st.__pgt_id_1 = d.__pgt_i1
WHEN MATCHED AND d.__pgt_w < 0 THEN
DELETE
WHEN MATCHED AND (NOT (__pgt_st.region IS NOT DISTINCT FROM d.region) OR NOT (__pgt_st.amount IS NOT DISTINCT FROM d.amount)) THEN
UPDATE SET region = d.region, amount = d.amount
WHEN NOT MATCHED AND d.__pgt_w > 0 THEN
INSERT(region, amount, __pgt_id_1)
VALUES (d.region, d.amount, d.__pgt_i1);
SELECT pg_stat_get_xact_tuples_inserted(r.oid), pg_stat_get_xact_tuples_updated(r.oid), pg_stat_get_xact_tuples_deleted(r.oid), current_setting('track_counts')::boolean
FROM (SELECT to_regclass('golden.st_projection_without_key')::oid AS oid) AS r;

-- SELECT id, region, category, amount, score FROM golden.src
-- mode: KEYED
-- sources: golden.src (key id)
-- columns:
--   id integer
--   region text
--   category text
--   amount integer
--   score integer
-- identity: id

-- full refresh
DELETE
FROM golden.st_scan;
INSERT INTO golden.st_scan(id, region, category, amount, score)
SELECT q.id, q.region, q.category, q.amount, q.score
FROM (SELECT src.id AS id, src.region AS region, src.category AS category, src.amount AS amount, src.score AS score, src.id AS __pgt_i1
  FROM golden.src AS src) AS q;

-- apply a window of changes (MERGE; ? = lower, upper bound of each source's window)
SELECT pg_stat_get_xact_tuples_inserted(r.oid), pg_stat_get_xact_tuples_updated(r.oid), pg_stat_get_xact_tuples_deleted(r.oid), current_setting('track_counts')::boolean
FROM (SELECT to_regclass('golden.st_scan')::oid AS oid) AS r;
WITH __pgt_d0 AS (SELECT (v.__pgt_row ->> 'id')::integer AS id, (v.__pgt_row ->> 'region')::text AS region, (v.__pgt_row ->> 'category')::text AS category, (v.__pgt_row ->> 'amount')::integer AS amount, (v.__pgt_row ->> 'score')::integer AS score, v.__pgt_w, v.lsn AS __pgt_lsn, v.seq AS __pgt_seq
  FROM (SELECT CASE
    WHEN s.__pgt_w > 0 THEN c.new_row ELSE c.old_row END AS __pgt_row, s.__pgt_w, c.lsn, c.seq
    FROM pgtrickle_changes.changes_<oid> AS c
    CROSS JOIN (VALUES (1), (- 1)) AS s(__pgt_w)
    WHERE c.lsn >= ?::pg_lsn AND c.lsn < ?::pg_lsn) AS v
  WHERE v.__pgt_row IS NOT NULL OFFSET 0),
__pgt_delta AS (SELECT src.id AS id, src.region AS region, src.category AS category, src.amount AS amount, src.score AS score, src.id AS __pgt_i1, src.__pgt_w AS __pgt_w, src.__pgt_lsn AS __pgt_lsn, src.__pgt_seq AS __pgt_seq
  FROM __pgt_d0 AS src),
__pgt_apply AS (SELECT DISTINCT ON (__pgt_i1) __pgt_i1, __pgt_lsn, __pgt_seq, __pgt_w, id, region, category, amount, score
  FROM __pgt_delta ORDER BY __pgt_i1, __pgt_lsn DESC, __pgt_seq DESC, __pgt_w DESC)
MERGE INTO golden.st_scan AS __pgt_st USING __pgt_apply AS d ON __pgt_st.id = d.__pgt_i1
WHEN MATCHED AND d.__pgt_w < 0 THEN
DELETE
WHEN MATCHED AND (NOT (__pgt_st.id IS NOT DISTINCT FROM d.id) OR NOT (__pgt_st.region IS NOT DISTINCT FROM d.region) OR NOT (__pgt_st.category IS NOT DISTINCT FROM d.category) OR NOT (__pgt_st.amount IS NOT DISTINCT FROM d.amount) OR NOT (__pgt_st.score IS NOT DISTINCT FROM d.score)) THEN
UPDATE SET id = d.id, region = d.region, category = d.category, amount = d.amount, score = d.score
WHEN NOT MATCHED AND d.__pgt_w > 0 THEN
INSERT(id, region, category, amount, score)
VALUES (d.id, d.region, d.category, d.amount, d.score);
SELECT pg_stat_get_xact_tuples_inserted(r.oid), pg_stat_get_xact_tuples_updated(r.oid), pg_stat_get_xact_tuples_deleted(r.oid), current_setting('track_counts')::boolean
FROM (SELECT to_regclass('golden.st_scan')::oid AS oid) AS r;

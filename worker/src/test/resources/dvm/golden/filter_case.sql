-- SELECT id, CASE WHEN amount > 5000 THEN 'big' ELSE 'small' END AS size FROM golden.src WHERE score > 10
-- mode: KEYED
-- sources: golden.src (key id)
-- columns:
--   id integer
--   size text
-- identity: id

-- full refresh
DELETE
FROM golden.st_filter_case;
INSERT INTO golden.st_filter_case(id, size)
SELECT q.id, q.size
FROM (SELECT src.id AS id, CASE
  WHEN (src.amount > 5000) THEN 'big'::text ELSE 'small'::text END AS size, src.id AS __pgt_i1
  FROM golden.src AS src
  WHERE (src.score > 10)) AS q;

-- apply a window of changes (MERGE; ? = lower, upper bound of each source's window)
SELECT pg_stat_get_xact_tuples_inserted(r.oid), pg_stat_get_xact_tuples_updated(r.oid), pg_stat_get_xact_tuples_deleted(r.oid), current_setting('track_counts')::boolean
FROM (SELECT to_regclass('golden.st_filter_case')::oid AS oid) AS r;
WITH __pgt_d0 AS (SELECT (v.__pgt_row ->> 'id')::integer AS id, (v.__pgt_row ->> 'amount')::integer AS amount, (v.__pgt_row ->> 'score')::integer AS score, v.__pgt_w, v.lsn AS __pgt_lsn, v.seq AS __pgt_seq
  FROM (SELECT CASE
    WHEN s.__pgt_w > 0 THEN c.new_row ELSE c.old_row END AS __pgt_row, s.__pgt_w, c.lsn, c.seq
    FROM pgtrickle_changes.changes_<oid> AS c
    CROSS JOIN (VALUES (1), (- 1)) AS s(__pgt_w)
    WHERE c.lsn >= ?::pg_lsn AND c.lsn < ?::pg_lsn) AS v
  WHERE v.__pgt_row IS NOT NULL OFFSET 0),
__pgt_delta AS (SELECT src.id AS id, CASE
  WHEN (src.amount > 5000) THEN 'big'::text ELSE 'small'::text END AS size, src.id AS __pgt_i1, src.__pgt_w AS __pgt_w, src.__pgt_lsn AS __pgt_lsn, src.__pgt_seq AS __pgt_seq
  FROM __pgt_d0 AS src
  WHERE (src.score > 10)),
__pgt_apply AS (SELECT DISTINCT ON (__pgt_i1) __pgt_i1, __pgt_lsn, __pgt_seq, __pgt_w, id, size
  FROM __pgt_delta ORDER BY __pgt_i1, __pgt_lsn DESC, __pgt_seq DESC, __pgt_w DESC)
MERGE INTO golden.st_filter_case AS __pgt_st USING __pgt_apply AS d ON __pgt_st.id = d.__pgt_i1
WHEN MATCHED AND d.__pgt_w < 0 THEN
DELETE
WHEN MATCHED AND (NOT (__pgt_st.id IS NOT DISTINCT FROM d.id) OR NOT (__pgt_st.size IS NOT DISTINCT FROM d.size)) THEN
UPDATE SET id = d.id, size = d.size
WHEN NOT MATCHED AND d.__pgt_w > 0 THEN
INSERT(id, size)
VALUES (d.id, d.size);
SELECT pg_stat_get_xact_tuples_inserted(r.oid), pg_stat_get_xact_tuples_updated(r.oid), pg_stat_get_xact_tuples_deleted(r.oid), current_setting('track_counts')::boolean
FROM (SELECT to_regclass('golden.st_filter_case')::oid AS oid) AS r;

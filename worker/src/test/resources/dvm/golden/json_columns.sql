-- SELECT id, j, js::text AS js, ja, d FROM golden.docs WHERE j IS NOT NULL
-- mode: KEYED
-- sources: golden.docs (key id)
-- columns:
--   id integer
--   j jsonb
--   js text
--   ja jsonb[]
--   d golden.doc
-- identity: id

-- full refresh
DELETE
FROM golden.st_json_columns;
INSERT INTO golden.st_json_columns(id, j, js, ja, d)
SELECT q.id, q.j, q.js, q.ja, q.d
FROM (SELECT docs.id AS id, docs.j AS j, (docs.js)::text AS js, docs.ja AS ja, docs.d AS d, docs.id AS __pgt_i1
  FROM golden.docs AS docs
  WHERE (docs.j IS NOT NULL)) AS q;

-- apply a window of changes (MERGE; ? = lower, upper bound of each source's window)
SELECT pg_stat_get_xact_tuples_inserted(r.oid), pg_stat_get_xact_tuples_updated(r.oid), pg_stat_get_xact_tuples_deleted(r.oid), current_setting('track_counts')::boolean
FROM (SELECT to_regclass('golden.st_json_columns')::oid AS oid) AS r;
WITH __pgt_d0 AS (SELECT (v.__pgt_row ->> 'id')::integer AS id, CASE
  WHEN pg_catalog.jsonb_exists(v.__pgt_row, '__pgt_json_text') THEN (v.__pgt_row ->> 'j')::jsonb ELSE (SELECT o.j
    FROM jsonb_to_record(v.__pgt_row) AS o(j jsonb)) END AS j, CASE
  WHEN pg_catalog.jsonb_exists(v.__pgt_row, '__pgt_json_text') THEN (v.__pgt_row ->> 'js')::json ELSE (SELECT o.js
    FROM jsonb_to_record(v.__pgt_row) AS o(js json)) END AS js, CASE
  WHEN pg_catalog.jsonb_exists(v.__pgt_row, '__pgt_json_text') THEN (v.__pgt_row ->> 'ja')::jsonb[] ELSE (SELECT o.ja
    FROM jsonb_to_record(v.__pgt_row) AS o(ja jsonb[])) END AS ja, CASE
  WHEN pg_catalog.jsonb_exists(v.__pgt_row, '__pgt_json_text') THEN (v.__pgt_row ->> 'd')::golden.doc ELSE (SELECT o.d
    FROM jsonb_to_record(v.__pgt_row) AS o(d golden.doc)) END AS d, v.__pgt_w, v.lsn AS __pgt_lsn, v.seq AS __pgt_seq
  FROM (SELECT CASE
    WHEN s.__pgt_w > 0 THEN c.new_row ELSE c.old_row END AS __pgt_row, s.__pgt_w, c.lsn, c.seq
    FROM pgtrickle_changes.changes_<oid> AS c
    CROSS JOIN (VALUES (1), (- 1)) AS s(__pgt_w)
    WHERE c.lsn >= ?::pg_lsn AND c.lsn < ?::pg_lsn) AS v
  WHERE v.__pgt_row IS NOT NULL OFFSET 0),
__pgt_delta AS (SELECT docs.id AS id, docs.j AS j, (docs.js)::text AS js, docs.ja AS ja, docs.d AS d, docs.id AS __pgt_i1, docs.__pgt_w AS __pgt_w, docs.__pgt_lsn AS __pgt_lsn, docs.__pgt_seq AS __pgt_seq
  FROM __pgt_d0 AS docs
  WHERE (docs.j IS NOT NULL)),
__pgt_apply AS (SELECT DISTINCT ON (__pgt_i1) __pgt_i1, __pgt_lsn, __pgt_seq, __pgt_w, id, j, js, ja, d
  FROM __pgt_delta ORDER BY __pgt_i1, __pgt_lsn DESC, __pgt_seq DESC, __pgt_w DESC)
MERGE INTO golden.st_json_columns AS __pgt_st USING __pgt_apply AS d ON __pgt_st.id = d.__pgt_i1
WHEN MATCHED AND d.__pgt_w < 0 THEN
DELETE
WHEN MATCHED AND (NOT (__pgt_st.id IS NOT DISTINCT FROM d.id) OR NOT ((__pgt_st.j IS NOT DISTINCT FROM d.j AND (__pgt_st.j)::text IS NOT DISTINCT FROM (d.j)::text)) OR NOT (__pgt_st.js IS NOT DISTINCT FROM d.js) OR NOT ((__pgt_st.ja IS NOT DISTINCT FROM d.ja AND (__pgt_st.ja)::text IS NOT DISTINCT FROM (d.ja)::text)) OR NOT ((__pgt_st.d IS NOT DISTINCT FROM d.d AND (__pgt_st.d)::text IS NOT DISTINCT FROM (d.d)::text))) THEN
UPDATE SET id = d.id, j = d.j, js = d.js, ja = d.ja, d = d.d
WHEN NOT MATCHED AND d.__pgt_w > 0 THEN
INSERT(id, j, js, ja, d)
VALUES (d.id, d.j, d.js, d.ja, d.d);
SELECT pg_stat_get_xact_tuples_inserted(r.oid), pg_stat_get_xact_tuples_updated(r.oid), pg_stat_get_xact_tuples_deleted(r.oid), current_setting('track_counts')::boolean
FROM (SELECT to_regclass('golden.st_json_columns')::oid AS oid) AS r;

-- SELECT s.id, s.region, s.amount, d.region_name FROM golden.src s INNER JOIN golden.dim d ON s.region = d.region
-- mode: KEYED
-- sources: golden.src (key id) golden.dim (key id)
-- columns:
--   id integer
--   region text
--   amount integer
--   region_name text
--   __pgt_id_2 integer  (hidden: row identity)
-- identity: id, __pgt_id_2

-- full refresh
DELETE
FROM golden.st_join;
INSERT INTO golden.st_join(id, region, amount, region_name, __pgt_id_2)
SELECT q.id, q.region, q.amount, q.region_name, q.__pgt_i2
FROM (SELECT s.id AS id, s.region AS region, s.amount AS amount, d.region_name AS region_name, s.id AS __pgt_i1, d.id AS __pgt_i2
  FROM (golden.src AS s
    INNER JOIN golden.dim AS d ON ((s.region = d.region)))) AS q;

-- apply a window of changes (MERGE; ? = lower, upper bound of each source's window)
SELECT pg_stat_get_xact_tuples_inserted(r.oid), pg_stat_get_xact_tuples_updated(r.oid), pg_stat_get_xact_tuples_deleted(r.oid), current_setting('track_counts')::boolean
FROM (SELECT to_regclass('golden.st_join')::oid AS oid) AS r;
WITH __pgt_d0 AS (SELECT n.id AS id, n.region AS region, n.amount AS amount, sum(n.__pgt_w)::integer AS __pgt_w, NULL::pg_lsn AS __pgt_lsn, NULL::integer AS __pgt_seq
  FROM (SELECT (v.__pgt_row ->> 'id')::integer AS id, (v.__pgt_row ->> 'region')::text AS region, (v.__pgt_row ->> 'amount')::integer AS amount, v.__pgt_w, v.lsn AS __pgt_lsn, v.seq AS __pgt_seq
    FROM (SELECT CASE
      WHEN s.__pgt_w > 0 THEN c.new_row ELSE c.old_row END AS __pgt_row, s.__pgt_w, c.lsn, c.seq
      FROM pgtrickle_changes.changes_<oid> AS c
      CROSS JOIN (VALUES (1), (- 1)) AS s(__pgt_w)
      WHERE c.lsn >= ?::pg_lsn AND c.lsn < ?::pg_lsn) AS v
    WHERE v.__pgt_row IS NOT NULL OFFSET 0) AS n
  GROUP BY n.id, n.region, n.amount
  HAVING sum(n.__pgt_w) <> 0),
__pgt_d1 AS (SELECT n.id AS id, n.region AS region, n.region_name AS region_name, sum(n.__pgt_w)::integer AS __pgt_w, NULL::pg_lsn AS __pgt_lsn, NULL::integer AS __pgt_seq
  FROM (SELECT (v.__pgt_row ->> 'id')::integer AS id, (v.__pgt_row ->> 'region')::text AS region, (v.__pgt_row ->> 'region_name')::text AS region_name, v.__pgt_w, v.lsn AS __pgt_lsn, v.seq AS __pgt_seq
    FROM (SELECT CASE
      WHEN s.__pgt_w > 0 THEN c.new_row ELSE c.old_row END AS __pgt_row, s.__pgt_w, c.lsn, c.seq
      FROM pgtrickle_changes.changes_<oid> AS c
      CROSS JOIN (VALUES (1), (- 1)) AS s(__pgt_w)
      WHERE c.lsn >= ?::pg_lsn AND c.lsn < ?::pg_lsn) AS v
    WHERE v.__pgt_row IS NOT NULL OFFSET 0) AS n
  GROUP BY n.id, n.region, n.region_name
  HAVING sum(n.__pgt_w) <> 0),
__pgt_delta AS (SELECT s.id AS id, s.region AS region, s.amount AS amount, d.region_name AS region_name, s.id AS __pgt_i1, d.id AS __pgt_i2, s.__pgt_w AS __pgt_w
  FROM __pgt_d0 AS s, golden.dim AS d
  WHERE ((s.region = d.region))
  UNION ALL
  SELECT s.id AS id, s.region AS region, s.amount AS amount, d.region_name AS region_name, s.id AS __pgt_i1, d.id AS __pgt_i2, d.__pgt_w AS __pgt_w
  FROM golden.src AS s, __pgt_d1 AS d
  WHERE ((s.region = d.region))
  UNION ALL
  SELECT s.id AS id, s.region AS region, s.amount AS amount, d.region_name AS region_name, s.id AS __pgt_i1, d.id AS __pgt_i2, - (s.__pgt_w * d.__pgt_w) AS __pgt_w
  FROM __pgt_d0 AS s, __pgt_d1 AS d
  WHERE ((s.region = d.region))),
__pgt_net AS (SELECT id AS id, region AS region, amount AS amount, region_name AS region_name, __pgt_i1, __pgt_i2, sum(__pgt_w) AS __pgt_w
  FROM __pgt_delta
  GROUP BY id, region, amount, region_name, __pgt_i1, __pgt_i2
  HAVING sum(__pgt_w) <> 0),
__pgt_apply AS (SELECT DISTINCT ON (__pgt_i1, __pgt_i2) __pgt_i1, __pgt_i2, __pgt_w, id, region, amount, region_name
  FROM __pgt_net ORDER BY __pgt_i1, __pgt_i2, __pgt_w DESC)
MERGE INTO golden.st_join AS __pgt_st USING __pgt_apply AS d ON __pgt_st.id = d.__pgt_i1 AND __pgt_st.__pgt_id_2 = d.__pgt_i2
WHEN MATCHED AND d.__pgt_w < 0 THEN
DELETE
WHEN MATCHED AND (NOT (__pgt_st.id IS NOT DISTINCT FROM d.id) OR NOT (__pgt_st.region IS NOT DISTINCT FROM d.region) OR NOT (__pgt_st.amount IS NOT DISTINCT FROM d.amount) OR NOT (__pgt_st.region_name IS NOT DISTINCT FROM d.region_name)) THEN
UPDATE SET id = d.id, region = d.region, amount = d.amount, region_name = d.region_name
WHEN NOT MATCHED AND d.__pgt_w > 0 THEN
INSERT(id, region, amount, region_name, __pgt_id_2)
VALUES (d.id, d.region, d.amount, d.region_name, d.__pgt_i2);
SELECT pg_stat_get_xact_tuples_inserted(r.oid), pg_stat_get_xact_tuples_updated(r.oid), pg_stat_get_xact_tuples_deleted(r.oid), current_setting('track_counts')::boolean
FROM (SELECT to_regclass('golden.st_join')::oid AS oid) AS r;

-- SELECT s.id, d.region_name FROM golden.src s LEFT JOIN golden.dim d ON d.region = s.region
-- mode: KEYED
-- sources: golden.src (key id) golden.dim (key id)
-- columns:
--   id integer
--   region_name text
--   __pgt_row_id bigint  (hidden: hash of the row identity)
--   __pgt_id_2 integer  (hidden: row identity)
-- identity: id, __pgt_id_2

-- full refresh
DELETE
FROM golden.st_left_join;
INSERT INTO golden.st_left_join(id, region_name, __pgt_id_2, __pgt_row_id)
SELECT q.id, q.region_name, q.__pgt_i2, hash_record_extended(ROW(q.__pgt_i1, q.__pgt_i2), 0)
FROM (SELECT s.id AS id, d.region_name AS region_name, s.id AS __pgt_i1, d.id AS __pgt_i2
  FROM (golden.src AS s
    LEFT JOIN golden.dim AS d ON ((d.region = s.region)))) AS q;

-- apply a window of changes (MERGE; ? = lower, upper bound of each source's window)
SELECT pg_stat_get_xact_tuples_inserted(r.oid), pg_stat_get_xact_tuples_updated(r.oid), pg_stat_get_xact_tuples_deleted(r.oid), current_setting('track_counts')::boolean
FROM (SELECT to_regclass('golden.st_left_join')::oid AS oid) AS r;
WITH __pgt_d0 AS (SELECT n.id AS id, n.region AS region, sum(n.__pgt_w)::integer AS __pgt_w, NULL::pg_lsn AS __pgt_lsn, NULL::integer AS __pgt_seq
  FROM (SELECT (v.__pgt_row ->> 'id')::integer AS id, (v.__pgt_row ->> 'region')::text AS region, v.__pgt_w, v.lsn AS __pgt_lsn, v.seq AS __pgt_seq
    FROM (SELECT CASE
      WHEN s.__pgt_w > 0 THEN c.new_row ELSE c.old_row END AS __pgt_row, s.__pgt_w, c.lsn, c.seq
      FROM pgtrickle_changes.changes_<oid> AS c
      CROSS JOIN (VALUES (1), (- 1)) AS s(__pgt_w)
      WHERE c.lsn >= ?::pg_lsn AND c.lsn < ?::pg_lsn) AS v
    WHERE v.__pgt_row IS NOT NULL OFFSET 0) AS n
  GROUP BY n.id, n.region
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
__pgt_delta AS (SELECT s.id AS id, d.region_name AS region_name, s.id AS __pgt_i1, d.id AS __pgt_i2, s.__pgt_w AS __pgt_w
  FROM __pgt_d0 AS s, golden.dim AS d
  WHERE ((d.region = s.region))
  UNION ALL
  SELECT s.id AS id, d.region_name AS region_name, s.id AS __pgt_i1, d.id AS __pgt_i2, d.__pgt_w AS __pgt_w
  FROM golden.src AS s, __pgt_d1 AS d
  WHERE ((d.region = s.region))
  UNION ALL
  SELECT s.id AS id, d.region_name AS region_name, s.id AS __pgt_i1, d.id AS __pgt_i2, - (s.__pgt_w * d.__pgt_w) AS __pgt_w
  FROM __pgt_d0 AS s, __pgt_d1 AS d
  WHERE ((d.region = s.region))
  UNION ALL
  SELECT s.id AS id, d.region_name AS region_name, s.id AS __pgt_i1, d.id AS __pgt_i2, s.__pgt_w AS __pgt_w
  FROM __pgt_d0 AS s, (SELECT NULL::integer AS id, NULL::text AS region, NULL::text AS region_name) AS d
  WHERE NOT EXISTS (SELECT 1
    FROM golden.dim AS d
    WHERE ((d.region = s.region)))
  UNION ALL
  SELECT s.id AS id, d.region_name AS region_name, s.id AS __pgt_i1, d.id AS __pgt_i2, __pgt_lj1.f AS __pgt_w
  FROM golden.src AS s, (SELECT NULL::integer AS id, NULL::text AS region, NULL::text AS region_name) AS d, LATERAL (SELECT (CASE
      WHEN __pgt_c.n = 0 THEN 1 ELSE 0 END) - (CASE
      WHEN __pgt_c.n - __pgt_c.d = 0 THEN 1 ELSE 0 END) AS f
    FROM (SELECT (SELECT count(*)
        FROM golden.dim AS d
        WHERE ((d.region = s.region))) AS n, (SELECT coalesce(sum(x.w), 0)
        FROM (SELECT d.__pgt_w AS w
          FROM __pgt_d1 AS d
          WHERE ((d.region = s.region))) AS x) AS d OFFSET 0) AS __pgt_c OFFSET 0) AS __pgt_lj1
  WHERE (EXISTS (SELECT 1
      FROM __pgt_d1 AS d
      WHERE ((d.region = s.region)))) AND (__pgt_lj1.f <> 0)
  UNION ALL
  SELECT s.id AS id, d.region_name AS region_name, s.id AS __pgt_i1, d.id AS __pgt_i2, - (s.__pgt_w * __pgt_lj1.f) AS __pgt_w
  FROM __pgt_d0 AS s, (SELECT NULL::integer AS id, NULL::text AS region, NULL::text AS region_name) AS d, LATERAL (SELECT (CASE
      WHEN __pgt_c.n = 0 THEN 1 ELSE 0 END) - (CASE
      WHEN __pgt_c.n - __pgt_c.d = 0 THEN 1 ELSE 0 END) AS f
    FROM (SELECT (SELECT count(*)
        FROM golden.dim AS d
        WHERE ((d.region = s.region))) AS n, (SELECT coalesce(sum(x.w), 0)
        FROM (SELECT d.__pgt_w AS w
          FROM __pgt_d1 AS d
          WHERE ((d.region = s.region))) AS x) AS d OFFSET 0) AS __pgt_c OFFSET 0) AS __pgt_lj1
  WHERE (EXISTS (SELECT 1
      FROM __pgt_d1 AS d
      WHERE ((d.region = s.region)))) AND (__pgt_lj1.f <> 0)),
__pgt_net AS (SELECT id AS id, region_name AS region_name, __pgt_i1, __pgt_i2, sum(__pgt_w) AS __pgt_w
  FROM __pgt_delta
  GROUP BY id, region_name, __pgt_i1, __pgt_i2
  HAVING sum(__pgt_w) <> 0),
__pgt_apply AS (SELECT DISTINCT ON (__pgt_i1, __pgt_i2) __pgt_i1, __pgt_i2, __pgt_w, id, region_name, hash_record_extended(ROW(__pgt_i1, __pgt_i2), 0) AS __pgt_row_id
  FROM __pgt_net ORDER BY __pgt_i1, __pgt_i2, __pgt_w DESC)
MERGE INTO golden.st_left_join AS __pgt_st USING __pgt_apply AS d ON __pgt_st.__pgt_row_id = d.__pgt_row_id AND __pgt_st.id IS NOT DISTINCT FROM d.__pgt_i1 AND __pgt_st.__pgt_id_2 IS NOT DISTINCT FROM d.__pgt_i2
WHEN MATCHED AND d.__pgt_w < 0 THEN
DELETE
WHEN MATCHED AND (NOT (__pgt_st.id IS NOT DISTINCT FROM d.id) OR NOT (__pgt_st.region_name IS NOT DISTINCT FROM d.region_name)) THEN
UPDATE SET id = d.id, region_name = d.region_name
WHEN NOT MATCHED AND d.__pgt_w > 0 THEN
INSERT(id, region_name, __pgt_id_2, __pgt_row_id)
VALUES (d.id, d.region_name, d.__pgt_i2, d.__pgt_row_id);
SELECT pg_stat_get_xact_tuples_inserted(r.oid), pg_stat_get_xact_tuples_updated(r.oid), pg_stat_get_xact_tuples_deleted(r.oid), current_setting('track_counts')::boolean
FROM (SELECT to_regclass('golden.st_left_join')::oid AS oid) AS r;

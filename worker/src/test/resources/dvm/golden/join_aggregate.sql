-- SELECT d.region_name, SUM(s.amount) AS total, COUNT(*) AS cnt FROM golden.src s INNER JOIN golden.dim d ON s.region = d.region GROUP BY d.region_name
-- mode: AGGREGATE
-- sources: golden.src (key id) golden.dim (key id)
-- columns:
--   region_name text
--   total bigint
--   cnt bigint
--   __pgt_count bigint  (hidden: rows in the group)
--   __pgt_nn_1 bigint  (hidden: non-NULL inputs of sum(s.amount))
-- identity: region_name

-- full refresh
DELETE
FROM golden.st_join_aggregate;
INSERT INTO golden.st_join_aggregate(region_name, total, cnt, __pgt_count, __pgt_nn_1)
SELECT d.region_name, sum(s.amount), count(*), count(*), count(s.amount)
FROM (golden.src AS s
  INNER JOIN golden.dim AS d ON ((s.region = d.region)))
GROUP BY d.region_name;

-- apply a window of changes (MERGE; ? = lower, upper bound of each source's window)
SELECT pg_stat_get_xact_tuples_inserted(r.oid), pg_stat_get_xact_tuples_updated(r.oid), pg_stat_get_xact_tuples_deleted(r.oid), current_setting('track_counts')::boolean
FROM (SELECT to_regclass('golden.st_join_aggregate')::oid AS oid) AS r;
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
__pgt_delta AS (SELECT d.region_name AS __pgt_g1, s.amount AS __pgt_a1, s.__pgt_w AS __pgt_w
  FROM __pgt_d0 AS s, golden.dim AS d
  WHERE ((s.region = d.region))
  UNION ALL
  SELECT d.region_name AS __pgt_g1, s.amount AS __pgt_a1, d.__pgt_w AS __pgt_w
  FROM golden.src AS s, __pgt_d1 AS d
  WHERE ((s.region = d.region))
  UNION ALL
  SELECT d.region_name AS __pgt_g1, s.amount AS __pgt_a1, - (s.__pgt_w * d.__pgt_w) AS __pgt_w
  FROM __pgt_d0 AS s, __pgt_d1 AS d
  WHERE ((s.region = d.region))),
__pgt_dagg AS (SELECT __pgt_g1, sum(__pgt_w) AS __pgt_dc, sum((__pgt_a1)::bigint * __pgt_w) FILTER (WHERE __pgt_a1 IS NOT NULL) AS __pgt_ds1, coalesce(sum(__pgt_w) FILTER (WHERE __pgt_a1 IS NOT NULL), 0) AS __pgt_dn1, coalesce(sum(__pgt_w) FILTER (WHERE TRUE), 0) AS __pgt_dv2
  FROM __pgt_delta
  GROUP BY __pgt_g1),
__pgt_old AS (SELECT d.*, st.__pgt_count AS __pgt_oc, (st.__pgt_count IS NOT NULL) AS __pgt_found, st.total AS __pgt_ov1, st.__pgt_nn_1 AS __pgt_on1, st.cnt AS __pgt_ov2
  FROM __pgt_dagg AS d
  LEFT JOIN golden.st_join_aggregate AS st ON st.region_name = d.__pgt_g1),
__pgt_new AS (SELECT v.*, v.__pgt_nc > 0 AS __pgt_keep
  FROM (SELECT s.*, CASE
    WHEN s.__pgt_nn1 = 0 THEN NULL ELSE (coalesce(s.__pgt_ov1, 0)::numeric + coalesce(s.__pgt_ds1, 0))::bigint END AS __pgt_nv1, coalesce(s.__pgt_ov2, 0) + s.__pgt_dv2 AS __pgt_nv2
    FROM (SELECT __pgt_o.*, coalesce(__pgt_o.__pgt_oc, 0) + __pgt_o.__pgt_dc AS __pgt_nc, coalesce(__pgt_o.__pgt_on1, 0) + __pgt_o.__pgt_dn1 AS __pgt_nn1
      FROM (SELECT __pgt_old.*, FALSE AS __pgt_rescan
        FROM __pgt_old) AS __pgt_o) AS s) AS v)
MERGE INTO golden.st_join_aggregate AS __pgt_st USING __pgt_new AS n ON __pgt_st.region_name = n.__pgt_g1
WHEN MATCHED AND NOT n.__pgt_keep THEN
DELETE
WHEN MATCHED THEN
UPDATE SET total = n.__pgt_nv1, cnt = n.__pgt_nv2, __pgt_count = n.__pgt_nc, __pgt_nn_1 = n.__pgt_nn1
WHEN NOT MATCHED AND n.__pgt_keep THEN
INSERT(region_name, total, cnt, __pgt_count, __pgt_nn_1)
VALUES (n.__pgt_g1, n.__pgt_nv1, n.__pgt_nv2, n.__pgt_nc, n.__pgt_nn1);
SELECT pg_stat_get_xact_tuples_inserted(r.oid), pg_stat_get_xact_tuples_updated(r.oid), pg_stat_get_xact_tuples_deleted(r.oid), current_setting('track_counts')::boolean
FROM (SELECT to_regclass('golden.st_join_aggregate')::oid AS oid) AS r;

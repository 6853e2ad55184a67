-- SELECT d.region_name, t.total FROM (SELECT region, sum(amount) AS total FROM golden.src GROUP BY region) t JOIN golden.dim d ON d.region = t.region
-- mode: KEYED
-- sources: golden.src (key id) golden.dim (key id)
-- columns:
--   region_name text
--   total bigint
--   __pgt_row_id bigint  (hidden: hash of the row identity)
--   __pgt_id_1 text  (hidden: row identity)
--   __pgt_id_2 integer  (hidden: row identity)
-- identity: __pgt_id_1, __pgt_id_2

-- full refresh
DELETE
FROM golden.st_subquery_aggregate_join;
INSERT INTO golden.st_subquery_aggregate_join(region_name, total, __pgt_id_1, __pgt_id_2, __pgt_row_id)
SELECT q.region_name, q.total, q.__pgt_i1, q.__pgt_i2, hash_record_extended(ROW(q.__pgt_i1, q.__pgt_i2), 0)
FROM (SELECT d.region_name AS region_name, t.total AS total, t.__pgt_i1 AS __pgt_i1, d.id AS __pgt_i2
  FROM ((SELECT src.region AS region, sum(src.amount) AS total, src.region AS __pgt_i1
      FROM golden.src AS src
      GROUP BY src.region) AS t
    INNER JOIN golden.dim AS d ON ((d.region = t.region)))) AS q;

-- apply a window of changes (MERGE; ? = lower, upper bound of each source's window)
SELECT pg_stat_get_xact_tuples_inserted(r.oid), pg_stat_get_xact_tuples_updated(r.oid), pg_stat_get_xact_tuples_deleted(r.oid), current_setting('track_counts')::boolean
FROM (SELECT to_regclass('golden.st_subquery_aggregate_join')::oid AS oid) AS r;
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
__pgt_delta AS (SELECT d.region_name AS region_name, t.total AS total, t.__pgt_i1 AS __pgt_i1, d.id AS __pgt_i2, t.__pgt_w AS __pgt_w
  FROM (WITH __pgt_k1 AS (SELECT DISTINCT *
      FROM (SELECT src.region AS __pgt_g1
        FROM __pgt_d0 AS src) AS __pgt_ka)
    SELECT src.region AS region, sum(src.amount) AS total, src.region AS __pgt_i1, 1::int AS __pgt_w
    FROM golden.src AS src
    WHERE EXISTS (SELECT 1
      FROM __pgt_k1 AS __pgt_k
      WHERE __pgt_k.__pgt_g1 IS NOT DISTINCT FROM (src.region))
    GROUP BY src.region
    UNION ALL
    SELECT __pgt_o.__pgt_c1 AS region, sum(__pgt_o.__pgt_c2) AS total, __pgt_o.__pgt_c1 AS __pgt_i1, - 1::int AS __pgt_w
    FROM (SELECT __pgt_c1 AS __pgt_c1, __pgt_c2 AS __pgt_c2, sum(__pgt_w) AS __pgt_w
      FROM (SELECT src.region AS __pgt_c1, src.amount AS __pgt_c2, 1 AS __pgt_w
        FROM golden.src AS src
        WHERE EXISTS (SELECT 1
          FROM __pgt_k1 AS __pgt_k
          WHERE __pgt_k.__pgt_g1 IS NOT DISTINCT FROM (src.region))
        UNION ALL
        SELECT src.region AS __pgt_c1, src.amount AS __pgt_c2, - (src.__pgt_w) AS __pgt_w
        FROM __pgt_d0 AS src) AS __pgt_oa
      GROUP BY __pgt_c1, __pgt_c2
      HAVING sum(__pgt_w) > 0) AS __pgt_o
    CROSS JOIN LATERAL generate_series(1, __pgt_o.__pgt_w) AS __pgt_copy
    GROUP BY __pgt_o.__pgt_c1) AS t, golden.dim AS d
  WHERE ((d.region = t.region))
  UNION ALL
  SELECT d.region_name AS region_name, t.total AS total, t.__pgt_i1 AS __pgt_i1, d.id AS __pgt_i2, d.__pgt_w AS __pgt_w
  FROM (SELECT src.region AS region, sum(src.amount) AS total, src.region AS __pgt_i1
    FROM golden.src AS src
    GROUP BY src.region) AS t, __pgt_d1 AS d
  WHERE ((d.region = t.region))
  UNION ALL
  SELECT d.region_name AS region_name, t.total AS total, t.__pgt_i1 AS __pgt_i1, d.id AS __pgt_i2, - (t.__pgt_w * d.__pgt_w) AS __pgt_w
  FROM (WITH __pgt_k2 AS (SELECT DISTINCT *
      FROM (SELECT src.region AS __pgt_g1
        FROM __pgt_d0 AS src) AS __pgt_ka)
    SELECT src.region AS region, sum(src.amount) AS total, src.region AS __pgt_i1, 1::int AS __pgt_w
    FROM golden.src AS src
    WHERE EXISTS (SELECT 1
      FROM __pgt_k2 AS __pgt_k
      WHERE __pgt_k.__pgt_g1 IS NOT DISTINCT FROM (src.region))
    GROUP BY src.region
    UNION ALL
    SELECT __pgt_o.__pgt_c1 AS region, sum(__pgt_o.__pgt_c2) AS total, __pgt_o.__pgt_c1 AS __pgt_i1, - 1::int AS __pgt_w
    FROM (SELECT __pgt_c1 AS __pgt_c1, __pgt_c2 AS __pgt_c2, sum(__pgt_w) AS __pgt_w
      FROM (SELECT src.region AS __pgt_c1, src.amount AS __pgt_c2, 1 AS __pgt_w
        FROM golden.src AS src
        WHERE EXISTS (SELECT 1
          FROM __pgt_k2 AS __pgt_k
          WHERE __pgt_k.__pgt_g1 IS NOT DISTINCT FROM (src.region))
        UNION ALL
        SELECT src.region AS __pgt_c1, src.amount AS __pgt_c2, - (src.__pgt_w) AS __pgt_w
        FROM __pgt_d0 AS src) AS __pgt_oa
      GROUP BY __pgt_c1, __pgt_c2
      HAVING sum(__pgt_w) > 0) AS __pgt_o
    CROSS JOIN LATERAL generate_series(1, __pgt_o.__pgt_w) AS __pgt_copy
    GROUP BY __pgt_o.__pgt_c1) AS t, __pgt_d1 AS d
  WHERE ((d.region = t.region))),
__pgt_net AS (SELECT region_name AS region_name, total AS total, __pgt_i1, __pgt_i2, sum(__pgt_w) AS __pgt_w
  FROM __pgt_delta
  GROUP BY region_name, total, __pgt_i1, __pgt_i2
  HAVING sum(__pgt_w) <> 0),
__pgt_apply AS (SELECT DISTINCT ON (__pgt_i1, __pgt_i2) __pgt_i1, __pgt_i2, __pgt_w, region_name, total, hash_record_extended(ROW(__pgt_i1, __pgt_i2), 0) AS __pgt_row_id
  FROM __pgt_net ORDER BY __pgt_i1, __pgt_i2, __pgt_w DESC)
MERGE INTO golden.st_subquery_aggregate_join AS __pgt_st USING __pgt_apply AS d ON __pgt_st.__pgt_row_id = d.__pgt_row_id AND __pgt_st.__pgt_id_1 IS NOT DISTINCT FROM d.__pgt_i1 AND __pgt_st.__pgt_id_2 IS NOT DISTINCT FROM d.__pgt_i2
WHEN MATCHED AND d.__pgt_w < 0 THEN
DELETE
WHEN MATCHED AND (NOT (__pgt_st.region_name IS NOT DISTINCT FROM d.region_name) OR NOT (__pgt_st.total IS NOT DISTINCT FROM d.total)) THEN
UPDATE SET region_name = d.region_name, total = d.total
WHEN NOT MATCHED AND d.__pgt_w > 0 THEN
INSERT(region_name, total, __pgt_id_1, __pgt_id_2, __pgt_row_id)
VALUES (d.region_name, d.total, d.__pgt_i1, d.__pgt_i2, d.__pgt_row_id);
SELECT pg_stat_get_xact_tuples_inserted(r.oid), pg_stat_get_xact_tuples_updated(r.oid), pg_stat_get_xact_tuples_deleted(r.oid), current_setting('track_counts')::boolean
FROM (SELECT to_regclass('golden.st_subquery_aggregate_join')::oid AS oid) AS r;

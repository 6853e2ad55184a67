-- SELECT category, count(amount) AS c, avg(amount) AS a, min(score) AS lo, max(region) AS hi, sum(amount) FILTER (WHERE score > 50) AS big, sum(price) AS p, avg(ratio) AS r FROM golden.src GROUP BY category HAVING count(*) > 1
-- mode: AGGREGATE
-- sources: golden.src (key id)
-- columns:
--   category text
--   c bigint
--   a numeric
--   lo integer
--   hi text
--   big bigint
--   p numeric
--   r double precision
--   __pgt_row_id bigint  (hidden: hash of the row identity)
--   __pgt_count bigint  (hidden: rows in the group)
--   __pgt_nn_2 bigint  (hidden: non-NULL inputs of avg(src.amount))
--   __pgt_sum_2 numeric  (hidden: running sum of avg(src.amount))
--   __pgt_nn_5 bigint  (hidden: non-NULL inputs of sum(src.amount) FILTER (WHERE (src.score > 50)))
--   __pgt_nn_6 bigint  (hidden: non-NULL inputs of sum(src.price))
--   __pgt_scale_6 integer  (hidden: largest input scale of sum(src.price))
--   __pgt_agg_8 bigint  (hidden: value of count(*))
-- identity: category

-- full refresh
DELETE
FROM golden.st_aggregate_all_kinds;
INSERT INTO golden.st_aggregate_all_kinds(category, c, a, lo, hi, big, p, r, __pgt_row_id, __pgt_count, __pgt_nn_2, __pgt_sum_2, __pgt_nn_5, __pgt_nn_6, __pgt_scale_6, __pgt_agg_8)
SELECT src.category, count(src.amount), avg(src.amount), min(src.score), max(src.region), sum(src.amount) FILTER (WHERE (src.score > 50)), sum(src.price), avg(src.ratio), hash_record_extended(ROW(src.category), 0), count(*), count(src.amount), (sum(src.amount))::numeric, count(src.amount) FILTER (WHERE (src.score > 50)), count(src.price), max(scale(src.price)), count(*)
FROM golden.src AS src
GROUP BY src.category
HAVING(count(*) > 1);

-- apply a window of changes (MERGE; ? = lower, upper bound of each source's window)
SELECT pg_stat_get_xact_tuples_inserted(r.oid), pg_stat_get_xact_tuples_updated(r.oid), pg_stat_get_xact_tuples_deleted(r.oid), current_setting('track_counts')::boolean
FROM (SELECT to_regclass('golden.st_aggregate_all_kinds')::oid AS oid) AS r;
WITH __pgt_d0 AS (SELECT (v.__pgt_row ->> 'id')::integer AS id, (v.__pgt_row ->> 'region')::text AS region, (v.__pgt_row ->> 'category')::text AS category, (v.__pgt_row ->> 'amount')::integer AS amount, (v.__pgt_row ->> 'score')::integer AS score, (v.__pgt_row ->> 'price')::numeric AS price, (v.__pgt_row ->> 'ratio')::double precision AS ratio, v.__pgt_w, v.lsn AS __pgt_lsn, v.seq AS __pgt_seq
  FROM (SELECT CASE
    WHEN s.__pgt_w > 0 THEN c.new_row ELSE c.old_row END AS __pgt_row, s.__pgt_w, c.lsn, c.seq
    FROM pgtrickle_changes.changes_<oid> AS c
    CROSS JOIN (VALUES (1), (- 1)) AS s(__pgt_w)
    WHERE c.lsn >= ?::pg_lsn AND c.lsn < ?::pg_lsn) AS v
  WHERE v.__pgt_row IS NOT NULL OFFSET 0),
__pgt_delta AS (SELECT src.category AS __pgt_g1, src.amount AS __pgt_a1, src.amount AS __pgt_a2, src.score AS __pgt_a3, src.region AS __pgt_a4, src.amount AS __pgt_a5, ((src.score > 50)) AS __pgt_f5, src.price AS __pgt_a6, src.ratio AS __pgt_a7, src.__pgt_w AS __pgt_w
  FROM __pgt_d0 AS src),
__pgt_dagg AS (SELECT __pgt_g1, sum(__pgt_w) AS __pgt_dc, coalesce(sum(__pgt_w) FILTER (WHERE __pgt_a1 IS NOT NULL), 0) AS __pgt_dv1, sum((__pgt_a2)::bigint * __pgt_w) FILTER (WHERE __pgt_a2 IS NOT NULL) AS __pgt_ds2, coalesce(sum(__pgt_w) FILTER (WHERE __pgt_a2 IS NOT NULL), 0) AS __pgt_dn2, min(__pgt_a3) FILTER (WHERE __pgt_a3 IS NOT NULL AND __pgt_w > 0) AS __pgt_di3, min(__pgt_a3) FILTER (WHERE __pgt_a3 IS NOT NULL AND __pgt_w < 0) AS __pgt_dd3, max(__pgt_a4) FILTER (WHERE __pgt_a4 IS NOT NULL AND __pgt_w > 0) AS __pgt_di4, max(__pgt_a4) FILTER (WHERE __pgt_a4 IS NOT NULL AND __pgt_w < 0) AS __pgt_dd4, sum((__pgt_a5)::bigint * __pgt_w) FILTER (WHERE __pgt_f5 AND __pgt_a5 IS NOT NULL) AS __pgt_ds5, coalesce(sum(__pgt_w) FILTER (WHERE __pgt_f5 AND __pgt_a5 IS NOT NULL), 0) AS __pgt_dn5, sum((__pgt_a6)::numeric * __pgt_w) FILTER (WHERE __pgt_a6 IS NOT NULL) AS __pgt_ds6, coalesce(sum(__pgt_w) FILTER (WHERE __pgt_a6 IS NOT NULL), 0) AS __pgt_dn6, coalesce(bool_or(__pgt_a6 IN ('NaN', 'Infinity', '-Infinity')) FILTER (WHERE __pgt_a6 IS NOT NULL), false) AS __pgt_dx6, max(scale(__pgt_a6)) FILTER (WHERE __pgt_a6 IS NOT NULL AND __pgt_w > 0) AS __pgt_dsi6, max(scale(__pgt_a6)) FILTER (WHERE __pgt_a6 IS NOT NULL AND __pgt_w < 0) AS __pgt_dsd6, coalesce(bool_or(TRUE) FILTER (WHERE __pgt_a7 IS NOT NULL), false) AS __pgt_dt7, coalesce(sum(__pgt_w) FILTER (WHERE TRUE), 0) AS __pgt_dv8
  FROM __pgt_delta
  GROUP BY __pgt_g1),
__pgt_old AS (SELECT d.*, st.__pgt_count AS __pgt_oc, (st.__pgt_count IS NOT NULL) AS __pgt_found, st.c AS __pgt_ov1, st.a AS __pgt_ov2, st.__pgt_nn_2 AS __pgt_on2, st.__pgt_sum_2 AS __pgt_os2, st.lo AS __pgt_ov3, st.hi AS __pgt_ov4, st.big AS __pgt_ov5, st.__pgt_nn_5 AS __pgt_on5, st.p AS __pgt_ov6, st.__pgt_nn_6 AS __pgt_on6, st.__pgt_scale_6 AS __pgt_osc6, st.r AS __pgt_ov7, st.__pgt_agg_8 AS __pgt_ov8
  FROM (SELECT __pgt_dagg.*, hash_record_extended(ROW(__pgt_dagg.__pgt_g1), 0) AS __pgt_row_id
    FROM __pgt_dagg) AS d
  LEFT JOIN golden.st_aggregate_all_kinds AS st ON st.__pgt_row_id = d.__pgt_row_id AND st.category IS NOT DISTINCT FROM d.__pgt_g1),
__pgt_new AS (SELECT v.*, v.__pgt_nc > 0 AND coalesce((v.__pgt_nv8 > 1), false) AS __pgt_keep
  FROM (SELECT s.*, CASE
    WHEN s.__pgt_rescan THEN s.__pgt_rv1 ELSE coalesce(s.__pgt_ov1, 0) + s.__pgt_dv1 END AS __pgt_nv1, CASE
    WHEN s.__pgt_rescan THEN s.__pgt_rv2 ELSE CASE
    WHEN s.__pgt_nn2 = 0 THEN NULL ELSE (s.__pgt_ns2 / s.__pgt_nn2::numeric)::numeric END END AS __pgt_nv2, CASE
    WHEN s.__pgt_rescan THEN s.__pgt_rv3 ELSE LEAST(s.__pgt_ov3, s.__pgt_di3) END AS __pgt_nv3, CASE
    WHEN s.__pgt_rescan THEN s.__pgt_rv4 ELSE GREATEST(s.__pgt_ov4, s.__pgt_di4) END AS __pgt_nv4, CASE
    WHEN s.__pgt_rescan THEN s.__pgt_rv5 ELSE CASE
    WHEN s.__pgt_nn5 = 0 THEN NULL ELSE (coalesce(s.__pgt_ov5, 0)::numeric + coalesce(s.__pgt_ds5, 0))::bigint END END AS __pgt_nv5, CASE
    WHEN s.__pgt_rescan THEN s.__pgt_rv6 ELSE CASE
    WHEN s.__pgt_nn6 = 0 THEN NULL ELSE (round(coalesce(s.__pgt_ov6, 0)::numeric + coalesce(s.__pgt_ds6, 0), s.__pgt_nsc6))::numeric END END AS __pgt_nv6, CASE
    WHEN s.__pgt_rescan THEN s.__pgt_rv7 ELSE s.__pgt_ov7 END AS __pgt_nv7, CASE
    WHEN s.__pgt_rescan THEN s.__pgt_rv8 ELSE coalesce(s.__pgt_ov8, 0) + s.__pgt_dv8 END AS __pgt_nv8
    FROM (SELECT __pgt_o.*, CASE
      WHEN __pgt_o.__pgt_rescan THEN r.__pgt_rc ELSE coalesce(__pgt_o.__pgt_oc, 0) + __pgt_o.__pgt_dc END AS __pgt_nc, CASE
      WHEN __pgt_o.__pgt_rescan THEN r.__pgt_rn2 ELSE coalesce(__pgt_o.__pgt_on2, 0) + __pgt_o.__pgt_dn2 END AS __pgt_nn2, CASE
      WHEN __pgt_o.__pgt_rescan THEN r.__pgt_rs2 ELSE coalesce(__pgt_o.__pgt_os2, 0) + coalesce(__pgt_o.__pgt_ds2, 0) END AS __pgt_ns2, CASE
      WHEN __pgt_o.__pgt_rescan THEN r.__pgt_rn5 ELSE coalesce(__pgt_o.__pgt_on5, 0) + __pgt_o.__pgt_dn5 END AS __pgt_nn5, CASE
      WHEN __pgt_o.__pgt_rescan THEN r.__pgt_rn6 ELSE coalesce(__pgt_o.__pgt_on6, 0) + __pgt_o.__pgt_dn6 END AS __pgt_nn6, CASE
      WHEN __pgt_o.__pgt_rescan THEN r.__pgt_rsc6 ELSE GREATEST(__pgt_o.__pgt_osc6, __pgt_o.__pgt_dsi6) END AS __pgt_nsc6, r.*
      FROM (SELECT __pgt_o.*, coalesce(NOT __pgt_o.__pgt_found OR (__pgt_o.__pgt_dd3 IS NOT NULL AND NOT coalesce(__pgt_o.__pgt_dd3 > __pgt_o.__pgt_ov3, false)) OR (__pgt_o.__pgt_dd4 IS NOT NULL AND NOT coalesce(__pgt_o.__pgt_dd4 < __pgt_o.__pgt_ov4, false)) OR __pgt_o.__pgt_dx6 OR coalesce(__pgt_o.__pgt_ov6 IN ('NaN', 'Infinity', '-Infinity'), false) OR (__pgt_o.__pgt_dsd6 IS NOT NULL AND NOT coalesce(__pgt_o.__pgt_dsd6 < __pgt_o.__pgt_osc6, false)) OR __pgt_o.__pgt_dt7, false) AS __pgt_rescan
        FROM __pgt_old AS __pgt_o) AS __pgt_o
      LEFT JOIN LATERAL (SELECT count(*) AS __pgt_rc, count(src.amount) AS __pgt_rv1, avg(src.amount) AS __pgt_rv2, count(src.amount) AS __pgt_rn2, (sum(src.amount))::numeric AS __pgt_rs2, min(src.score) AS __pgt_rv3, max(src.region) AS __pgt_rv4, sum(src.amount) FILTER (WHERE (src.score > 50)) AS __pgt_rv5, count(src.amount) FILTER (WHERE (src.score > 50)) AS __pgt_rn5, sum(src.price) AS __pgt_rv6, count(src.price) AS __pgt_rn6, max(scale(src.price)) AS __pgt_rsc6, avg(src.ratio) AS __pgt_rv7, count(*) AS __pgt_rv8
        FROM golden.src AS src
        WHERE ((src.category) IS NOT DISTINCT FROM __pgt_o.__pgt_g1) AND (__pgt_o.__pgt_rescan)) AS r ON TRUE) AS s) AS v)
MERGE INTO golden.st_aggregate_all_kinds AS __pgt_st USING __pgt_new AS n ON __pgt_st.__pgt_row_id = n.__pgt_row_id AND __pgt_st.category IS NOT DISTINCT FROM n.__pgt_g1
WHEN MATCHED AND NOT n.__pgt_keep THEN
DELETE
WHEN MATCHED THEN
UPDATE SET c = n.__pgt_nv1, a = n.__pgt_nv2, lo = n.__pgt_nv3, hi = n.__pgt_nv4, big = n.__pgt_nv5, p = n.__pgt_nv6, r = n.__pgt_nv7, __pgt_count = n.__pgt_nc, __pgt_nn_2 = n.__pgt_nn2, __pgt_sum_2 = n.__pgt_ns2, __pgt_nn_5 = n.__pgt_nn5, __pgt_nn_6 = n.__pgt_nn6, __pgt_scale_6 = n.__pgt_nsc6, __pgt_agg_8 = n.__pgt_nv8
WHEN NOT MATCHED AND n.__pgt_keep THEN
INSERT(category, c, a, lo, hi, big, p, r, __pgt_row_id, __pgt_count, __pgt_nn_2, __pgt_sum_2, __pgt_nn_5, __pgt_nn_6, __pgt_scale_6, __pgt_agg_8)
VALUES (n.__pgt_g1, n.__pgt_nv1, n.__pgt_nv2, n.__pgt_nv3, n.__pgt_nv4, n.__pgt_nv5, n.__pgt_nv6, n.__pgt_nv7, n.__pgt_row_id, n.__pgt_nc, n.__pgt_nn2, n.__pgt_ns2, n.__pgt_nn5, n.__pgt_nn6, n.__pgt_nsc6, n.__pgt_nv8);
SELECT pg_stat_get_xact_tuples_inserted(r.oid), pg_stat_get_xact_tuples_updated(r.oid), pg_stat_get_xact_tuples_deleted(r.oid), current_setting('track_counts')::boolean
FROM (SELECT to_regclass('golden.st_aggregate_all_kinds')::oid AS oid) AS r;

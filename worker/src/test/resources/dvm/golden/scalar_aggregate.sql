-- SELECT count(*) AS n, sum(amount) AS total FROM golden.src
-- mode: AGGREGATE
-- sources: golden.src (key id)
-- columns:
--   n bigint
--   total bigint
--   __pgt_row_id bigint  (hidden: hash of the row identity)
--   __pgt_count bigint  (hidden: rows in the group)
--   __pgt_nn_2 bigint  (hidden: non-NULL inputs of sum(src.amount))
-- identity: 

-- full refresh
DELETE
FROM golden.st_scalar_aggregate;
INSERT INTO golden.st_scalar_aggregate(n, total, __pgt_row_id, __pgt_count, __pgt_nn_2)
SELECT count(*), sum(src.amount), 0::bigint, count(*), count(src.amount)
FROM golden.src AS src;

-- apply a window of changes (MERGE; ? = lower, upper bound of each source's window)
SELECT pg_stat_get_xact_tuples_inserted(r.oid), pg_stat_get_xact_tuples_updated(r.oid), pg_stat_get_xact_tuples_deleted(r.oid), current_setting('track_counts')::boolean
FROM (SELECT to_regclass('golden.st_scalar_aggregate')::oid AS oid) AS r;
WITH __pgt_d0 AS (SELECT (v.__pgt_row ->> 'id')::integer AS id, (v.__pgt_row ->> 'amount')::integer AS amount, v.__pgt_w, v.lsn AS __pgt_lsn, v.seq AS __pgt_seq
  FROM (SELECT CASE
    WHEN s.__pgt_w > 0 THEN c.new_row ELSE c.old_row END AS __pgt_row, s.__pgt_w, c.lsn, c.seq
    FROM pgtrickle_changes.changes_<oid> AS c
    CROSS JOIN (VALUES (1), (- 1)) AS s(__pgt_w)
    WHERE c.lsn >= ?::pg_lsn AND c.lsn < ?::pg_lsn) AS v
  WHERE v.__pgt_row IS NOT NULL OFFSET 0),
__pgt_delta AS (SELECT src.amount AS __pgt_a2, src.__pgt_w AS __pgt_w
  FROM __pgt_d0 AS src),
__pgt_dagg AS (SELECT coalesce(sum(__pgt_w), 0) AS __pgt_dc, coalesce(sum(__pgt_w) FILTER (WHERE TRUE), 0) AS __pgt_dv1, sum((__pgt_a2)::bigint * __pgt_w) FILTER (WHERE __pgt_a2 IS NOT NULL) AS __pgt_ds2, coalesce(sum(__pgt_w) FILTER (WHERE __pgt_a2 IS NOT NULL), 0) AS __pgt_dn2
  FROM __pgt_delta),
__pgt_old AS (SELECT d.*, st.__pgt_count AS __pgt_oc, (st.__pgt_count IS NOT NULL) AS __pgt_found, st.n AS __pgt_ov1, st.total AS __pgt_ov2, st.__pgt_nn_2 AS __pgt_on2
  FROM (SELECT __pgt_dagg.*, 0::bigint AS __pgt_row_id
    FROM __pgt_dagg) AS d
  LEFT JOIN golden.st_scalar_aggregate AS st ON st.__pgt_row_id = d.__pgt_row_id),
__pgt_new AS (SELECT v.*, TRUE AS __pgt_keep
  FROM (SELECT s.*, coalesce(s.__pgt_ov1, 0) + s.__pgt_dv1 AS __pgt_nv1, CASE
    WHEN s.__pgt_nn2 = 0 THEN NULL ELSE (coalesce(s.__pgt_ov2, 0)::numeric + coalesce(s.__pgt_ds2, 0))::bigint END AS __pgt_nv2
    FROM (SELECT __pgt_o.*, coalesce(__pgt_o.__pgt_oc, 0) + __pgt_o.__pgt_dc AS __pgt_nc, coalesce(__pgt_o.__pgt_on2, 0) + __pgt_o.__pgt_dn2 AS __pgt_nn2
      FROM (SELECT __pgt_old.*, FALSE AS __pgt_rescan
        FROM __pgt_old) AS __pgt_o) AS s) AS v)
MERGE INTO golden.st_scalar_aggregate AS __pgt_st USING __pgt_new AS n ON __pgt_st.__pgt_row_id = n.__pgt_row_id
WHEN MATCHED AND NOT n.__pgt_keep THEN
DELETE
WHEN MATCHED THEN
UPDATE SET n = n.__pgt_nv1, total = n.__pgt_nv2, __pgt_count = n.__pgt_nc, __pgt_nn_2 = n.__pgt_nn2
WHEN NOT MATCHED AND n.__pgt_keep THEN
INSERT(n, total, __pgt_row_id, __pgt_count, __pgt_nn_2)
VALUES (n.__pgt_nv1, n.__pgt_nv2, n.__pgt_row_id, n.__pgt_nc, n.__pgt_nn2);
SELECT pg_stat_get_xact_tuples_inserted(r.oid), pg_stat_get_xact_tuples_updated(r.oid), pg_stat_get_xact_tuples_deleted(r.oid), current_setting('track_counts')::boolean
FROM (SELECT to_regclass('golden.st_scalar_aggregate')::oid AS oid) AS r;

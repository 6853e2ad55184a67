-- SELECT DISTINCT region, category FROM golden.src
-- mode: AGGREGATE
-- sources: golden.src (key id)
-- columns:
--   region text
--   category text
--   __pgt_row_id bigint  (hidden: hash of the row identity)
--   __pgt_count bigint  (hidden: rows in the group)
-- identity: region, category

-- full refresh
DELETE
FROM golden.st_distinct;
INSERT INTO golden.st_distinct(region, category, __pgt_row_id, __pgt_count)
SELECT src.region, src.category, hash_record_extended(ROW(src.region, src.category), 0), count(*)
FROM golden.src AS src
GROUP BY src.region, src.category;

-- apply a window of changes (MERGE; ? = lower, upper bound of each source's window)
SELECT pg_stat_get_xact_tuples_inserted(r.oid), pg_stat_get_xact_tuples_updated(r.oid), pg_stat_get_xact_tuples_deleted(r.oid), current_setting('track_counts')::boolean
FROM (SELECT to_regclass('golden.st_distinct')::oid AS oid) AS r;
WITH __pgt_d0 AS (SELECT (v.__pgt_row ->> 'id')::integer AS id, (v.__pgt_row ->> 'region')::text AS region, (v.__pgt_row ->> 'category')::text AS category, v.__pgt_w, v.lsn AS __pgt_lsn, v.seq AS __pgt_seq
  FROM (SELECT CASE
    WHEN s.__pgt_w > 0 THEN c.new_row ELSE c.old_row END AS __pgt_row, s.__pgt_w, c.lsn, c.seq
    FROM pgtrickle_changes.changes_<oid> AS c
    CROSS JOIN (VALUES (1), (- 1)) AS s(__pgt_w)
    WHERE c.lsn >= ?::pg_lsn AND c.lsn < ?::pg_lsn) AS v
  WHERE v.__pgt_row IS NOT NULL OFFSET 0),
__pgt_delta AS (SELECT src.region AS __pgt_g1, src.category AS __pgt_g2, src.__pgt_w AS __pgt_w
  FROM __pgt_d0 AS src),
__pgt_dagg AS (SELECT __pgt_g1, __pgt_g2, sum(__pgt_w) AS __pgt_dc
  FROM __pgt_delta
  GROUP BY __pgt_g1, __pgt_g2),
__pgt_old AS (SELECT d.*, st.__pgt_count AS __pgt_oc, (st.__pgt_count IS NOT NULL) AS __pgt_found
  FROM (SELECT __pgt_dagg.*, hash_record_extended(ROW(__pgt_dagg.__pgt_g1, __pgt_dagg.__pgt_g2), 0) AS __pgt_row_id
    FROM __pgt_dagg) AS d
  LEFT JOIN golden.st_distinct AS st ON st.__pgt_row_id = d.__pgt_row_id AND st.region IS NOT DISTINCT FROM d.__pgt_g1 AND st.category IS NOT DISTINCT FROM d.__pgt_g2),
__pgt_new AS (SELECT v.*, v.__pgt_nc > 0 AS __pgt_keep
  FROM (SELECT s.*
    FROM (SELECT __pgt_o.*, coalesce(__pgt_o.__pgt_oc, 0) + __pgt_o.__pgt_dc AS __pgt_nc
      FROM (SELECT __pgt_old.*, FALSE AS __pgt_rescan
        FROM __pgt_old) AS __pgt_o) AS s) AS v)
MERGE INTO golden.st_distinct AS __pgt_st USING __pgt_new AS n ON __pgt_st.__pgt_row_id = n.__pgt_row_id AND __pgt_st.region IS NOT DISTINCT FROM n.__pgt_g1 AND __pgt_st.category IS NOT DISTINCT FROM n.__pgt_g2
WHEN MATCHED AND NOT n.__pgt_keep THEN
DELETE
WHEN MATCHED THEN
UPDATE SET __pgt_count = n.__pgt_nc
WHEN NOT MATCHED AND n.__pgt_keep THEN
INSERT(region, category, __pgt_row_id, __pgt_count)
VALUES (n.__pgt_g1, n.__pgt_g2, n.__pgt_row_id, n.__pgt_nc);
SELECT pg_stat_get_xact_tuples_inserted(r.oid), pg_stat_get_xact_tuples_updated(r.oid), pg_stat_get_xact_tuples_deleted(r.oid), current_setting('track_counts')::boolean
FROM (SELECT to_regclass('golden.st_distinct')::oid AS oid) AS r;

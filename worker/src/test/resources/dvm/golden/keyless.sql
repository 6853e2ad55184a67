-- SELECT k, v FROM golden.log WHERE v IS NOT NULL
-- mode: COUNTED
-- sources: golden.log (no key: rows counted)
-- columns:
--   k integer
--   v integer
--   __pgt_row_id bigint  (hidden: hash of the row identity)
-- identity: k, v

-- full refresh
DELETE
FROM golden.st_keyless;
INSERT INTO golden.st_keyless(k, v, __pgt_row_id)
SELECT q.k, q.v, hash_record_extended(ROW(q.k, q.v), 0)
FROM (SELECT log.k AS k, log.v AS v
  FROM golden.log AS log
  WHERE (log.v IS NOT NULL)) AS q;

-- apply a window of changes (data-modifying CTEs; ? = lower, upper bound of each source's window)
WITH __pgt_d0 AS (SELECT (v.__pgt_row ->> 'k')::integer AS k, (v.__pgt_row ->> 'v')::integer AS v, v.__pgt_w, v.lsn AS __pgt_lsn, v.seq AS __pgt_seq
  FROM (SELECT CASE
    WHEN s.__pgt_w > 0 THEN c.new_row ELSE c.old_row END AS __pgt_row, s.__pgt_w, c.lsn, c.seq
    FROM pgtrickle_changes.changes_<oid> AS c
    CROSS JOIN (VALUES (1), (- 1)) AS s(__pgt_w)
    WHERE c.lsn >= ?::pg_lsn AND c.lsn < ?::pg_lsn) AS v
  WHERE v.__pgt_row IS NOT NULL OFFSET 0),
__pgt_delta AS (SELECT log.k AS k, log.v AS v, log.__pgt_w AS __pgt_w
  FROM __pgt_d0 AS log
  WHERE (log.v IS NOT NULL)),
__pgt_net AS MATERIALIZED(SELECT k AS k, v AS v, sum(__pgt_w) AS __pgt_w
  FROM __pgt_delta
  GROUP BY k, v
  HAVING sum(__pgt_w) <> 0),
__pgt_del AS (DELETE
  FROM golden.st_keyless
  WHERE ctid = ANY (ARRAY (SELECT x.ctid
      FROM __pgt_net AS d
      CROSS JOIN LATERAL (SELECT __pgt_st.ctid
        FROM golden.st_keyless AS __pgt_st
        WHERE __pgt_st.__pgt_row_id = hash_record_extended(ROW(d.k, d.v), 0) AND __pgt_st.k IS NOT DISTINCT FROM d.k AND __pgt_st.v IS NOT DISTINCT FROM d.v LIMIT - d.__pgt_w) AS x
      WHERE d.__pgt_w < 0)) RETURNING 1),
__pgt_ins AS (INSERT INTO golden.st_keyless(k, v, __pgt_row_id)
  SELECT d.k, d.v, hash_record_extended(ROW(d.k, d.v), 0)
  FROM __pgt_net AS d
  CROSS JOIN LATERAL generate_series(1, d.__pgt_w) AS __pgt_copy
  WHERE d.__pgt_w > 0 RETURNING 1)
SELECT (SELECT count(*)
  FROM __pgt_ins) AS inserted, 0::bigint AS updated, (SELECT count(*)
  FROM __pgt_del) AS deleted;

-- SELECT s.id, d.region_name, o.note, l.v FROM golden.src s JOIN golden.dim d ON d.region = s.region JOIN golden.owner o ON o.region = d.region JOIN golden.log l ON l.k = s.score
-- mode: COUNTED
-- sources: golden.src (key id) golden.dim (key id) golden.owner (key region) golden.log (no key: rows counted)
-- columns:
--   id integer
--   region_name text
--   note text
--   v integer
--   __pgt_row_id bigint  (hidden: hash of the row identity)
-- identity: id, region_name, note, v

-- full refresh
DELETE
FROM golden.st_join_4_tables;
INSERT INTO golden.st_join_4_tables(id, region_name, note, v, __pgt_row_id)
SELECT q.id, q.region_name, q.note, q.v, hash_record_extended(ROW(q.id, q.region_name, q.note, q.v), 0)
FROM (SELECT s.id AS id, d.region_name AS region_name, o.note AS note, l.v AS v
  FROM (golden.src AS s
    INNER JOIN golden.dim AS d ON TRUE
    INNER JOIN golden.owner AS o ON TRUE
    INNER JOIN golden.log AS l ON (((d.region = s.region))) AND (((o.region = d.region))) AND (((l.k = s.score))))) AS q;

-- apply a window of changes (data-modifying CTEs; ? = lower, upper bound of each source's window)
WITH __pgt_d0 AS (SELECT n.id AS id, n.region AS region, n.score AS score, sum(n.__pgt_w)::integer AS __pgt_w, NULL::pg_lsn AS __pgt_lsn, NULL::integer AS __pgt_seq
  FROM (SELECT (v.__pgt_row ->> 'id')::integer AS id, (v.__pgt_row ->> 'region')::text AS region, (v.__pgt_row ->> 'score')::integer AS score, v.__pgt_w, v.lsn AS __pgt_lsn, v.seq AS __pgt_seq
    FROM (SELECT CASE
      WHEN s.__pgt_w > 0 THEN c.new_row ELSE c.old_row END AS __pgt_row, s.__pgt_w, c.lsn, c.seq
      FROM pgtrickle_changes.changes_<oid> AS c
      CROSS JOIN (VALUES (1), (- 1)) AS s(__pgt_w)
      WHERE c.lsn >= ?::pg_lsn AND c.lsn < ?::pg_lsn) AS v
    WHERE v.__pgt_row IS NOT NULL OFFSET 0) AS n
  GROUP BY n.id, n.region, n.score
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
__pgt_d2 AS (SELECT n.region AS region, n.note AS note, sum(n.__pgt_w)::integer AS __pgt_w, NULL::pg_lsn AS __pgt_lsn, NULL::integer AS __pgt_seq
  FROM (SELECT (v.__pgt_row ->> 'region')::text AS region, (v.__pgt_row ->> 'note')::text AS note, v.__pgt_w, v.lsn AS __pgt_lsn, v.seq AS __pgt_seq
    FROM (SELECT CASE
      WHEN s.__pgt_w > 0 THEN c.new_row ELSE c.old_row END AS __pgt_row, s.__pgt_w, c.lsn, c.seq
      FROM pgtrickle_changes.changes_<oid> AS c
      CROSS JOIN (VALUES (1), (- 1)) AS s(__pgt_w)
      WHERE c.lsn >= ?::pg_lsn AND c.lsn < ?::pg_lsn) AS v
    WHERE v.__pgt_row IS NOT NULL OFFSET 0) AS n
  GROUP BY n.region, n.note
  HAVING sum(n.__pgt_w) <> 0),
__pgt_d3 AS (SELECT n.k AS k, n.v AS v, sum(n.__pgt_w)::integer AS __pgt_w, NULL::pg_lsn AS __pgt_lsn, NULL::integer AS __pgt_seq
  FROM (SELECT (v.__pgt_row ->> 'k')::integer AS k, (v.__pgt_row ->> 'v')::integer AS v, v.__pgt_w, v.lsn AS __pgt_lsn, v.seq AS __pgt_seq
    FROM (SELECT CASE
      WHEN s.__pgt_w > 0 THEN c.new_row ELSE c.old_row END AS __pgt_row, s.__pgt_w, c.lsn, c.seq
      FROM pgtrickle_changes.changes_<oid> AS c
      CROSS JOIN (VALUES (1), (- 1)) AS s(__pgt_w)
      WHERE c.lsn >= ?::pg_lsn AND c.lsn < ?::pg_lsn) AS v
    WHERE v.__pgt_row IS NOT NULL OFFSET 0) AS n
  GROUP BY n.k, n.v
  HAVING sum(n.__pgt_w) <> 0),
__pgt_delta AS (SELECT s.id AS id, d.region_name AS region_name, o.note AS note, l.v AS v, s.__pgt_w AS __pgt_w
  FROM __pgt_d0 AS s, golden.dim AS d, golden.owner AS o, golden.log AS l
  WHERE (((d.region = s.region))) AND (((o.region = d.region))) AND (((l.k = s.score)))
  UNION ALL
  SELECT s.id AS id, d.region_name AS region_name, o.note AS note, l.v AS v, d.__pgt_w AS __pgt_w
  FROM golden.src AS s, __pgt_d1 AS d, golden.owner AS o, golden.log AS l
  WHERE (((d.region = s.region))) AND (((o.region = d.region))) AND (((l.k = s.score)))
  UNION ALL
  SELECT s.id AS id, d.region_name AS region_name, o.note AS note, l.v AS v, - (s.__pgt_w * d.__pgt_w) AS __pgt_w
  FROM __pgt_d0 AS s, __pgt_d1 AS d, golden.owner AS o, golden.log AS l
  WHERE (((d.region = s.region))) AND (((o.region = d.region))) AND (((l.k = s.score)))
  UNION ALL
  SELECT s.id AS id, d.region_name AS region_name, o.note AS note, l.v AS v, o.__pgt_w AS __pgt_w
  FROM golden.src AS s, golden.dim AS d, __pgt_d2 AS o, golden.log AS l
  WHERE (((d.region = s.region))) AND (((o.region = d.region))) AND (((l.k = s.score)))
  UNION ALL
  SELECT s.id AS id, d.region_name AS region_name, o.note AS note, l.v AS v, - (s.__pgt_w * o.__pgt_w) AS __pgt_w
  FROM __pgt_d0 AS s, golden.dim AS d, __pgt_d2 AS o, golden.log AS l
  WHERE (((d.region = s.region))) AND (((o.region = d.region))) AND (((l.k = s.score)))
  UNION ALL
  SELECT s.id AS id, d.region_name AS region_name, o.note AS note, l.v AS v, - (d.__pgt_w * o.__pgt_w) AS __pgt_w
  FROM golden.src AS s, __pgt_d1 AS d, __pgt_d2 AS o, golden.log AS l
  WHERE (((d.region = s.region))) AND (((o.region = d.region))) AND (((l.k = s.score)))
  UNION ALL
  SELECT s.id AS id, d.region_name AS region_name, o.note AS note, l.v AS v, s.__pgt_w * d.__pgt_w * o.__pgt_w AS __pgt_w
  FROM __pgt_d0 AS s, __pgt_d1 AS d, __pgt_d2 AS o, golden.log AS l
  WHERE (((d.region = s.region))) AND (((o.region = d.region))) AND (((l.k = s.score)))
  UNION ALL
  SELECT s.id AS id, d.region_name AS region_name, o.note AS note, l.v AS v, l.__pgt_w AS __pgt_w
  FROM golden.src AS s, golden.dim AS d, golden.owner AS o, __pgt_d3 AS l
  WHERE (((d.region = s.region))) AND (((o.region = d.region))) AND (((l.k = s.score)))
  UNION ALL
  SELECT s.id AS id, d.region_name AS region_name, o.note AS note, l.v AS v, - (s.__pgt_w * l.__pgt_w) AS __pgt_w
  FROM __pgt_d0 AS s, golden.dim AS d, golden.owner AS o, __pgt_d3 AS l
  WHERE (((d.region = s.region))) AND (((o.region = d.region))) AND (((l.k = s.score)))
  UNION ALL
  SELECT s.id AS id, d.region_name AS region_name, o.note AS note, l.v AS v, - (d.__pgt_w * l.__pgt_w) AS __pgt_w
  FROM golden.src AS s, __pgt_d1 AS d, golden.owner AS o, __pgt_d3 AS l
  WHERE (((d.region = s.region))) AND (((o.region = d.region))) AND (((l.k = s.score)))
  UNION ALL
  SELECT s.id AS id, d.region_name AS region_name, o.note AS note, l.v AS v, s.__pgt_w * d.__pgt_w * l.__pgt_w AS __pgt_w
  FROM __pgt_d0 AS s, __pgt_d1 AS d, golden.owner AS o, __pgt_d3 AS l
  WHERE (((d.region = s.region))) AND (((o.region = d.region))) AND (((l.k = s.score)))
  UNION ALL
  SELECT s.id AS id, d.region_name AS region_name, o.note AS note, l.v AS v, - (o.__pgt_w * l.__pgt_w) AS __pgt_w
  FROM golden.src AS s, golden.dim AS d, __pgt_d2 AS o, __pgt_d3 AS l
  WHERE (((d.region = s.region))) AND (((o.region = d.region))) AND (((l.k = s.score)))
  UNION ALL
  SELECT s.id AS id, d.region_name AS region_name, o.note AS note, l.v AS v, s.__pgt_w * o.__pgt_w * l.__pgt_w AS __pgt_w
  FROM __pgt_d0 AS s, golden.dim AS d, __pgt_d2 AS o, __pgt_d3 AS l
  WHERE (((d.region = s.region))) AND (((o.region = d.region))) AND (((l.k = s.score)))
  UNION ALL
  SELECT s.id AS id, d.region_name AS region_name, o.note AS note, l.v AS v, d.__pgt_w * o.__pgt_w * l.__pgt_w AS __pgt_w
  FROM golden.src AS s, __pgt_d1 AS d, __pgt_d2 AS o, __pgt_d3 AS l
  WHERE (((d.region = s.region))) AND (((o.region = d.region))) AND (((l.k = s.score)))
  UNION ALL
  SELECT s.id AS id, d.region_name AS region_name, o.note AS note, l.v AS v, - (s.__pgt_w * d.__pgt_w * o.__pgt_w * l.__pgt_w) AS __pgt_w
  FROM __pgt_d0 AS s, __pgt_d1 AS d, __pgt_d2 AS o, __pgt_d3 AS l
  WHERE (((d.region = s.region))) AND (((o.region = d.region))) AND (((l.k = s.score)))),
__pgt_net AS MATERIALIZED(SELECT id AS id, region_name AS region_name, note AS note, v AS v, sum(__pgt_w) AS __pgt_w
  FROM __pgt_delta
  GROUP BY id, region_name, note, v
  HAVING sum(__pgt_w) <> 0),
__pgt_del AS (DELETE
  FROM golden.st_join_4_tables
  WHERE ctid = ANY (ARRAY (SELECT x.ctid
      FROM __pgt_net AS d
      CROSS JOIN LATERAL (SELECT __pgt_st.ctid
        FROM golden.st_join_4_tables AS __pgt_st
        WHERE __pgt_st.__pgt_row_id = hash_record_extended(ROW(d.id, d.region_name, d.note, d.v), 0) AND __pgt_st.id IS NOT DISTINCT FROM d.id AND __pgt_st.region_name IS NOT DISTINCT FROM d.region_name AND __pgt_st.note IS NOT DISTINCT FROM d.note AND __pgt_st.v IS NOT DISTINCT FROM d.v LIMIT - d.__pgt_w) AS x
      WHERE d.__pgt_w < 0)) RETURNING 1),
__pgt_ins AS (INSERT INTO golden.st_join_4_tables(id, region_name, note, v, __pgt_row_id)
  SELECT d.id, d.region_name, d.note, d.v, hash_record_extended(ROW(d.id, d.region_name, d.note, d.v), 0)
  FROM __pgt_net AS d
  CROSS JOIN LATERAL generate_series(1, d.__pgt_w) AS __pgt_copy
  WHERE d.__pgt_w > 0 RETURNING 1)
SELECT (SELECT count(*)
  FROM __pgt_ins) AS inserted, 0::bigint AS updated, (SELECT count(*)
  FROM __pgt_del) AS deleted;

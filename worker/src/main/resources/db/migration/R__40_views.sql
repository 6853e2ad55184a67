-- Monitoring views with pg_trickle's names and columns (0.108). Columns this implementation
-- has no data for are NULL: target freshness and SLAs (not supported), strongly connected
-- components and fixpoints (cycles are refused), refresh tiers, p95 freshness (the worker's
-- metric pg_trickle_freshness_lag_ms has it). Schema and table names follow renames.

DROP VIEW IF EXISTS pgtrickle.pg_stat_pgtrickle;
CREATE VIEW pgtrickle.pg_stat_pgtrickle AS
SELECT st.pgt_id,
       coalesce(n.nspname::text, st.pgt_schema) AS schema_name,
       coalesce(c.relname::text, st.pgt_name) AS table_name,
       coalesce(h.total, 0) AS total_refreshes,
       coalesce(h.total_full, 0) AS total_full_refreshes,
       coalesce(h.total_diff, 0) AS total_diff_refreshes,
       coalesce(h.delta_rows, 0) AS total_delta_rows_processed,
       h.avg_ms AS avg_refresh_duration_ms,
       h.p95_ms AS p95_refresh_duration_ms,
       h.p99_ms AS p99_refresh_duration_ms,
       st.last_refresh_at,
       (extract(epoch FROM now() - coalesce(st.last_refresh_at, st.created_at)) * 1000)::float8
         AS current_lag_ms,
       st.requested_refresh_mode,
       NULL::text AS target_freshness_mode,
       NULL::bigint AS target_freshness_ms,
       h.last_full_reason,
       NULL::text AS last_full_reason_detail,
       st.last_error_message AS last_error,
       st.last_error_at,
       st.stats_reset_at,
       NULL::float8 AS p95_freshness_ms,
       NULL::text AS sla_status
  FROM pgtrickle.pgt_stream_tables st
  LEFT JOIN pg_catalog.pg_class c ON c.oid = st.pgt_relid
  LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN LATERAL (
    SELECT count(*) AS total,
           count(*) FILTER (WHERE r.action IN ('FULL', 'REINITIALIZE')) AS total_full,
           count(*) FILTER (WHERE r.action = 'DIFFERENTIAL') AS total_diff,
           sum(r.delta_row_count) AS delta_rows,
           avg(extract(epoch FROM r.end_time - r.start_time) * 1000)::float8 AS avg_ms,
           percentile_cont(0.95) WITHIN GROUP (
             ORDER BY extract(epoch FROM r.end_time - r.start_time) * 1000) AS p95_ms,
           percentile_cont(0.99) WITHIN GROUP (
             ORDER BY extract(epoch FROM r.end_time - r.start_time) * 1000) AS p99_ms,
           (SELECT r2.refresh_reason FROM pgtrickle.pgt_refresh_history r2
             WHERE r2.pgt_id = st.pgt_id AND r2.status = 'COMPLETED'
               AND r2.action IN ('FULL', 'REINITIALIZE')
             ORDER BY r2.start_time DESC, r2.refresh_id DESC LIMIT 1) AS last_full_reason
      FROM pgtrickle.pgt_refresh_history r
     WHERE r.pgt_id = st.pgt_id AND r.status = 'COMPLETED'
       AND r.start_time >= coalesce(st.stats_reset_at, '-infinity')
  ) h ON true;

-- Whether a stream table reads, directly or through other stream tables, a stream table that
-- is paused, in ERROR or gone (its storage dropped): its own refreshes go on, finding nothing
-- new (NO_DATA), but its contents no longer follow the base tables behind it.
CREATE OR REPLACE FUNCTION pgtrickle._upstream_blocked(p_pgt_id bigint)
RETURNS boolean LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp AS $fn$
  WITH RECURSIVE up(relid) AS (
    SELECT d.source_relid FROM pgtrickle.pgt_dependencies d
     WHERE d.pgt_id = p_pgt_id AND d.source_type = 'STREAM_TABLE'
    UNION
    SELECT d.source_relid FROM up
      JOIN pgtrickle.pgt_stream_tables u ON u.pgt_relid = up.relid
      JOIN pgtrickle.pgt_dependencies d ON d.pgt_id = u.pgt_id AND d.source_type = 'STREAM_TABLE')
  SELECT EXISTS (
    SELECT 1 FROM up LEFT JOIN pgtrickle.pgt_stream_tables u ON u.pgt_relid = up.relid
     WHERE u.pgt_id IS NULL OR u.status IN ('SUSPENDED', 'ERROR'))
$fn$;

DROP VIEW IF EXISTS pgtrickle.pg_stat_stream_tables;
CREATE VIEW pgtrickle.pg_stat_stream_tables AS
SELECT st.pgt_id,
       coalesce(n.nspname::text, st.pgt_schema) AS pgt_schema,
       coalesce(c.relname::text, st.pgt_name) AS pgt_name,
       st.status,
       st.refresh_mode,
       st.is_populated,
       st.data_timestamp,
       st.schedule,
       now() - st.last_refresh_at AS staleness,
       -- Stale: not refreshed within its schedule, or kept from following its base tables by a
       -- stream table it reads (paused, in ERROR, dropped), however recently it was refreshed.
       CASE WHEN pgtrickle._upstream_blocked(st.pgt_id) THEN true
            WHEN pgtrickle._schedule_interval(st.schedule) IS NULL THEN NULL
            ELSE coalesce(now() - st.last_refresh_at > pgtrickle._schedule_interval(st.schedule),
                          true) END AS stale,
       st.consecutive_errors,
       st.needs_reinit,
       st.last_refresh_at,
       coalesce(h.total, 0) AS total_refreshes,
       coalesce(h.ok, 0) AS successful_refreshes,
       coalesce(h.failed, 0) AS failed_refreshes,
       coalesce(h.ins, 0) AS total_rows_inserted,
       coalesce(h.upd, 0) AS total_rows_updated,
       coalesce(h.del, 0) AS total_rows_deleted,
       h.avg_ms AS avg_duration_ms,
       l.action AS last_action,
       l.status AS last_status,
       ARRAY(SELECT DISTINCT CASE WHEN d.source_type = 'STREAM_TABLE' THEN 'STREAM_TABLE'
                                  ELSE 'EXTERNAL' END
               FROM pgtrickle.pgt_dependencies d
              WHERE d.pgt_id = st.pgt_id AND d.source_type <> 'VIEW') AS cdc_modes,
       NULL::integer AS scc_id,
       NULL::integer AS last_fixpoint_iterations,
       NULL::text AS refresh_tier
  FROM pgtrickle.pgt_stream_tables st
  LEFT JOIN pg_catalog.pg_class c ON c.oid = st.pgt_relid
  LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE r.status <> 'RUNNING') AS total,
           count(*) FILTER (WHERE r.status = 'COMPLETED') AS ok,
           count(*) FILTER (WHERE r.status = 'FAILED') AS failed,
           sum(r.rows_inserted) AS ins,
           sum(r.rows_updated) AS upd,
           sum(r.rows_deleted) AS del,
           (avg(extract(epoch FROM r.end_time - r.start_time) * 1000)
              FILTER (WHERE r.status = 'COMPLETED'))::float8 AS avg_ms
      FROM pgtrickle.pgt_refresh_history r
     WHERE r.pgt_id = st.pgt_id
  ) h ON true
  LEFT JOIN LATERAL (
    SELECT r.action, r.status FROM pgtrickle.pgt_refresh_history r
     WHERE r.pgt_id = st.pgt_id ORDER BY r.start_time DESC, r.refresh_id DESC LIMIT 1
  ) l ON true;

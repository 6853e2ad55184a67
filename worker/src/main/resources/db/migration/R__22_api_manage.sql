-- The SQL front door, part 2: dropping, refreshing, pausing, resuming and explaining stream
-- tables. SECURITY INVOKER, as part 1.

-- Shared by drop_stream_table and exec_stream_ddl. Returns false when missing and missing_ok.
CREATE OR REPLACE FUNCTION pgtrickle._drop(name text, cascade boolean, missing_ok boolean,
                                           search_path text)
RETURNS boolean LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  r pgtrickle.pgt_stream_tables;
  dep record;
  dependents text;
BEGIN
  r := pgtrickle._find(name, _drop.search_path, missing_ok);
  IF r.pgt_id IS NULL THEN
    RAISE NOTICE 'stream table "%" does not exist, skipping', name;
    RETURN false;
  END IF;
  SELECT string_agg(format('stream table %s depends on stream table %s', t.pgt_relid,
                           r.pgt_relid), E'\n' ORDER BY t.pgt_id)
    INTO dependents
    FROM pgtrickle.pgt_dependencies d JOIN pgtrickle.pgt_stream_tables t USING (pgt_id)
   WHERE d.source_relid = r.pgt_relid AND d.pgt_id <> r.pgt_id;
  IF dependents IS NOT NULL AND NOT coalesce(cascade, false) THEN
    RAISE EXCEPTION 'cannot drop stream table % because other stream tables depend on it',
      r.pgt_relid
      USING ERRCODE = '2BP01', DETAIL = dependents,
            HINT = 'Use cascade => true (DROP STREAM TABLE ... CASCADE) to drop them too.';
  END IF;
  FOR dep IN SELECT t.pgt_relid::text AS rel
               FROM pgtrickle.pgt_dependencies d JOIN pgtrickle.pgt_stream_tables t USING (pgt_id)
              WHERE d.source_relid = r.pgt_relid AND d.pgt_id <> r.pgt_id
              ORDER BY t.pgt_id LOOP
    PERFORM pgtrickle._drop(dep.rel, true, true, 'pg_catalog, pg_temp');
  END LOOP;
  PERFORM pgtrickle._unregister(r.pgt_relid);
  EXECUTE format('DROP TABLE %s%s', r.pgt_relid,
                 CASE WHEN coalesce(cascade, false) THEN ' CASCADE' ELSE '' END);
  RETURN true;
END
$fn$;

CREATE OR REPLACE FUNCTION pgtrickle.drop_stream_table(name text, cascade boolean DEFAULT false)
RETURNS void LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
  PERFORM pgtrickle._drop(name, cascade, false, pg_catalog.current_setting('search_path'));
END
$fn$;

CREATE OR REPLACE FUNCTION pgtrickle._refresh(name text, search_path text)
RETURNS void LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  r pgtrickle.pgt_stream_tables;
  cur record;
  blocked record;
  gone record;
  gone_since timestamptz;
  target pg_lsn;
  app text := current_setting('application_name');
  delay float8 := 0.005;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'refresh_stream_table cannot run in a % transaction',
      upper(current_setting('transaction_isolation'))
      USING ERRCODE = '25001',
            DETAIL = 'It waits for the worker and needs a new snapshot for every look at the '
                     'catalog, which only READ COMMITTED gives.',
            HINT = 'Call it in its own transaction, or in a READ COMMITTED one.';
  END IF;
  r := pgtrickle._find(name, _refresh.search_path, false);
  IF r.status = 'SUSPENDED' THEN
    RAISE EXCEPTION 'stream table % is paused', r.pgt_relid
      USING ERRCODE = '55000', HINT = format('SELECT pgtrickle.resume_stream_table(%L)',
                                              r.pgt_relid::text);
  ELSIF r.status = 'ERROR' THEN
    RAISE EXCEPTION 'stream table % is in ERROR: %', r.pgt_relid, r.last_error_message
      USING ERRCODE = '55000',
            HINT = format('Fix the cause, then SELECT pgtrickle.resume_stream_table(%L)',
                          r.pgt_relid::text);
  END IF;
  -- Every change committed before this call committed below target.
  target := pg_current_wal_insert_lsn();
  -- Ask the workers (they watch pg_stat_activity, which shows this at once and without a
  -- commit): see worker/README.md, "refresh_stream_table protocol".
  PERFORM set_config('application_name', format('pgtrickle refresh %s %s', r.pgt_id, target),
                     true);
  LOOP
    SELECT t.status, t.is_populated, t.last_error_message,
           NOT EXISTS (
             SELECT 1 FROM pgtrickle.pgt_dependencies d
              WHERE d.pgt_id = t.pgt_id AND d.source_type IN ('TABLE', 'STREAM_TABLE')
                AND coalesce((t.frontier->'sources'->>(d.source_relid::oid::text))::pg_lsn
                             < target, true)) AS caught_up
      INTO cur
      FROM pgtrickle.pgt_stream_tables t WHERE t.pgt_id = r.pgt_id;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'stream table % was dropped during refresh_stream_table', name
        USING ERRCODE = '42P01';
    ELSIF cur.status = 'ERROR' THEN
      RAISE EXCEPTION 'refresh of stream table % failed: %', r.pgt_relid, cur.last_error_message
        USING ERRCODE = '55000',
              HINT = format('Fix the cause, then SELECT pgtrickle.resume_stream_table(%L)',
                            r.pgt_relid::text);
    ELSIF cur.status = 'SUSPENDED' THEN
      RAISE EXCEPTION 'stream table % was paused during refresh_stream_table', r.pgt_relid
        USING ERRCODE = '55000';
    ELSIF cur.is_populated AND cur.caught_up THEN
      EXIT;
    END IF;
    -- A stream table it reads (directly or further up) that is paused or in ERROR is not
    -- refreshed, so this one cannot catch up through it (its frontier entry for a stream-table
    -- source is how far that source is fresh).
    WITH RECURSIVE up(relid) AS (
      SELECT d.source_relid FROM pgtrickle.pgt_dependencies d
       WHERE d.pgt_id = r.pgt_id AND d.source_type = 'STREAM_TABLE'
      UNION
      SELECT d.source_relid FROM up
        JOIN pgtrickle.pgt_stream_tables u ON u.pgt_relid = up.relid
        JOIN pgtrickle.pgt_dependencies d ON d.pgt_id = u.pgt_id AND d.source_type = 'STREAM_TABLE')
    SELECT u.pgt_relid, u.status, u.last_error_message INTO blocked
      FROM up JOIN pgtrickle.pgt_stream_tables u ON u.pgt_relid = up.relid
     WHERE u.status IN ('SUSPENDED', 'ERROR') ORDER BY u.pgt_id LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION 'stream table % reads stream table %, which is %', r.pgt_relid,
        blocked.pgt_relid, CASE blocked.status WHEN 'SUSPENDED' THEN 'paused'
                                               ELSE 'in ERROR: ' || blocked.last_error_message END
        USING ERRCODE = '55000',
              HINT = format('Fix the cause if any, then SELECT pgtrickle.resume_stream_table(%L)',
                            blocked.pgt_relid::text);
    END IF;
    -- A source that is gone (its relation dropped; for a stream table, also its catalog row)
    -- never advances the frontier entry waited for. The worker's next refresh recomputes and,
    -- the query failing, puts the stream table in ERROR naming it (raised above); give it a few
    -- seconds, then raise here, so the wait ends even without a worker that knows this (one of
    -- an older version, or none running).
    SELECT d.source_relid::oid AS relid INTO gone
      FROM pgtrickle.pgt_dependencies d
     WHERE d.pgt_id = r.pgt_id AND d.source_type IN ('TABLE', 'STREAM_TABLE')
       AND (NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = d.source_relid)
            OR (d.source_type = 'STREAM_TABLE'
                AND NOT EXISTS (SELECT 1 FROM pgtrickle.pgt_stream_tables u
                                 WHERE u.pgt_relid = d.source_relid)))
     ORDER BY 1 LIMIT 1;
    IF NOT FOUND THEN
      gone_since := NULL;
    ELSIF gone_since IS NULL THEN
      gone_since := clock_timestamp();
    ELSIF clock_timestamp() - gone_since > interval '5 seconds' THEN
      RAISE EXCEPTION 'stream table % reads a relation that was dropped (OID %)', r.pgt_relid,
        gone.relid
        USING ERRCODE = '42P01',
              HINT = format('Create it again and SELECT pgtrickle.resume_stream_table(%L), or '
                            'give the stream table another query with alter_stream_table',
                            r.pgt_relid::text);
    END IF;
    PERFORM pg_sleep(delay);
    delay := least(delay * 2, 0.1);
  END LOOP;
  PERFORM set_config('application_name', app, true);
END
$fn$;

-- Returns when the stream table reflects every change committed before the call. Waits for a
-- worker (see worker/README.md); READ COMMITTED only; statement_timeout bounds the wait.
CREATE OR REPLACE FUNCTION pgtrickle.refresh_stream_table(name text)
RETURNS void LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
  PERFORM pgtrickle._refresh(name, pg_catalog.current_setting('search_path'));
END
$fn$;

CREATE OR REPLACE FUNCTION pgtrickle.pause_stream_table(name text)
RETURNS void LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
  PERFORM pgtrickle._alter(name, NULL, '{"status": "SUSPENDED"}',
                           pg_catalog.current_setting('search_path'), 0);
END
$fn$;

-- Rebuilds a stream table whose query, as it reads now (r's own query and search_path, else
-- search_path), no longer matches it (_outdated: a source is another relation than the registered
-- one, or the query's columns are not the storage's, say a source column retyped or widened) as
-- alter_stream_table with a new query does: storage columns made the query's (_reshape: every
-- column dropped and added again, the user's indexes created again where they fit, the table
-- emptied), the catalog row reset for a repopulation (_replace_query). columns_only: rebuild only
-- when the query's columns are not the storage's (not for another source relation alone).
-- Returns the storage's user columns before and after ({"old", "new"}, as _user_columns) and the
-- user's indexes not created again ({"indexes_left_out"}, as _reshape) when it rebuilt, NULL when
-- it did not. Errors of the query (a source dropped)
-- are raised; objects depending on a storage column stop the rebuild (2BP01). Runs as the owner:
-- resume_stream_table, and the worker in a transaction of its own before the refresh after a
-- source's columns changed (worker/README.md, "Refresh").
CREATE OR REPLACE FUNCTION pgtrickle._rebuild_outdated(r pgtrickle.pgt_stream_tables,
                                                       search_path text, columns_only boolean)
RETURNS jsonb LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  q text := coalesce(r.original_query, r.defining_query);
  a jsonb;
  old jsonb := pgtrickle._user_columns(r.pgt_relid);
  left_out jsonb;
BEGIN
  a := pgtrickle._probe(q, coalesce(r.defining_search_path, _rebuild_outdated.search_path), 0);
  IF NOT pgtrickle._outdated(r, a)
     OR (columns_only AND old IS NOT DISTINCT FROM a->'columns') THEN
    EXECUTE format('DROP VIEW %s', a->>'probe');
    RETURN NULL;
  END IF;
  left_out := pgtrickle._reshape(r.pgt_relid, a);
  PERFORM pgtrickle._replace_query(
    r.pgt_relid, (a->>'probe')::regclass,
    jsonb_build_object('original_query', q, 'search_path', r.defining_search_path,
                       'extra_blockers', a->'extra_blockers'));
  EXECUTE format('DROP VIEW %s', a->>'probe');
  RETURN jsonb_build_object('old', old, 'new', a->'columns',
                            'indexes_left_out', coalesce(left_out, '[]'));
END
$fn$;

-- Resumes a paused stream table, or one in ERROR after its cause was fixed: back to ACTIVE
-- (INITIALIZING when not populated yet), error count cleared. For one in ERROR the
-- query is checked again as it reads now (with its own search_path): when a source was dropped
-- and created again, or its columns no longer give the storage's (a source column retyped or
-- widened), the stream table is rebuilt on them as alter_stream_table with a new query does
-- (_rebuild_outdated); a query that still does not run raises its error here, and the stream
-- table stays in ERROR.
CREATE OR REPLACE FUNCTION pgtrickle.resume_stream_table(name text)
RETURNS void LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  r pgtrickle.pgt_stream_tables;
BEGIN
  r := pgtrickle._find(name, pg_catalog.current_setting('search_path'), false);
  IF r.status = 'ERROR'
     AND pgtrickle._rebuild_outdated(r, pg_catalog.current_setting('search_path'), false)
         IS NOT NULL THEN
    RETURN;
  END IF;
  PERFORM pgtrickle._alter(name, NULL, '{"status": "ACTIVE"}',
                           pg_catalog.current_setting('search_path'), 0);
END
$fn$;

CREATE OR REPLACE FUNCTION pgtrickle._explain(name text, search_path text)
RETURNS text LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  r pgtrickle.pgt_stream_tables;
  out text[] := '{}';
  line text;
BEGIN
  r := pgtrickle._find(name, _explain.search_path, false);
  out := out || format('Stream table: %s (pgt_id %s)', r.pgt_relid, r.pgt_id)
             || format('Status: %s, populated: %s%s', r.status,
                       CASE WHEN r.is_populated THEN 'yes' ELSE 'no' END,
                       CASE WHEN r.last_error_message IS NOT NULL
                            THEN ', last error: ' || r.last_error_message ELSE '' END)
             || format('Schedule: %s', coalesce(r.schedule, 'calculated'))
             || format('Refresh mode: %s (requested %s)%s', r.refresh_mode,
                       r.requested_refresh_mode,
                       CASE WHEN r.differential_blocker IS NOT NULL
                            THEN '; DIFFERENTIAL is not possible: the query uses '
                                 || r.differential_blocker ELSE '' END)
             || 'Sources:'::text;
  FOR line IN
    SELECT format('  %s (%s%s)', d.source_relid, d.source_type,
                  CASE WHEN cardinality(d.columns_used) > 0
                       THEN '; columns ' || array_to_string(d.columns_used, ', ') ELSE '' END)
      FROM pgtrickle.pgt_dependencies d WHERE d.pgt_id = r.pgt_id
     ORDER BY d.source_relid::text
  LOOP
    out := out || line;
  END LOOP;
  out := out || 'Defining query:'::text || ('  ' || replace(r.defining_query, E'\n', E'\n  '))
             || 'FULL refresh plan:'::text;
  BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || r.defining_query LOOP
      out := out || ('  ' || line);
    END LOOP;
  EXCEPTION WHEN insufficient_privilege THEN
    out := out || ('  (not shown: ' || SQLERRM || ')');
  END;
  out := out || 'Differential refresh SQL:'::text
             || ('  ' || coalesce(replace(r.delta_sql, E'\n', E'\n  '),
                                  CASE WHEN r.refresh_mode = 'DIFFERENTIAL'
                                       THEN '(written by the worker when it first maintains '
                                            'the table differentially)'
                                       ELSE '(none: refreshed FULL)' END));
  RETURN array_to_string(out, E'\n');
END
$fn$;

-- A readable account of a stream table: status, schedule, the refresh mode and what prevents
-- DIFFERENTIAL, its sources, the query as stored, the plan of a FULL refresh, and the SQL of a
-- differential refresh once the worker has generated it.
CREATE OR REPLACE FUNCTION pgtrickle.explain_stream_table(name text)
RETURNS text LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
  RETURN pgtrickle._explain(name, pg_catalog.current_setting('search_path'));
END
$fn$;

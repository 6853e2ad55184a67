-- The only functions that write the catalog on behalf of users. They are SECURITY DEFINER (they
-- run as the catalog's owner, the worker's role) with a fixed search_path, and trust nothing
-- their caller passes: they authorize the session's user against the storage table's owner,
-- analyse the query again from the caller's temporary view (catalog reads only, no user code
-- runs), and check that the storage table's owner may read every source. The public API
-- functions (R__21, R__22) call them; they are not granted to anyone directly.

-- The session's user must be (a member of) the owner of the storage table, or a member of
-- pgtrickle_admin. session_user, because current_user is the definer here; a role the session
-- switched to with SET ROLE is one the session's user is a member of.
CREATE OR REPLACE FUNCTION pgtrickle._authorize(st regclass)
RETURNS void LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = st
                    AND pg_has_role(session_user, c.relowner, 'USAGE'))
     AND NOT EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = 'pgtrickle_admin'
                        AND pg_has_role(session_user, r.oid, 'USAGE')) THEN
    RAISE EXCEPTION 'must be owner of stream table %', st
      USING ERRCODE = '42501';
  END IF;
END
$fn$;

-- Checks a caller's temporary view and analyses it: the probe must be a view in this session's
-- temporary schema. Returns pgtrickle._analyze(probe) with "blockers" extended by extra ones.
CREATE OR REPLACE FUNCTION pgtrickle._analyze_probe(probe regclass, extra_blockers jsonb)
RETURNS jsonb LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  a jsonb;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = probe AND c.relkind = 'v'
                    AND c.relnamespace = pg_my_temp_schema()) THEN
    RAISE EXCEPTION '% is not a temporary view of this session', probe USING ERRCODE = '42809';
  END IF;
  a := pgtrickle._analyze(probe);
  RETURN jsonb_set(a, '{blockers}',
                   (a->'blockers') || coalesce(extra_blockers, '[]'::jsonb));
END
$fn$;

-- The owner of the storage table may read what the query reads directly (views check their own
-- owners' privileges, as in PostgreSQL) and execute the functions it calls. 42501 otherwise.
CREATE OR REPLACE FUNCTION pgtrickle._check_owner_privileges(st regclass, probe regclass,
                                                            a jsonb)
RETURNS void LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  owner oid := (SELECT relowner FROM pg_class WHERE oid = st);
  s record;
  f record;
BEGIN
  FOR s IN
    SELECT DISTINCT (x->>'relid')::oid AS relid
      FROM pgtrickle._all_nodes(pgtrickle._view_tree(probe)) x
     WHERE x->>'_' = 'RANGETBLENTRY' AND x->>'rtekind' = '0' AND (x->>'relid')::oid <> probe
  LOOP
    IF NOT has_any_column_privilege(owner, s.relid, 'SELECT')
       OR EXISTS (SELECT 1 FROM jsonb_array_elements(a->'sources') src,
                       jsonb_array_elements_text(src->'columns') col
                   WHERE (src->>'relid')::oid = s.relid
                     AND NOT has_column_privilege(owner, s.relid, col, 'SELECT')) THEN
      RAISE EXCEPTION 'permission denied for table %', s.relid::regclass
        USING ERRCODE = '42501',
              DETAIL = format('The owner of stream table %s, role %s, must be able to read '
                              'its sources.', st, owner::regrole);
    END IF;
  END LOOP;
  FOR f IN
    SELECT DISTINCT (x->>'funcid')::oid AS fn
      FROM pgtrickle._all_nodes(pgtrickle._view_tree(probe)) x
     WHERE x->>'_' = 'FUNCEXPR'
  LOOP
    IF NOT has_function_privilege(owner, f.fn, 'EXECUTE') THEN
      RAISE EXCEPTION 'permission denied for function %', f.fn::regproc
        USING ERRCODE = '42501';
    END IF;
  END LOOP;
END
$fn$;

-- The storage table's columns (bookkeeping __pgt_* columns aside) must be the query's.
CREATE OR REPLACE FUNCTION pgtrickle._check_columns(st regclass, a jsonb)
RETURNS void LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  IF (SELECT coalesce(jsonb_agg(jsonb_build_object('name', attname,
                                                   'type', format_type(atttypid, atttypmod))
                                ORDER BY attnum), '[]')
        FROM pg_attribute
       WHERE attrelid = st AND attnum > 0 AND NOT attisdropped
         AND attname NOT LIKE '\_\_pgt\_%') IS DISTINCT FROM a->'columns' THEN
    RAISE EXCEPTION 'the columns of % do not match its query', st USING ERRCODE = '42804';
  END IF;
END
$fn$;

-- AUTO resolves to DIFFERENTIAL when nothing blocks it; an explicit DIFFERENTIAL that a
-- construct blocks is refused naming the construct (0A000).
CREATE OR REPLACE FUNCTION pgtrickle._effective_mode(requested text, blockers jsonb)
RETURNS text LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  IF requested = 'DIFFERENTIAL' AND jsonb_array_length(blockers) > 1 THEN
    RAISE EXCEPTION 'refresh_mode DIFFERENTIAL is not possible for this query: it uses %',
      blockers->>0
      USING ERRCODE = '0A000',
            DETAIL = 'Also: ' || (SELECT string_agg(b, ', ')
                                    FROM jsonb_array_elements_text(blockers)
                                         WITH ORDINALITY e(b, i) WHERE i > 1) || '.',
            HINT = 'Use refresh_mode ''AUTO'' (it refreshes such a query FULL) or ''FULL''.';
  ELSIF requested = 'DIFFERENTIAL' AND jsonb_array_length(blockers) = 1 THEN
    RAISE EXCEPTION 'refresh_mode DIFFERENTIAL is not possible for this query: it uses %',
      blockers->>0
      USING ERRCODE = '0A000',
            HINT = 'Use refresh_mode ''AUTO'' (it refreshes such a query FULL) or ''FULL''.';
  END IF;
  RETURN CASE WHEN requested = 'AUTO'
              THEN CASE WHEN jsonb_array_length(blockers) = 0 THEN 'DIFFERENTIAL' ELSE 'FULL' END
              ELSE requested END;
END
$fn$;

-- Adds the stream table's base-table sources to pgt_change_tracking (tracked_by_pgt_ids keeps
-- the stream tables needing each) and gives them REPLICA IDENTITY FULL. Maintained per row with
-- array_append/array_remove, so that concurrent creates and drops on one source conflict on that
-- row instead of missing each other.
CREATE OR REPLACE FUNCTION pgtrickle._track_sources(p_pgt_id bigint)
RETURNS void LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  s record;
  part record;
BEGIN
  FOR s IN SELECT d.source_relid::oid AS relid FROM pgtrickle.pgt_dependencies d
            WHERE d.pgt_id = p_pgt_id AND d.source_type = 'TABLE' ORDER BY 1 LOOP
    INSERT INTO pgtrickle.pgt_change_tracking AS t (source_relid, tracked_by_pgt_ids)
    VALUES (s.relid, ARRAY[p_pgt_id])
    ON CONFLICT (source_relid) DO UPDATE
      SET tracked_by_pgt_ids = CASE WHEN p_pgt_id = ANY (t.tracked_by_pgt_ids)
                                    THEN t.tracked_by_pgt_ids
                                    ELSE array_append(t.tracked_by_pgt_ids, p_pgt_id) END;
    FOR part IN SELECT c.oid::regclass AS rel FROM pg_class c
                 WHERE c.relreplident <> 'f' AND c.relkind IN ('r', 'p')
                   AND c.oid IN (SELECT s.relid
                                 UNION ALL
                                 SELECT p.relid::oid FROM pg_partition_tree(s.relid) p)
    LOOP
      BEGIN
        EXECUTE format('ALTER TABLE %s REPLICA IDENTITY FULL', part.rel);
      EXCEPTION WHEN insufficient_privilege THEN
        RAISE EXCEPTION 'cannot set REPLICA IDENTITY FULL on source table %', part.rel
          USING ERRCODE = '42501',
                DETAIL = format('pg_trickle runs as role %s, which does not own it. Stream '
                                'tables need the old row image of every change of a source.',
                                current_user),
                HINT = format('Its owner can run ALTER TABLE %s REPLICA IDENTITY FULL, then '
                              'create the stream table again.', part.rel);
      END;
    END LOOP;
  END LOOP;
END
$fn$;

-- Removes a stream table from the change tracking of the given sources; rows no stream table
-- needs any more are deleted (the cdc-consumer then stops capturing the table).
CREATE OR REPLACE FUNCTION pgtrickle._untrack_sources(p_pgt_id bigint, relids oid[])
RETURNS void LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  UPDATE pgtrickle.pgt_change_tracking t
     SET tracked_by_pgt_ids = array_remove(t.tracked_by_pgt_ids, p_pgt_id)
   WHERE t.source_relid::oid = ANY (relids) AND p_pgt_id = ANY (t.tracked_by_pgt_ids);
  DELETE FROM pgtrickle.pgt_change_tracking t
   WHERE t.source_relid::oid = ANY (relids) AND cardinality(t.tracked_by_pgt_ids) = 0;
END
$fn$;

-- Writes the dependencies of a stream table from an analysis.
CREATE OR REPLACE FUNCTION pgtrickle._write_dependencies(p_pgt_id bigint, a jsonb)
RETURNS void LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp AS $fn$
  INSERT INTO pgtrickle.pgt_dependencies (pgt_id, source_relid, source_type, columns_used)
  SELECT p_pgt_id, (s->>'relid')::oid::regclass, s->>'type',
         ARRAY(SELECT jsonb_array_elements_text(s->'columns'))
    FROM jsonb_array_elements(a->'sources') s
$fn$;

-- Refuses a query that would make the stream table st depend on itself through other stream
-- tables (42P17). Locks the catalog rows of the stream tables involved, then checks again with
-- a fresh snapshot, so two concurrent changes cannot close a cycle together.
CREATE OR REPLACE FUNCTION pgtrickle._check_cycle(st regclass, a jsonb)
RETURNS void LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  cycle_path text;
  i int;
BEGIN
  FOR i IN 1..2 LOOP
    WITH RECURSIVE up(relid, path) AS (
      SELECT (s->>'relid')::oid, ARRAY[st::oid, (s->>'relid')::oid]
        FROM jsonb_array_elements(a->'sources') s
       WHERE s->>'type' = 'STREAM_TABLE'
      UNION
      SELECT d.source_relid::oid, up.path || d.source_relid::oid
        FROM up
        JOIN pgtrickle.pgt_stream_tables t ON t.pgt_relid::oid = up.relid
        JOIN pgtrickle.pgt_dependencies d ON d.pgt_id = t.pgt_id
       WHERE d.source_type = 'STREAM_TABLE' AND up.relid <> st::oid
         AND cardinality(up.path) < 1000
    )
    SELECT string_agg(u.p::regclass::text, ' -> ' ORDER BY u.o) INTO cycle_path
      FROM (SELECT up.path FROM up WHERE up.relid = st::oid LIMIT 1) c,
           unnest(c.path) WITH ORDINALITY u(p, o);
    IF cycle_path IS NOT NULL THEN
      RAISE EXCEPTION 'stream table % would depend on itself', st
        USING ERRCODE = '42P17', DETAIL = 'Cycle: ' || cycle_path || '.';
    END IF;
    EXIT WHEN i = 2 OR NOT EXISTS (SELECT 1 FROM jsonb_array_elements(a->'sources') s
                                    WHERE s->>'type' = 'STREAM_TABLE');
    PERFORM 1 FROM pgtrickle.pgt_stream_tables t
     WHERE t.pgt_relid::oid IN (
             WITH RECURSIVE up(relid) AS (
               SELECT (s->>'relid')::oid FROM jsonb_array_elements(a->'sources') s
                WHERE s->>'type' = 'STREAM_TABLE'
               UNION
               SELECT d.source_relid::oid FROM up
                 JOIN pgtrickle.pgt_stream_tables t2 ON t2.pgt_relid::oid = up.relid
                 JOIN pgtrickle.pgt_dependencies d ON d.pgt_id = t2.pgt_id
                WHERE d.source_type = 'STREAM_TABLE')
             SELECT relid FROM up)
     ORDER BY t.pgt_id FOR UPDATE OF t;
  END LOOP;
END
$fn$;

-- Registers a new stream table: st is its storage table (created by the caller), probe the
-- caller's temporary view of its query, p the options
-- {"schedule", "refresh_mode", "initialize", "cdc_mode", "original_query", "search_path",
--  "extra_blockers"}. Returns pgt_id.
CREATE OR REPLACE FUNCTION pgtrickle._register(st regclass, probe regclass, p jsonb)
RETURNS bigint LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  a jsonb;
  id bigint;
  requested text := pgtrickle._parse_refresh_mode(coalesce(p->>'refresh_mode', 'AUTO'));
BEGIN
  PERFORM pgtrickle._authorize(st);
  a := pgtrickle._analyze_probe(probe, p->'extra_blockers');
  PERFORM pgtrickle._check_owner_privileges(st, probe, a);
  PERFORM pgtrickle._check_columns(st, a);
  INSERT INTO pgtrickle.pgt_stream_tables
    (pgt_relid, pgt_schema, pgt_name, defining_query, original_query, defining_search_path,
     schedule, refresh_mode, requested_refresh_mode, differential_blocker, status,
     is_populated, initialize, requested_cdc_mode)
  SELECT st, n.nspname, c.relname, a->>'query', p->>'original_query', p->>'search_path',
         pgtrickle._parse_schedule(p->>'schedule'),
         pgtrickle._effective_mode(requested, a->'blockers'), requested,
         a->'blockers'->>0, 'INITIALIZING', false,
         coalesce((p->>'initialize')::boolean, true), pgtrickle._parse_cdc_mode(p->>'cdc_mode')
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.oid = st
  RETURNING pgt_id INTO id;
  PERFORM pgtrickle._write_dependencies(id, a);
  PERFORM pgtrickle._track_sources(id);
  PERFORM pg_notify('pgtrickle_catalog',
                    json_build_object('op', 'create', 'pgt_id', id)::text);
  RETURN id;
END
$fn$;

-- Replaces the query of a stream table (the caller has already made the storage table's
-- columns the new query's). The table must be repopulated: is_populated false, frontier reset,
-- needs_reinit set, status INITIALIZING (SUSPENDED stays SUSPENDED).
CREATE OR REPLACE FUNCTION pgtrickle._replace_query(st regclass, probe regclass, p jsonb)
RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  a jsonb;
  r pgtrickle.pgt_stream_tables;
  requested text;
  old_sources oid[];
BEGIN
  PERFORM pgtrickle._authorize(st);
  SELECT * INTO r FROM pgtrickle.pgt_stream_tables WHERE pgt_relid = st FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION '% is not a stream table', st USING ERRCODE = '42809';
  END IF;
  requested := pgtrickle._parse_refresh_mode(coalesce(p->>'refresh_mode',
                                                      r.requested_refresh_mode));
  a := pgtrickle._analyze_probe(probe, p->'extra_blockers');
  PERFORM pgtrickle._check_owner_privileges(st, probe, a);
  PERFORM pgtrickle._check_columns(st, a);
  PERFORM pgtrickle._check_cycle(st, a);
  SELECT array_agg(source_relid::oid) INTO old_sources
    FROM pgtrickle.pgt_dependencies WHERE pgt_id = r.pgt_id;
  DELETE FROM pgtrickle.pgt_dependencies WHERE pgt_id = r.pgt_id;
  PERFORM pgtrickle._write_dependencies(r.pgt_id, a);
  PERFORM pgtrickle._untrack_sources(r.pgt_id, ARRAY(
    SELECT unnest(old_sources)
    EXCEPT SELECT source_relid::oid FROM pgtrickle.pgt_dependencies
            WHERE pgt_id = r.pgt_id AND source_type = 'TABLE'));
  PERFORM pgtrickle._track_sources(r.pgt_id);
  UPDATE pgtrickle.pgt_stream_tables
     SET defining_query = a->>'query',
         original_query = p->>'original_query',
         defining_search_path = p->>'search_path',
         schedule = CASE WHEN p ? 'schedule' THEN pgtrickle._parse_schedule(p->>'schedule')
                         ELSE schedule END,
         requested_refresh_mode = requested,
         refresh_mode = pgtrickle._effective_mode(requested, a->'blockers'),
         differential_blocker = a->'blockers'->>0,
         requested_cdc_mode = CASE WHEN p ? 'cdc_mode'
                                   THEN pgtrickle._parse_cdc_mode(p->>'cdc_mode')
                                   ELSE requested_cdc_mode END,
         status = CASE WHEN status = 'SUSPENDED' THEN 'SUSPENDED' ELSE 'INITIALIZING' END,
         is_populated = false,
         frontier = NULL,
         data_timestamp = NULL,
         needs_reinit = true,
         consecutive_errors = 0,
         delta_sql = NULL,
         cost_model = NULL,
         refresh_reason = 'query replaced',
         updated_at = now()
   WHERE pgt_id = r.pgt_id;
  PERFORM pg_notify('pgtrickle_catalog',
                    json_build_object('op', 'alter', 'pgt_id', r.pgt_id)::text);
END
$fn$;

-- Changes options of a stream table: p holds any of "schedule", "refresh_mode", "cdc_mode"
-- (NULL or absent = unchanged) and "status" ('ACTIVE' resumes, 'SUSPENDED' pauses).
CREATE OR REPLACE FUNCTION pgtrickle._set_options(st regclass, p jsonb)
RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  r pgtrickle.pgt_stream_tables;
  requested text;
  effective text;
  blockers jsonb;
  new_status text;
BEGIN
  PERFORM pgtrickle._authorize(st);
  SELECT * INTO r FROM pgtrickle.pgt_stream_tables WHERE pgt_relid = st FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION '% is not a stream table', st USING ERRCODE = '42809';
  END IF;
  requested := pgtrickle._parse_refresh_mode(coalesce(p->>'refresh_mode',
                                                      r.requested_refresh_mode));
  blockers := CASE WHEN r.differential_blocker IS NULL THEN '[]'::jsonb
                   ELSE jsonb_build_array(r.differential_blocker) END;
  effective := pgtrickle._effective_mode(requested, blockers);
  new_status := CASE upper(btrim(p->>'status'))
                  WHEN 'SUSPENDED' THEN 'SUSPENDED'
                  WHEN 'ACTIVE' THEN CASE WHEN r.is_populated THEN 'ACTIVE'
                                          ELSE 'INITIALIZING' END
                END;
  IF p->>'status' IS NOT NULL AND new_status IS NULL THEN
    RAISE EXCEPTION 'invalid status "%"', p->>'status'
      USING ERRCODE = '22023',
            HINT = 'status can be set to ACTIVE (resume) or SUSPENDED (pause); the worker sets '
                   'INITIALIZING and ERROR.';
  END IF;
  UPDATE pgtrickle.pgt_stream_tables
     SET schedule = CASE WHEN p->>'schedule' IS NOT NULL
                         THEN pgtrickle._parse_schedule(p->>'schedule') ELSE schedule END,
         requested_refresh_mode = requested,
         refresh_mode = effective,
         needs_reinit = needs_reinit OR effective <> r.refresh_mode,
         requested_cdc_mode = CASE WHEN p->>'cdc_mode' IS NOT NULL
                                   THEN pgtrickle._parse_cdc_mode(p->>'cdc_mode')
                                   ELSE requested_cdc_mode END,
         status = coalesce(new_status, status),
         consecutive_errors = CASE WHEN new_status IN ('ACTIVE', 'INITIALIZING') THEN 0
                                   ELSE consecutive_errors END,
         updated_at = now()
   WHERE pgt_id = r.pgt_id;
  PERFORM pg_notify('pgtrickle_catalog',
                    json_build_object('op', 'alter', 'pgt_id', r.pgt_id)::text);
END
$fn$;

-- Removes a stream table from the catalog (the caller drops the storage table).
CREATE OR REPLACE FUNCTION pgtrickle._unregister(st regclass)
RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  id bigint;
  sources oid[];
BEGIN
  PERFORM pgtrickle._authorize(st);
  SELECT pgt_id INTO id FROM pgtrickle.pgt_stream_tables WHERE pgt_relid = st FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION '% is not a stream table', st USING ERRCODE = '42809';
  END IF;
  SELECT array_agg(source_relid::oid) INTO sources
    FROM pgtrickle.pgt_dependencies WHERE pgt_id = id;
  PERFORM pgtrickle._untrack_sources(id, coalesce(sources, '{}'));
  DELETE FROM pgtrickle.pgt_stream_tables WHERE pgt_id = id;
  PERFORM pg_notify('pgtrickle_catalog', json_build_object('op', 'drop', 'pgt_id', id)::text);
END
$fn$;

-- pg_trickle's statistics reset: pg_stat_pgtrickle counts refreshes from now on.
CREATE OR REPLACE FUNCTION pgtrickle.stat_reset(pgt_id bigint)
RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  st regclass;
BEGIN
  SELECT t.pgt_relid INTO st FROM pgtrickle.pgt_stream_tables t WHERE t.pgt_id = stat_reset.pgt_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'stream table with pgt_id % does not exist', pgt_id USING ERRCODE = '42P01';
  END IF;
  PERFORM pgtrickle._authorize(st);
  UPDATE pgtrickle.pgt_stream_tables t SET stats_reset_at = now()
   WHERE t.pgt_id = stat_reset.pgt_id;
END
$fn$;

CREATE OR REPLACE FUNCTION pgtrickle.stat_reset_all()
RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = 'pgtrickle_admin'
                    AND pg_has_role(session_user, r.oid, 'USAGE')) THEN
    RAISE EXCEPTION 'stat_reset_all needs pgtrickle_admin' USING ERRCODE = '42501';
  END IF;
  UPDATE pgtrickle.pgt_stream_tables SET stats_reset_at = now();
END
$fn$;

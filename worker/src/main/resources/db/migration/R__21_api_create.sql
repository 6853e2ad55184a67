-- The SQL front door, part 1: creating stream tables and changing their queries and options.
-- pg_trickle's names, argument names and order. The public functions are SECURITY INVOKER: the
-- query is parsed, planned and privilege-checked as the caller, and the storage table is created
-- by (and owned by) the caller in the caller's schema; only the catalog writes go through the
-- SECURITY DEFINER functions of R__20. Each public function passes the caller's search_path on,
-- since the internal functions run with their own (pg_catalog, pg_temp).

-- Checks a query as the caller and makes a temporary view of it: the parser, the planner and
-- the privilege checks run on it exactly as they would on the query itself (a cursor is opened
-- and closed without fetching, so nothing is evaluated), and errors point into the query
-- (internal position; shifted by query_offset spaces for exec_stream_ddl, so that they point into
-- its statement). Returns pgtrickle._analyze of the view plus "probe" (the view, pg_temp
-- qualified) and "extra_blockers" (output columns without an equality operator).
CREATE OR REPLACE FUNCTION pgtrickle._probe(query text, search_path text, query_offset int)
RETURNS jsonb LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  q text := regexp_replace(query, '[\s;]+$', '');
  probe text := 'pgt_probe_' || md5(random()::text || clock_timestamp()::text);
  c refcursor;
  a jsonb;
  col jsonb;
  extra jsonb := '[]';
BEGIN
  IF btrim(q) = '' THEN
    RAISE EXCEPTION 'the query of a stream table must not be empty' USING ERRCODE = '22023';
  END IF;
  PERFORM set_config('search_path', search_path, true);
  -- One statement only (a cursor refuses several before running any), parsed and planned.
  BEGIN
    OPEN c FOR EXECUTE repeat(' ', coalesce(query_offset, 0)) || q;
    CLOSE c;
  EXCEPTION WHEN invalid_cursor_definition THEN
    RAISE EXCEPTION 'the query of a stream table must be one SELECT statement'
      USING ERRCODE = '42601', DETAIL = SQLERRM;
  END;
  BEGIN
    EXECUTE format(E'CREATE TEMPORARY VIEW %I AS %s\n', probe, q);
  EXCEPTION WHEN syntax_error THEN
    -- It parsed as a statement above, so it is one that is not a query (INSERT ... RETURNING).
    RAISE EXCEPTION 'the query of a stream table must be one SELECT statement'
      USING ERRCODE = '42601', DETAIL = SQLERRM;
  WHEN duplicate_column THEN
    -- The storage is a table: its columns need distinct names. PostgreSQL's message names the
    -- column (SELECT 1, 2 gives two "?column?").
    RAISE EXCEPTION 'the columns of a stream table need distinct names: %', SQLERRM
      USING ERRCODE = '42701',
            HINT = 'Name the select-list entries with AS, e.g. SELECT 1 AS a, 2 AS b: an entry '
                   'without AS is named after its column or function, else "?column?".';
  END;
  PERFORM set_config('search_path', 'pg_catalog, pg_temp', true);
  a := pgtrickle._analyze(format('pg_temp.%I', probe)::regclass);
  -- DIFFERENTIAL matches rows by value: every output column needs an equality operator.
  BEGIN
    OPEN c FOR EXECUTE format('SELECT DISTINCT * FROM pg_temp.%I', probe);
    CLOSE c;
  EXCEPTION WHEN undefined_function THEN
    FOR col IN SELECT x FROM jsonb_array_elements(a->'columns') x LOOP
      BEGIN
        OPEN c FOR EXECUTE format('SELECT DISTINCT %I FROM pg_temp.%I', col->>'name', probe);
        CLOSE c;
      EXCEPTION WHEN undefined_function THEN
        extra := extra || to_jsonb(format('column %s of type %s (no equality operator)',
                                          col->>'name', col->>'type'));
      END;
    END LOOP;
  END;
  RETURN a || jsonb_build_object('probe', format('pg_temp.%I', probe),
                                 'extra_blockers', extra,
                                 'blockers', (a->'blockers') || extra);
END
$fn$;

-- Resolves a stream table by name with the caller's search_path. Returns NULL when missing and
-- missing_ok; raises 42P01 (no such relation) or 42809 (not a stream table) otherwise.
CREATE OR REPLACE FUNCTION pgtrickle._find(name text, search_path text, missing_ok boolean)
RETURNS pgtrickle.pgt_stream_tables LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  rel regclass;
  r pgtrickle.pgt_stream_tables;
BEGIN
  IF name IS NULL OR btrim(name) = '' THEN
    RAISE EXCEPTION 'a stream table name is required' USING ERRCODE = '22023';
  END IF;
  PERFORM set_config('search_path', search_path, true);
  rel := to_regclass(name);
  PERFORM set_config('search_path', 'pg_catalog, pg_temp', true);
  IF rel IS NOT NULL THEN
    SELECT * INTO r FROM pgtrickle.pgt_stream_tables t WHERE t.pgt_relid = rel;
    IF FOUND THEN
      RETURN r;
    END IF;
    RAISE EXCEPTION '"%" is not a stream table', name
      USING ERRCODE = '42809', DETAIL = format('%s is an ordinary relation.', rel);
  END IF;
  IF missing_ok THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION 'stream table "%" does not exist', name USING ERRCODE = '42P01';
END
$fn$;

-- The storage table's user columns (not __pgt_*), in order, as _analyze lists a query's:
-- [{"name", "type"}, ...].
CREATE OR REPLACE FUNCTION pgtrickle._user_columns(st regclass)
RETURNS jsonb LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp AS $fn$
  SELECT coalesce(jsonb_agg(jsonb_build_object('name', attname,
                                               'type', format_type(atttypid, atttypmod))
                            ORDER BY attnum), '[]')
    FROM pg_attribute
   WHERE attrelid = st AND attnum > 0 AND NOT attisdropped AND attname NOT LIKE '\_\_pgt\_%'
$fn$;

-- Whether a stream table no longer matches its query as it reads now (a, from _probe): a source
-- is another relation than the registered one (dropped and created again under the same name),
-- or the query's columns are not the storage's (a source column retyped or widened). The same
-- query text then still needs the stream table rebuilt, as a new query does.
CREATE OR REPLACE FUNCTION pgtrickle._outdated(r pgtrickle.pgt_stream_tables, a jsonb)
RETURNS boolean LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp AS $fn$
  SELECT pgtrickle._user_columns(r.pgt_relid) IS DISTINCT FROM a->'columns'
      OR ARRAY(SELECT DISTINCT (s->>'relid')::oid FROM jsonb_array_elements(a->'sources') s
                ORDER BY 1)
         IS DISTINCT FROM
         ARRAY(SELECT DISTINCT d.source_relid::oid FROM pgtrickle.pgt_dependencies d
                WHERE d.pgt_id = r.pgt_id ORDER BY 1)
$fn$;

-- Makes the storage table's user columns those of the new query: unchanged when names and
-- types are the same in the same order; otherwise every column is dropped, the hidden __pgt_*
-- bookkeeping columns too, the new ones are added in the query's order and the table is emptied
-- (it is repopulated anyway, and the refresh that does it adds the bookkeeping columns again,
-- after the query's: SELECT * keeps the query's order). Runs as the caller, who must own the
-- table; objects that depend on dropped columns stop it (2BP01). Indexes the user created on the
-- storage (not the plan's own <table>__pgt_idx, not one backing a constraint) go with the
-- dropped columns and are created again from their definitions (pg_get_indexdef) on the new
-- columns, on the empty table; one that no longer fits (a column gone from the query, an
-- operator class the new type lacks) is left out with a WARNING naming it and the reason.
-- Returns NULL when the columns were kept, else the indexes left out (an array of
-- {"index", "definition", "error"}; empty when every one was created again): the worker writes
-- them to its log and to the history of the refresh that repopulates the table.
DROP FUNCTION IF EXISTS pgtrickle._reshape(regclass, jsonb);
CREATE FUNCTION pgtrickle._reshape(st regclass, a jsonb)
RETURNS jsonb LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  old jsonb := pgtrickle._user_columns(st);
  stmt text;
  names text[];
  defs text[];
  left_out jsonb := '[]';
BEGIN
  IF old = a->'columns' THEN
    RETURN NULL;
  END IF;
  SELECT array_agg(ic.relname::text ORDER BY ic.relname),
         array_agg(pg_get_indexdef(i.indexrelid) ORDER BY ic.relname) INTO names, defs
    FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
   WHERE i.indrelid = st AND ic.relname !~ '__pgt_idx$'
     AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid);
  SELECT string_agg(x, ', ' ORDER BY k, i) INTO stmt FROM (
    SELECT 0 k, attnum::bigint i, format('DROP COLUMN %I', attname) x FROM pg_attribute
     WHERE attrelid = st AND attnum > 0 AND NOT attisdropped
    UNION ALL
    SELECT 1, i, format('ADD COLUMN %I %s', c->>'name', c->>'type')
      FROM jsonb_array_elements(a->'columns') WITH ORDINALITY e(c, i)) s;
  EXECUTE format('ALTER TABLE %s %s', st, stmt);
  EXECUTE format('TRUNCATE %s', st);
  FOR n IN 1 .. coalesce(array_length(defs, 1), 0) LOOP
    BEGIN
      EXECUTE defs[n];
    EXCEPTION WHEN OTHERS THEN
      RAISE WARNING 'index % not created again on the rebuilt storage of %: %', names[n], st,
        SQLERRM USING DETAIL = defs[n];
      left_out := left_out || jsonb_build_array(jsonb_build_object(
        'index', names[n], 'definition', defs[n], 'error', SQLERRM));
    END;
  END LOOP;
  RETURN left_out;
END
$fn$;

-- Shared by the create functions and exec_stream_ddl. mode: 'create', 'if_not_exists' or
-- 'or_replace'. options: {"schedule", "refresh_mode", "initialize", "cdc_mode", "fillfactor"}
-- (present keys only; NULL values mean the default). Returns true when something was created or
-- replaced, false when an existing stream table was kept.
CREATE OR REPLACE FUNCTION pgtrickle._create(name text, query text, options jsonb, mode text,
                                             search_path text, query_offset int)
RETURNS boolean LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  parts text[];
  nsp text;
  rel text;
  existing regclass;
  st regclass;
  a jsonb;
  ff int;
  p jsonb;
BEGIN
  IF name IS NULL OR btrim(name) = '' THEN
    RAISE EXCEPTION 'a stream table name is required' USING ERRCODE = '22023';
  END IF;
  IF query IS NULL THEN
    RAISE EXCEPTION 'the query of a stream table must not be empty' USING ERRCODE = '22023';
  END IF;
  -- Options first: cheap, and the same errors whatever the query.
  PERFORM pgtrickle._parse_schedule(coalesce(options->>'schedule', 'calculated'));
  PERFORM pgtrickle._parse_refresh_mode(coalesce(options->>'refresh_mode', 'AUTO'));
  PERFORM pgtrickle._parse_cdc_mode(options->>'cdc_mode');
  ff := (options->>'fillfactor')::int;
  IF ff IS NOT NULL AND ff NOT BETWEEN 10 AND 100 THEN
    RAISE EXCEPTION 'fillfactor % is out of range', ff
      USING ERRCODE = '22023', HINT = 'fillfactor is between 10 and 100.';
  END IF;
  parts := parse_ident(name);
  IF cardinality(parts) > 2 THEN
    RAISE EXCEPTION 'improper stream table name "%"', name
      USING ERRCODE = '42601', HINT = 'A stream table is named name or schema.name.';
  END IF;
  PERFORM set_config('search_path', _create.search_path, true);
  nsp := CASE WHEN cardinality(parts) = 2 THEN parts[1] ELSE current_schema() END;
  PERFORM set_config('search_path', 'pg_catalog, pg_temp', true);
  IF nsp IS NULL THEN
    RAISE EXCEPTION 'no schema has been selected to create in' USING ERRCODE = '3F000';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = nsp) THEN
    RAISE EXCEPTION 'schema "%" does not exist', nsp USING ERRCODE = '3F000';
  END IF;
  rel := parts[cardinality(parts)];
  existing := to_regclass(format('%I.%I', nsp, rel));
  IF existing IS NOT NULL THEN
    IF NOT EXISTS (SELECT 1 FROM pgtrickle.pgt_stream_tables t WHERE t.pgt_relid = existing) THEN
      RAISE EXCEPTION 'relation "%" already exists', rel
        USING ERRCODE = '42P07', DETAIL = format('%s is not a stream table.', existing);
    ELSIF mode = 'if_not_exists' THEN
      RAISE NOTICE 'stream table "%" already exists, skipping', rel;
      RETURN false;
    ELSIF mode = 'or_replace' THEN
      PERFORM pgtrickle._alter(existing::text, query, options, _create.search_path,
                               query_offset);
      RETURN true;
    END IF;
    RAISE EXCEPTION 'stream table "%" already exists', rel USING ERRCODE = '42P07';
  END IF;

  a := pgtrickle._probe(query, _create.search_path, query_offset);
  PERFORM pgtrickle._effective_mode(
    pgtrickle._parse_refresh_mode(coalesce(options->>'refresh_mode', 'AUTO')), a->'blockers');
  EXECUTE format('CREATE TABLE %I.%I %s AS SELECT * FROM %s WITH NO DATA', nsp, rel,
                 CASE WHEN ff IS NOT NULL THEN format('WITH (fillfactor = %s)', ff) ELSE '' END,
                 a->>'probe');
  st := format('%I.%I', nsp, rel)::regclass;
  p := jsonb_build_object('schedule', coalesce(options->>'schedule', 'calculated'),
                          'refresh_mode', coalesce(options->>'refresh_mode', 'AUTO'),
                          'initialize', coalesce((options->>'initialize')::boolean, true),
                          'cdc_mode', options->>'cdc_mode',
                          'original_query', query,
                          'search_path', _create.search_path,
                          'extra_blockers', a->'extra_blockers');
  PERFORM pgtrickle._register(st, (a->>'probe')::regclass, p);
  EXECUTE format('DROP VIEW %s', a->>'probe');
  RETURN true;
END
$fn$;

-- Shared by alter_stream_table, create_or_replace_stream_table and exec_stream_ddl. options as
-- for _create plus "status"; NULL values mean unchanged. query NULL: options only.
CREATE OR REPLACE FUNCTION pgtrickle._alter(name text, query text, options jsonb,
                                            search_path text, query_offset int)
RETURNS void LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  r pgtrickle.pgt_stream_tables;
  a jsonb;
BEGIN
  r := pgtrickle._find(name, _alter.search_path, false);
  IF options->>'fillfactor' IS NOT NULL THEN
    RAISE EXCEPTION 'fillfactor cannot be changed by alter_stream_table'
      USING ERRCODE = '0A000',
            HINT = format('ALTER TABLE %s SET (fillfactor = ...)', r.pgt_relid);
  END IF;
  PERFORM pgtrickle._parse_schedule(coalesce(options->>'schedule', 'calculated'));
  IF options->>'refresh_mode' IS NOT NULL THEN
    PERFORM pgtrickle._parse_refresh_mode(options->>'refresh_mode');
  END IF;
  PERFORM pgtrickle._parse_cdc_mode(options->>'cdc_mode');
  IF query IS NOT NULL THEN
    a := pgtrickle._probe(query, _alter.search_path, query_offset);
    PERFORM pgtrickle._effective_mode(
      pgtrickle._parse_refresh_mode(coalesce(options->>'refresh_mode',
                                             r.requested_refresh_mode)),
      a->'blockers');
  END IF;
  IF a->>'query' = r.defining_query AND NOT pgtrickle._outdated(r, a) THEN
    -- The same query (as PostgreSQL deparses it) on the same sources and columns: only options
    -- change, nothing is repopulated.
    EXECUTE format('DROP VIEW %s', a->>'probe');
    query := NULL;
  ELSIF query IS NOT NULL THEN
    PERFORM pgtrickle._reshape(r.pgt_relid, a);
    PERFORM pgtrickle._replace_query(
      r.pgt_relid, (a->>'probe')::regclass,
      jsonb_strip_nulls(jsonb_build_object(
        'schedule', options->>'schedule', 'refresh_mode', options->>'refresh_mode',
        'cdc_mode', options->>'cdc_mode'))
      || jsonb_build_object('original_query', query, 'search_path', _alter.search_path,
                            'extra_blockers', a->'extra_blockers'));
    EXECUTE format('DROP VIEW %s', a->>'probe');
  END IF;
  IF query IS NULL OR options->>'status' IS NOT NULL THEN
    PERFORM pgtrickle._set_options(r.pgt_relid, jsonb_strip_nulls(jsonb_build_object(
      'schedule', options->>'schedule', 'refresh_mode', options->>'refresh_mode',
      'cdc_mode', options->>'cdc_mode', 'status', options->>'status')));
  END IF;
END
$fn$;

CREATE OR REPLACE FUNCTION pgtrickle.create_stream_table(
    name text,
    query text,
    schedule text DEFAULT 'calculated',
    refresh_mode text DEFAULT 'AUTO',
    initialize boolean DEFAULT true,
    diamond_consistency text DEFAULT NULL,
    diamond_schedule_policy text DEFAULT NULL,
    cdc_mode text DEFAULT NULL,
    append_only boolean DEFAULT false,
    pooler_compatibility_mode boolean DEFAULT false,
    partition_by text DEFAULT NULL,
    max_differential_joins integer DEFAULT NULL,
    max_delta_fraction double precision DEFAULT NULL,
    output_distribution_column text DEFAULT NULL,
    temporal boolean DEFAULT false,
    storage_backend text DEFAULT NULL,
    fillfactor integer DEFAULT NULL,
    target_freshness text DEFAULT NULL,
    orchestration_mode text DEFAULT 'MANAGED')
RETURNS void LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
  PERFORM pgtrickle._refuse_unsupported('create_stream_table', pg_catalog.jsonb_build_object(
    'diamond_consistency', diamond_consistency, 'diamond_schedule_policy',
    diamond_schedule_policy, 'append_only', append_only, 'partition_by', partition_by,
    'max_differential_joins', max_differential_joins, 'max_delta_fraction', max_delta_fraction,
    'output_distribution_column', output_distribution_column, 'temporal', temporal,
    'storage_backend', storage_backend, 'target_freshness', target_freshness,
    'orchestration_mode', orchestration_mode));
  PERFORM pgtrickle._create(name, query, pg_catalog.jsonb_build_object(
      'schedule', schedule, 'refresh_mode', refresh_mode, 'initialize', initialize,
      'cdc_mode', cdc_mode, 'fillfactor', fillfactor),
    'create', pg_catalog.current_setting('search_path'), 0);
END
$fn$;

CREATE OR REPLACE FUNCTION pgtrickle.create_stream_table_if_not_exists(
    name text,
    query text,
    schedule text DEFAULT 'calculated',
    refresh_mode text DEFAULT 'AUTO',
    initialize boolean DEFAULT true,
    diamond_consistency text DEFAULT NULL,
    diamond_schedule_policy text DEFAULT NULL,
    cdc_mode text DEFAULT NULL,
    append_only boolean DEFAULT false,
    pooler_compatibility_mode boolean DEFAULT false,
    partition_by text DEFAULT NULL,
    max_differential_joins integer DEFAULT NULL,
    max_delta_fraction double precision DEFAULT NULL,
    output_distribution_column text DEFAULT NULL,
    temporal boolean DEFAULT false,
    storage_backend text DEFAULT NULL,
    fillfactor integer DEFAULT NULL,
    target_freshness text DEFAULT NULL,
    orchestration_mode text DEFAULT 'MANAGED')
RETURNS void LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
  PERFORM pgtrickle._refuse_unsupported('create_stream_table_if_not_exists',
    pg_catalog.jsonb_build_object(
      'diamond_consistency', diamond_consistency, 'diamond_schedule_policy',
      diamond_schedule_policy, 'append_only', append_only, 'partition_by', partition_by,
      'max_differential_joins', max_differential_joins, 'max_delta_fraction', max_delta_fraction,
      'output_distribution_column', output_distribution_column, 'temporal', temporal,
      'storage_backend', storage_backend, 'target_freshness', target_freshness,
      'orchestration_mode', orchestration_mode));
  PERFORM pgtrickle._create(name, query, pg_catalog.jsonb_build_object(
      'schedule', schedule, 'refresh_mode', refresh_mode, 'initialize', initialize,
      'cdc_mode', cdc_mode, 'fillfactor', fillfactor),
    'if_not_exists', pg_catalog.current_setting('search_path'), 0);
END
$fn$;

CREATE OR REPLACE FUNCTION pgtrickle.create_or_replace_stream_table(
    name text,
    query text,
    schedule text DEFAULT 'calculated',
    refresh_mode text DEFAULT 'AUTO',
    initialize boolean DEFAULT true,
    diamond_consistency text DEFAULT NULL,
    diamond_schedule_policy text DEFAULT NULL,
    cdc_mode text DEFAULT NULL,
    append_only boolean DEFAULT false,
    pooler_compatibility_mode boolean DEFAULT false,
    partition_by text DEFAULT NULL,
    max_differential_joins integer DEFAULT NULL,
    max_delta_fraction double precision DEFAULT NULL,
    output_distribution_column text DEFAULT NULL,
    temporal boolean DEFAULT false,
    storage_backend text DEFAULT NULL,
    orchestration_mode text DEFAULT NULL)
RETURNS void LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
  PERFORM pgtrickle._refuse_unsupported('create_or_replace_stream_table',
    pg_catalog.jsonb_build_object(
      'diamond_consistency', diamond_consistency, 'diamond_schedule_policy',
      diamond_schedule_policy, 'append_only', append_only, 'partition_by', partition_by,
      'max_differential_joins', max_differential_joins, 'max_delta_fraction', max_delta_fraction,
      'output_distribution_column', output_distribution_column, 'temporal', temporal,
      'storage_backend', storage_backend, 'orchestration_mode', orchestration_mode));
  PERFORM pgtrickle._create(name, query, pg_catalog.jsonb_build_object(
      'schedule', schedule, 'refresh_mode', refresh_mode, 'initialize', initialize,
      'cdc_mode', cdc_mode),
    'or_replace', pg_catalog.current_setting('search_path'), 0);
END
$fn$;

CREATE OR REPLACE FUNCTION pgtrickle.alter_stream_table(
    name text,
    query text DEFAULT NULL,
    schedule text DEFAULT NULL,
    refresh_mode text DEFAULT NULL,
    status text DEFAULT NULL,
    diamond_consistency text DEFAULT NULL,
    diamond_schedule_policy text DEFAULT NULL,
    cdc_mode text DEFAULT NULL,
    append_only boolean DEFAULT NULL,
    pooler_compatibility_mode boolean DEFAULT NULL,
    tier text DEFAULT NULL,
    fuse text DEFAULT NULL,
    fuse_ceiling bigint DEFAULT NULL,
    fuse_sensitivity integer DEFAULT NULL,
    partition_by text DEFAULT NULL,
    max_differential_joins integer DEFAULT NULL,
    max_delta_fraction double precision DEFAULT NULL,
    post_refresh_action text DEFAULT NULL,
    reindex_drift_threshold double precision DEFAULT NULL,
    target_freshness text DEFAULT NULL)
RETURNS void LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
  PERFORM pgtrickle._refuse_unsupported('alter_stream_table', pg_catalog.jsonb_build_object(
    'diamond_consistency', diamond_consistency, 'diamond_schedule_policy',
    diamond_schedule_policy, 'append_only', append_only, 'tier', tier, 'fuse', fuse,
    'fuse_ceiling', fuse_ceiling, 'fuse_sensitivity', fuse_sensitivity,
    'partition_by', partition_by, 'max_differential_joins', max_differential_joins,
    'max_delta_fraction', max_delta_fraction, 'post_refresh_action', post_refresh_action,
    'reindex_drift_threshold', reindex_drift_threshold, 'target_freshness', target_freshness));
  PERFORM pgtrickle._alter(name, query, pg_catalog.jsonb_build_object(
      'schedule', schedule, 'refresh_mode', refresh_mode, 'cdc_mode', cdc_mode,
      'status', status),
    pg_catalog.current_setting('search_path'), 0);
END
$fn$;

-- Presets (pg_trickle 0.81): realtime = '1s' + DIFFERENTIAL, batch = '5m' + AUTO,
-- cost_optimized = '15m' + AUTO.
CREATE OR REPLACE FUNCTION pgtrickle.create_stream_table_realtime(
    name text, query text, cdc_mode text DEFAULT NULL, append_only boolean DEFAULT false,
    partition_by text DEFAULT NULL, max_differential_joins integer DEFAULT NULL,
    max_delta_fraction double precision DEFAULT NULL)
RETURNS void LANGUAGE sql VOLATILE AS $fn$
  SELECT pgtrickle.create_stream_table(name, query, '1s', 'DIFFERENTIAL', true, NULL, NULL,
    cdc_mode, append_only, false, partition_by, max_differential_joins, max_delta_fraction)
$fn$;

CREATE OR REPLACE FUNCTION pgtrickle.create_stream_table_batch(
    name text, query text, cdc_mode text DEFAULT NULL, append_only boolean DEFAULT false,
    partition_by text DEFAULT NULL, max_differential_joins integer DEFAULT NULL,
    max_delta_fraction double precision DEFAULT NULL)
RETURNS void LANGUAGE sql VOLATILE AS $fn$
  SELECT pgtrickle.create_stream_table(name, query, '5m', 'AUTO', true, NULL, NULL,
    cdc_mode, append_only, false, partition_by, max_differential_joins, max_delta_fraction)
$fn$;

CREATE OR REPLACE FUNCTION pgtrickle.create_stream_table_cost_optimized(
    name text, query text, cdc_mode text DEFAULT NULL, append_only boolean DEFAULT false,
    partition_by text DEFAULT NULL, max_differential_joins integer DEFAULT NULL,
    max_delta_fraction double precision DEFAULT NULL)
RETURNS void LANGUAGE sql VOLATILE AS $fn$
  SELECT pgtrickle.create_stream_table(name, query, '15m', 'AUTO', true, NULL, NULL,
    cdc_mode, append_only, false, partition_by, max_differential_joins, max_delta_fraction)
$fn$;

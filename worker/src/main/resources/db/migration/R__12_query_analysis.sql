-- Validating and analysing a stream table's query, given a temporary view of it made by the
-- caller (so that PostgreSQL resolved the names with the caller's search_path and checked the
-- syntax). Reads catalogs only: nothing of the user's runs here, so SECURITY DEFINER functions
-- may call it.

-- The relations a view reads, through other views, with the columns PostgreSQL records as used:
-- one row per relation. Raises for relations a stream table cannot read (SQLSTATE 0A000).
CREATE OR REPLACE FUNCTION pgtrickle._sources(view_oid oid)
RETURNS TABLE (relid oid, source_type text, columns_used text[])
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  todo oid[] := ARRAY[view_oid];
  done oid[] := '{}';
  v oid;
  r record;
  whole_row boolean := false;
  tree jsonb;
  acc jsonb := '{}';  -- {"<relid>": {"type": ..., "columns": [...]}}
  cols text[];
BEGIN
  WHILE cardinality(todo) > 0 LOOP
    v := todo[1];
    todo := todo[2:];
    CONTINUE WHEN v = ANY (done);
    done := done || v;
    IF cardinality(done) > 64 THEN
      RAISE EXCEPTION 'views nested too deeply under %', view_oid::regclass
        USING ERRCODE = '54000';
    END IF;
    tree := pgtrickle._view_tree(v);
    whole_row := whole_row OR jsonb_path_exists(tree,
      'strict $.**?(@._ == "VAR" && @.varattno == 0)');
    FOR r IN
      SELECT DISTINCT (x->>'relid')::oid AS relid, bool_or(x->>'inh' = 'true') AS inh
        FROM pgtrickle._all_nodes(tree) x
       WHERE x->>'_' = 'RANGETBLENTRY' AND x->>'rtekind' = '0' AND (x->>'relid')::oid <> v
       GROUP BY 1
    LOOP
      DECLARE
        c record;
      BEGIN
        SELECT c2.relkind, c2.relpersistence, c2.relrowsecurity, c2.relispartition,
               c2.relhassubclass, n2.nspname, c2.oid::regclass::text AS name,
               EXISTS (SELECT 1 FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_relid = c2.oid)
                 AS st,
               (SELECT p.inhparent::regclass::text FROM pg_inherits p
                 WHERE p.inhrelid = c2.oid LIMIT 1) AS parent
          INTO STRICT c
          FROM pg_class c2 JOIN pg_namespace n2 ON n2.oid = c2.relnamespace
         WHERE c2.oid = r.relid;
        IF c.nspname IN ('pg_catalog', 'information_schema', 'pg_toast') THEN
          RAISE EXCEPTION 'system catalog % cannot be a source of a stream table', c.name
            USING ERRCODE = '0A000';
        ELSIF c.nspname IN ('pgtrickle', 'pgtrickle_changes') THEN
          RAISE EXCEPTION '% belongs to pg_trickle and cannot be a source of a stream table',
            c.name USING ERRCODE = '0A000';
        END IF;
        CASE c.relkind
        WHEN 'r', 'p' THEN
          IF c.relpersistence = 't' THEN
            RAISE EXCEPTION 'temporary table % cannot be a source of a stream table', c.name
              USING ERRCODE = '0A000',
                    DETAIL = 'The worker runs in its own session and cannot see it.';
          ELSIF c.relpersistence = 'u' THEN
            RAISE EXCEPTION 'unlogged table % cannot be a source of a stream table', c.name
              USING ERRCODE = '0A000',
                    DETAIL = 'Changes are captured from the WAL, which unlogged tables do not write.',
                    HINT = format('ALTER TABLE %s SET LOGGED', c.name);
          ELSIF c.relrowsecurity THEN
            RAISE EXCEPTION 'table % has row-level security and cannot be a source of a stream table',
              c.name USING ERRCODE = '0A000',
                    DETAIL = 'The worker computes one result for every reader of the stream table.';
          ELSIF c.relispartition THEN
            RAISE EXCEPTION 'partition % cannot be a source of a stream table', c.name
              USING ERRCODE = '0A000',
                    DETAIL = 'Changes of partitions are captured as changes of the partitioned table.',
                    HINT = format('Read the partitioned table %s (with a filter).', c.parent);
          ELSIF c.relkind = 'r' AND c.relhassubclass AND r.inh THEN
            RAISE EXCEPTION 'table % has inheritance children, which a stream table cannot read',
              c.name USING ERRCODE = '0A000',
                    HINT = format('Read only the parent: FROM ONLY %s.', c.name);
          END IF;
          acc := acc || jsonb_build_object(r.relid::text,
                   coalesce(acc->(r.relid::text), '{}')
                   || jsonb_build_object('type', CASE WHEN c.st THEN 'STREAM_TABLE'
                                                      ELSE 'TABLE' END));
        WHEN 'v' THEN
          acc := acc || jsonb_build_object(r.relid::text,
                   coalesce(acc->(r.relid::text), '{}') || '{"type": "VIEW"}');
          todo := todo || r.relid;
        WHEN 'm' THEN
          RAISE EXCEPTION 'materialized view % cannot be a source of a stream table', c.name
            USING ERRCODE = '0A000',
                  DETAIL = 'REFRESH MATERIALIZED VIEW produces no change events.',
                  HINT = 'Make it a stream table, or read its sources directly.';
        WHEN 'f' THEN
          RAISE EXCEPTION 'foreign table % cannot be a source of a stream table', c.name
            USING ERRCODE = '0A000', DETAIL = 'Its changes cannot be captured.';
        ELSE
          RAISE EXCEPTION '% (relkind %) cannot be a source of a stream table', c.name, c.relkind
            USING ERRCODE = '0A000';
        END CASE;
      END;
      -- The columns this view's rule uses (all of them after a whole-row reference).
      SELECT array_agg(a.attname::text) INTO cols
        FROM pg_rewrite w
        JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = w.oid
        JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
       WHERE w.ev_class = v AND w.rulename = '_RETURN'
         AND d.refclassid = 'pg_class'::regclass AND d.refobjid = r.relid
         AND d.refobjsubid > 0;
      IF whole_row THEN
        SELECT array_agg(a.attname::text) INTO cols FROM pg_attribute a
         WHERE a.attrelid = r.relid AND a.attnum > 0 AND NOT a.attisdropped;
      END IF;
      acc := acc || jsonb_build_object(r.relid::text,
               acc->(r.relid::text)
               || jsonb_build_object('columns', coalesce(acc->(r.relid::text)->'columns', '[]')
                                                || coalesce(to_jsonb(cols), '[]')));
    END LOOP;
  END LOOP;
  RETURN QUERY
    SELECT e.key::oid, e.value->>'type',
           ARRAY(SELECT DISTINCT c FROM jsonb_array_elements_text(e.value->'columns') c ORDER BY c)
      FROM jsonb_each(acc) e
     ORDER BY e.key::oid;
END
$fn$;

-- Everything the front door needs to know about a query, from a temporary view of it:
--   {"query": PostgreSQL's deparse, every name schema-qualified,
--    "columns": [{"name", "type"}], "sources": [{"relid", "type", "columns"}],
--    "blockers": [constructs preventing DIFFERENTIAL, first = the one reported]}.
-- Raises when the query cannot be a stream table's: non-deterministic (42P17), FOR UPDATE,
-- unreadable sources, no source at all (0A000), reserved column names (42939).
CREATE OR REPLACE FUNCTION pgtrickle._analyze(view_oid oid)
RETURNS jsonb LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  tree jsonb;
  nd record;
  srcs jsonb;
  blockers text[];
  cols jsonb;
  query text;
BEGIN
  tree := pgtrickle._view_tree(view_oid);
  IF tree IS NULL THEN
    RAISE EXCEPTION '% is not a view', view_oid::regclass USING ERRCODE = '42809';
  END IF;
  IF jsonb_path_exists(tree, 'strict $.**?(@._ == "QUERY" && @.hasForUpdate == "true")') THEN
    RAISE EXCEPTION 'FOR UPDATE and FOR SHARE are not allowed in the query of a stream table'
      USING ERRCODE = '0A000';
  END IF;
  SELECT * INTO nd FROM pgtrickle._nondeterministic(tree) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'the query of a stream table must be deterministic, but it uses %', nd.what
      USING ERRCODE = '42P17',
            DETAIL = format('%s is %s: its result can change while the source tables do not, '
                            'so the stream table would drift from its query.',
                            nd.what, nd.volatility),
            HINT = 'Use IMMUTABLE functions and operators only. Expressions that depend on the '
                   'session time zone can name the zone, e.g. date_trunc(''hour'', ts AT TIME '
                   'ZONE ''UTC'').';
  END IF;
  SELECT jsonb_agg(jsonb_build_object('name', a.attname,
                                      'type', format_type(a.atttypid, a.atttypmod))
                   ORDER BY a.attnum)
    INTO cols
    FROM pg_attribute a
   WHERE a.attrelid = view_oid AND a.attnum > 0 AND NOT a.attisdropped;
  IF EXISTS (SELECT 1 FROM jsonb_array_elements(cols) c WHERE c->>'name' LIKE '\_\_pgt\_%') THEN
    RAISE EXCEPTION 'column name "%" is reserved: names starting with __pgt_ are pg_trickle''s '
                    'bookkeeping columns',
      (SELECT c->>'name' FROM jsonb_array_elements(cols) c
        WHERE c->>'name' LIKE '\_\_pgt\_%' LIMIT 1)
      USING ERRCODE = '42939', HINT = 'Rename the column with AS.';
  END IF;
  SELECT coalesce(jsonb_agg(jsonb_build_object('relid', s.relid::bigint, 'type', s.source_type,
                                               'columns', to_jsonb(s.columns_used))
                            ORDER BY s.relid), '[]')
    INTO srcs
    FROM pgtrickle._sources(view_oid) s;
  IF NOT EXISTS (SELECT 1 FROM jsonb_array_elements(srcs) s WHERE s->>'type' <> 'VIEW') THEN
    RAISE EXCEPTION 'the query of a stream table must read at least one table'
      USING ERRCODE = '0A000';
  END IF;
  blockers := pgtrickle._differential_blockers(tree);
  IF EXISTS (SELECT 1 FROM jsonb_array_elements(srcs) s WHERE s->>'type' = 'VIEW') THEN
    blockers := blockers || 'view source'::text;
  END IF;
  IF EXISTS (SELECT 1 FROM jsonb_array_elements(srcs) s WHERE s->>'type' = 'STREAM_TABLE') THEN
    blockers := blockers || 'stream table source'::text;
  END IF;
  -- Deparse with an empty search_path: every relation, function and operator outside pg_catalog
  -- comes out schema-qualified, so the query means the same in the worker's session.
  PERFORM set_config('search_path', '', true);
  query := btrim(pg_get_viewdef(view_oid, false), E' \n\t;');
  PERFORM set_config('search_path', 'pg_catalog, pg_temp', true);
  RETURN jsonb_build_object('query', query, 'columns', cols, 'sources', srcs,
                            'blockers', to_jsonb(blockers));
END
$fn$;

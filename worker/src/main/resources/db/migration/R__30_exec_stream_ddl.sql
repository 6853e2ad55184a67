-- exec_stream_ddl(cmd): seed 000 LT-6's statements as a string, since PostgreSQL has no parser
-- hook. Grammar (keywords case-insensitive, a trailing ; allowed):
--   CREATE [OR REPLACE] STREAM TABLE [IF NOT EXISTS] name [WITH (options)] AS query [WITH (options)]
--   ALTER STREAM TABLE name SET (options)
--   ALTER STREAM TABLE name SET QUERY [AS] query [WITH (options)]
--   DROP STREAM TABLE [IF EXISTS] name [CASCADE | RESTRICT]
--   REFRESH STREAM TABLE name
-- options: key = value, ... with keys schedule, refresh_mode, preset, cdc_mode, initialize,
-- fillfactor (CREATE), status (ALTER). A WITH (...) after the query is never valid SQL there,
-- so it is taken as the statement's options; string literals, quoted identifiers, dollar quotes
-- and comments are skipped while scanning.

-- Tokens of a statement: kind (ident: unquoted, value lower-cased; qident; string; number;
-- punct: one of ( ) , = . ; ; other), value, start (1-based) and end (exclusive) positions.
CREATE OR REPLACE FUNCTION pgtrickle._ddl_tokens(cmd text)
RETURNS TABLE (kind text, val text, start_pos int, end_pos int)
LANGUAGE plpgsql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  ch text[] := regexp_split_to_array(cmd, '');
  n int := coalesce(array_length(regexp_split_to_array(cmd, ''), 1), 0);
  i int := 1;
  j int;
  depth int;
  tag text;
  v text;
  esc boolean;
BEGIN
  IF cmd = '' THEN
    RETURN;
  END IF;
  WHILE i <= n LOOP
    IF ch[i] ~ '\s' THEN
      i := i + 1;
    ELSIF ch[i] = '-' AND i < n AND ch[i + 1] = '-' THEN
      WHILE i <= n AND ch[i] <> E'\n' LOOP
        i := i + 1;
      END LOOP;
    ELSIF ch[i] = '/' AND i < n AND ch[i + 1] = '*' THEN
      j := i + 2;
      depth := 1;
      WHILE j <= n AND depth > 0 LOOP
        IF ch[j] = '/' AND j < n AND ch[j + 1] = '*' THEN
          depth := depth + 1; j := j + 2;
        ELSIF ch[j] = '*' AND j < n AND ch[j + 1] = '/' THEN
          depth := depth - 1; j := j + 2;
        ELSE
          j := j + 1;
        END IF;
      END LOOP;
      IF depth > 0 THEN
        kind := 'error'; val := 'unterminated /* comment'; start_pos := i; end_pos := n + 1;
        RETURN NEXT;
        RETURN;
      END IF;
      i := j;
    ELSIF ch[i] = '''' OR (ch[i] IN ('E', 'e') AND i < n AND ch[i + 1] = '''') THEN
      esc := ch[i] <> '''';
      j := CASE WHEN esc THEN i + 2 ELSE i + 1 END;
      v := '';
      LOOP
        IF j > n THEN
          kind := 'error'; val := 'unterminated quoted string'; start_pos := i;
          end_pos := n + 1;
          RETURN NEXT;
          RETURN;
        ELSIF esc AND ch[j] = '\' AND j < n THEN
          v := v || ch[j] || ch[j + 1]; j := j + 2;
        ELSIF ch[j] = '''' AND j < n AND ch[j + 1] = '''' THEN
          v := v || ''''; j := j + 2;
        ELSIF ch[j] = '''' THEN
          EXIT;
        ELSE
          v := v || ch[j]; j := j + 1;
        END IF;
      END LOOP;
      kind := 'string'; val := v; start_pos := i; end_pos := j + 1;
      RETURN NEXT;
      i := j + 1;
    ELSIF ch[i] = '"' THEN
      j := i + 1;
      v := '';
      LOOP
        IF j > n THEN
          kind := 'error'; val := 'unterminated quoted identifier'; start_pos := i;
          end_pos := n + 1;
          RETURN NEXT;
          RETURN;
        ELSIF ch[j] = '"' AND j < n AND ch[j + 1] = '"' THEN
          v := v || '"'; j := j + 2;
        ELSIF ch[j] = '"' THEN
          EXIT;
        ELSE
          v := v || ch[j]; j := j + 1;
        END IF;
      END LOOP;
      kind := 'qident'; val := v; start_pos := i; end_pos := j + 1;
      RETURN NEXT;
      i := j + 1;
    ELSIF ch[i] = '$' AND substring(array_to_string(ch[i:least(n, i + 64)], '')
                                    FROM '^\$([A-Za-z_][A-Za-z_0-9]*)?\$') IS NOT NULL
          OR ch[i] = '$' AND i < n AND ch[i + 1] = '$' THEN
      tag := substring(array_to_string(ch[i:least(n, i + 64)], '')
                       FROM '^(\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$)');
      j := strpos(array_to_string(ch[i + length(tag):n], ''), tag);
      IF j = 0 THEN
        kind := 'error'; val := 'unterminated dollar-quoted string'; start_pos := i;
        end_pos := n + 1;
        RETURN NEXT;
        RETURN;
      END IF;
      kind := 'string';
      val := substr(array_to_string(ch[i + length(tag):n], ''), 1, j - 1);
      start_pos := i;
      end_pos := i + length(tag) + j - 1 + length(tag);
      RETURN NEXT;
      i := end_pos;
    ELSIF ch[i] ~ '[A-Za-z_]' OR ascii(ch[i]) > 127 THEN
      j := i;
      WHILE j <= n AND (ch[j] ~ '[A-Za-z0-9_$]' OR ascii(ch[j]) > 127) LOOP
        j := j + 1;
      END LOOP;
      kind := 'ident'; val := lower(array_to_string(ch[i:j - 1], ''));
      start_pos := i; end_pos := j;
      RETURN NEXT;
      i := j;
    ELSIF ch[i] ~ '[0-9]' OR (ch[i] = '.' AND i < n AND ch[i + 1] ~ '[0-9]') THEN
      j := i;
      WHILE j <= n AND ch[j] ~ '[0-9.]' LOOP
        j := j + 1;
      END LOOP;
      kind := 'number'; val := array_to_string(ch[i:j - 1], '');
      start_pos := i; end_pos := j;
      RETURN NEXT;
      i := j;
    ELSIF ch[i] IN ('(', ')', ',', '=', '.', ';') THEN
      kind := 'punct'; val := ch[i]; start_pos := i; end_pos := i + 1;
      RETURN NEXT;
      i := i + 1;
    ELSE
      kind := 'other'; val := ch[i]; start_pos := i; end_pos := i + 1;
      RETURN NEXT;
      i := i + 1;
    END IF;
  END LOOP;
END
$fn$;

-- Raises a syntax error (42601) at a position of cmd. PostgreSQL's own parser raises it, on a
-- statement of the same length whose text at pos is cmd's, so the error carries the internal
-- position a client shows (psql: the caret line) and PostgreSQL's wording
-- ('syntax error at or near "..."', 'syntax error at end of input'). The statement ends with
-- the offending token, so nothing after it is ever run; if the parser should accept it, the
-- error is raised here with the position in the message.
CREATE OR REPLACE FUNCTION pgtrickle._ddl_syntax_error(cmd text, pos int, token text)
RETURNS void LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  probe text;
  prefix text;
BEGIN
  IF token IS NULL THEN
    -- End of input: an open parenthesis wants more.
    prefix := CASE WHEN pos - 1 >= 8 THEN 'SELECT (' ELSE NULL END;
    token := '';
  ELSE
    -- Contexts where any further token is a syntax error, and nothing can run: UNLISTEN
    -- (transactional, and this transaction fails anyway) and END (refused in PL/pgSQL).
    prefix := CASE WHEN pos - 1 >= 10 THEN 'UNLISTEN *'
                   WHEN pos - 1 >= 3 THEN 'END' END;
  END IF;
  IF prefix IS NOT NULL THEN
    -- Show the statement's own text in a comment between the prefix and the token.
    IF pos - 1 - length(prefix) >= 4 THEN
      probe := prefix || '/*'
               || translate(substr(cmd, length(prefix) + 3, pos - 1 - length(prefix) - 4),
                            '/*', '  ')
               || '*/';
    ELSE
      probe := rpad(prefix, pos - 1);
    END IF;
    BEGIN
      EXECUTE probe || token;
    EXCEPTION WHEN syntax_error THEN
      RAISE;
    WHEN OTHERS THEN
      NULL;
    END;
  END IF;
  RAISE EXCEPTION 'syntax error at or near "%" (position %)', coalesce(nullif(token, ''), 'end'),
    pos USING ERRCODE = '42601';
END
$fn$;

-- Parses "( key = value, ... )" starting at token index i (the "("). Returns the options as a
-- jsonb object of strings (keys lower-cased) and the index after the ")" in "next".
CREATE OR REPLACE FUNCTION pgtrickle._ddl_options(cmd text, toks jsonb, i int)
RETURNS jsonb LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  opts jsonb := '{}';
  k text;
  t jsonb;
  n int := jsonb_array_length(toks);
BEGIN
  IF i >= n OR toks->i->>'v' <> '(' OR toks->i->>'k' <> 'punct' THEN
    PERFORM pgtrickle._ddl_syntax_error(cmd, coalesce((toks->i->>'s')::int, length(cmd) + 1),
                                        toks->i->>'t');
  END IF;
  i := i + 1;
  LOOP
    t := toks->i;
    IF t IS NULL THEN
      PERFORM pgtrickle._ddl_syntax_error(cmd, length(cmd) + 1, NULL);
    ELSIF t->>'k' NOT IN ('ident', 'qident') THEN
      PERFORM pgtrickle._ddl_syntax_error(cmd, (t->>'s')::int, t->>'t');
    END IF;
    k := t->>'v';
    IF opts ? k THEN
      RAISE EXCEPTION 'option "%" specified more than once', k USING ERRCODE = '42601';
    END IF;
    t := toks->(i + 1);
    IF t IS NULL OR t->>'v' <> '=' OR t->>'k' <> 'punct' THEN
      PERFORM pgtrickle._ddl_syntax_error(cmd, coalesce((t->>'s')::int, length(cmd) + 1),
                                          t->>'t');
    END IF;
    t := toks->(i + 2);
    IF t IS NULL OR t->>'k' NOT IN ('string', 'ident', 'qident', 'number') THEN
      PERFORM pgtrickle._ddl_syntax_error(cmd, coalesce((t->>'s')::int, length(cmd) + 1),
                                          t->>'t');
    END IF;
    opts := opts || jsonb_build_object(k, t->>'v');
    t := toks->(i + 3);
    IF t IS NOT NULL AND t->>'k' = 'punct' AND t->>'v' = ')' THEN
      RETURN jsonb_build_object('options', opts, 'next', i + 4);
    ELSIF t IS NOT NULL AND t->>'k' = 'punct' AND t->>'v' = ',' THEN
      i := i + 4;
    ELSE
      PERFORM pgtrickle._ddl_syntax_error(cmd, coalesce((t->>'s')::int, length(cmd) + 1),
                                          t->>'t');
    END IF;
  END LOOP;
END
$fn$;

-- Options of a statement -> the arguments of the functions. preset expands to schedule and
-- refresh_mode (options given explicitly win); unknown keys are refused (22023), pg_trickle
-- arguments this implementation does not support as well (0A000).
CREATE OR REPLACE FUNCTION pgtrickle._ddl_arguments(opts jsonb, allowed text[])
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  k text;
  preset jsonb;
  unsupported constant text[] := ARRAY['diamond_consistency', 'diamond_schedule_policy',
    'append_only', 'pooler_compatibility_mode', 'partition_by', 'max_differential_joins',
    'max_delta_fraction', 'output_distribution_column', 'temporal', 'storage_backend',
    'target_freshness', 'orchestration_mode', 'tier', 'fuse', 'fuse_ceiling', 'fuse_sensitivity',
    'post_refresh_action', 'reindex_drift_threshold'];
BEGIN
  FOR k IN SELECT jsonb_object_keys(opts) LOOP
    IF k = ANY (unsupported) THEN
      RAISE EXCEPTION 'stream table option "%" is not supported', k USING ERRCODE = '0A000';
    ELSIF NOT k = ANY (allowed) THEN
      RAISE EXCEPTION 'unrecognized stream table option "%"', k
        USING ERRCODE = '22023',
              HINT = 'Options here: ' || array_to_string(allowed, ', ') || '.';
    END IF;
  END LOOP;
  IF opts ? 'preset' THEN
    preset := CASE lower(replace(replace(opts->>'preset', '-', ''), '_', ''))
                WHEN 'realtime' THEN '{"schedule": "1s", "refresh_mode": "DIFFERENTIAL"}'
                WHEN 'batch' THEN '{"schedule": "5m", "refresh_mode": "AUTO"}'
                WHEN 'costoptimized' THEN '{"schedule": "15m", "refresh_mode": "AUTO"}'
              END;
    IF preset IS NULL THEN
      RAISE EXCEPTION 'invalid preset "%"', opts->>'preset'
        USING ERRCODE = '22023', HINT = 'preset is real-time, batch or cost-optimized.';
    END IF;
    opts := preset || (opts - 'preset');
  END IF;
  IF opts ? 'initialize' THEN
    IF lower(opts->>'initialize') NOT IN ('true', 'false', 'on', 'off', 'yes', 'no', '1', '0')
    THEN
      RAISE EXCEPTION 'invalid initialize "%"', opts->>'initialize'
        USING ERRCODE = '22023', HINT = 'initialize is true or false.';
    END IF;
    opts := opts || jsonb_build_object('initialize', (opts->>'initialize')::boolean);
  END IF;
  IF opts ? 'fillfactor' AND opts->>'fillfactor' !~ '^[0-9]{1,3}$' THEN
    RAISE EXCEPTION 'invalid fillfactor "%"', opts->>'fillfactor'
      USING ERRCODE = '22023', HINT = 'fillfactor is an integer from 10 to 100.';
  END IF;
  RETURN opts;
END
$fn$;

CREATE OR REPLACE FUNCTION pgtrickle._exec_stream_ddl(cmd text, search_path text)
RETURNS boolean LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  toks jsonb;
  n int;
  i int := 0;
  verb text;
  mode text := 'create';
  if_exists boolean := false;
  name text;
  opts jsonb := '{}';
  o jsonb;
  q_start int;
  q_end int;
  depth int;
  w int;
  k int;
  cascade boolean := false;
  t jsonb;
BEGIN
  IF cmd IS NULL OR btrim(cmd) = '' THEN
    RAISE EXCEPTION 'exec_stream_ddl needs a statement' USING ERRCODE = '42601';
  END IF;
  SELECT coalesce(jsonb_agg(jsonb_build_object('k', x.kind, 'v', x.val, 's', x.start_pos,
                                               'e', x.end_pos,
                                               't', substr(cmd, x.start_pos,
                                                           x.end_pos - x.start_pos))
                            ORDER BY x.start_pos), '[]')
    INTO toks FROM pgtrickle._ddl_tokens(cmd) x;
  n := jsonb_array_length(toks);
  IF EXISTS (SELECT 1 FROM jsonb_array_elements(toks) e WHERE e->>'k' = 'error') THEN
    -- An unterminated string, quoted identifier or comment: PostgreSQL's lexer says so.
    SELECT e INTO t FROM jsonb_array_elements(toks) e WHERE e->>'k' = 'error';
    PERFORM pgtrickle._ddl_syntax_error(cmd, (t->>'s')::int, substr(cmd, (t->>'s')::int));
    RAISE EXCEPTION '% at position %', t->>'v', t->>'s' USING ERRCODE = '42601';
  END IF;
  -- A trailing semicolon ends the statement; nothing may follow it.
  IF n > 0 AND toks->(n - 1)->>'k' = 'punct' AND toks->(n - 1)->>'v' = ';' THEN
    n := n - 1;
  END IF;

  verb := toks->0->>'v';
  IF toks->0->>'k' <> 'ident' OR verb NOT IN ('create', 'alter', 'drop', 'refresh') THEN
    PERFORM pgtrickle._ddl_syntax_error(cmd, (toks->0->>'s')::int, toks->0->>'t');
  END IF;
  i := 1;
  IF verb = 'create' AND toks->i->>'k' = 'ident' AND toks->i->>'v' = 'or' THEN
    IF toks->(i + 1)->>'v' IS DISTINCT FROM 'replace' OR toks->(i + 1)->>'k' <> 'ident' THEN
      PERFORM pgtrickle._ddl_syntax_error(cmd, coalesce((toks->(i + 1)->>'s')::int,
                                                        length(cmd) + 1), toks->(i + 1)->>'t');
    END IF;
    mode := 'or_replace';
    i := i + 2;
  END IF;
  FOREACH name IN ARRAY ARRAY['stream', 'table'] LOOP
    IF i >= n OR toks->i->>'k' <> 'ident' OR toks->i->>'v' <> name THEN
      PERFORM pgtrickle._ddl_syntax_error(cmd, coalesce((toks->i->>'s')::int, length(cmd) + 1),
                                          CASE WHEN i < n THEN toks->i->>'t' END);
    END IF;
    i := i + 1;
  END LOOP;
  -- IF [NOT] EXISTS
  IF i < n AND toks->i->>'k' = 'ident' AND toks->i->>'v' = 'if' THEN
    IF verb = 'create' AND mode = 'create' AND toks->(i + 1)->>'v' = 'not'
       AND toks->(i + 2)->>'v' = 'exists' THEN
      mode := 'if_not_exists';
      i := i + 3;
    ELSIF verb = 'drop' AND toks->(i + 1)->>'v' = 'exists' THEN
      if_exists := true;
      i := i + 2;
    ELSE
      PERFORM pgtrickle._ddl_syntax_error(cmd, (toks->i->>'s')::int, toks->i->>'t');
    END IF;
  END IF;
  -- name or schema.name
  name := NULL;
  FOR k IN 0..1 LOOP
    t := toks->i;
    IF i >= n OR t->>'k' NOT IN ('ident', 'qident') THEN
      PERFORM pgtrickle._ddl_syntax_error(cmd, coalesce((t->>'s')::int, length(cmd) + 1),
                                          CASE WHEN i < n THEN t->>'t' END);
    END IF;
    name := CASE WHEN name IS NULL THEN '' ELSE name || '.' END || quote_ident(t->>'v');
    i := i + 1;
    EXIT WHEN NOT (i < n AND toks->i->>'k' = 'punct' AND toks->i->>'v' = '.') OR k = 1;
    i := i + 1;
  END LOOP;

  IF verb = 'drop' THEN
    IF i < n AND toks->i->>'k' = 'ident' AND toks->i->>'v' IN ('cascade', 'restrict') THEN
      cascade := toks->i->>'v' = 'cascade';
      i := i + 1;
    END IF;
    IF i < n THEN
      PERFORM pgtrickle._ddl_syntax_error(cmd, (toks->i->>'s')::int, toks->i->>'t');
    END IF;
    RETURN pgtrickle._drop(name, cascade, if_exists, search_path);
  ELSIF verb = 'refresh' THEN
    IF i < n THEN
      PERFORM pgtrickle._ddl_syntax_error(cmd, (toks->i->>'s')::int, toks->i->>'t');
    END IF;
    PERFORM pgtrickle._refresh(name, search_path);
    RETURN true;
  ELSIF verb = 'alter' THEN
    IF i >= n OR toks->i->>'k' <> 'ident' OR toks->i->>'v' <> 'set' THEN
      PERFORM pgtrickle._ddl_syntax_error(cmd, coalesce((toks->i->>'s')::int, length(cmd) + 1),
                                          CASE WHEN i < n THEN toks->i->>'t' END);
    END IF;
    i := i + 1;
    IF i < n AND toks->i->>'k' = 'ident' AND toks->i->>'v' = 'query' THEN
      i := i + 1;
      IF i < n AND toks->i->>'k' = 'ident' AND toks->i->>'v' = 'as' THEN
        i := i + 1;
      END IF;
    ELSE
      o := pgtrickle._ddl_options(cmd, toks, i);
      IF (o->>'next')::int < n THEN
        PERFORM pgtrickle._ddl_syntax_error(cmd, (toks->((o->>'next')::int)->>'s')::int,
                                            toks->((o->>'next')::int)->>'t');
      END IF;
      PERFORM pgtrickle._alter(name, NULL,
        pgtrickle._ddl_arguments(o->'options',
                                 ARRAY['schedule', 'refresh_mode', 'preset', 'cdc_mode',
                                       'status']),
        search_path, 0);
      RETURN true;
    END IF;
  ELSE
    IF i < n AND toks->i->>'k' = 'ident' AND toks->i->>'v' = 'with' THEN
      o := pgtrickle._ddl_options(cmd, toks, i + 1);
      opts := o->'options';
      i := (o->>'next')::int;
    END IF;
    IF i >= n OR toks->i->>'k' <> 'ident' OR toks->i->>'v' <> 'as' THEN
      PERFORM pgtrickle._ddl_syntax_error(cmd, coalesce((toks->i->>'s')::int, length(cmd) + 1),
                                          CASE WHEN i < n THEN toks->i->>'t' END);
    END IF;
    i := i + 1;
  END IF;

  -- The query: from token i to the end, less a trailing WITH ( ... ) at parenthesis depth 0.
  IF i >= n THEN
    PERFORM pgtrickle._ddl_syntax_error(cmd, length(cmd) + 1, NULL);
  END IF;
  q_start := (toks->i->>'s')::int;
  q_end := (toks->(n - 1)->>'e')::int;
  depth := 0;
  w := NULL;
  FOR k IN i..n - 1 LOOP
    t := toks->k;
    IF t->>'k' = 'punct' AND t->>'v' = '(' THEN
      depth := depth + 1;
    ELSIF t->>'k' = 'punct' AND t->>'v' = ')' THEN
      depth := depth - 1;
    ELSIF t->>'k' = 'punct' AND t->>'v' = ';' AND depth = 0 THEN
      PERFORM pgtrickle._ddl_syntax_error(cmd, (t->>'s')::int, t->>'t');
    ELSIF t->>'k' = 'ident' AND t->>'v' = 'with' AND depth = 0 AND k > i
          AND toks->(k + 1)->>'v' = '(' AND toks->(k + 1)->>'k' = 'punct' THEN
      w := k;
    END IF;
  END LOOP;
  IF w IS NOT NULL THEN
    o := pgtrickle._ddl_options(cmd, toks, w + 1);
    IF (o->>'next')::int = n THEN
      IF verb = 'create' AND opts <> '{}' THEN
        RAISE EXCEPTION 'options given both before and after the query'
          USING ERRCODE = '42601', HINT = 'Give one WITH (...) list.';
      END IF;
      opts := opts || (o->'options');
      q_end := (toks->w->>'s')::int;
    END IF;
  END IF;
  IF verb = 'alter' THEN
    PERFORM pgtrickle._alter(name, substr(cmd, q_start, q_end - q_start),
      pgtrickle._ddl_arguments(opts, ARRAY['schedule', 'refresh_mode', 'preset', 'cdc_mode',
                                           'status']),
      search_path, q_start - 1);
    RETURN true;
  END IF;
  RETURN pgtrickle._create(name, substr(cmd, q_start, q_end - q_start),
    pgtrickle._ddl_arguments(opts, ARRAY['schedule', 'refresh_mode', 'preset', 'cdc_mode',
                                         'initialize', 'fillfactor']),
    mode, search_path, q_start - 1);
END
$fn$;

-- seed 000 LT-6's CREATE / ALTER / DROP STREAM TABLE statements as a string. Returns true when
-- the statement did something, false when IF [NOT] EXISTS made it skip (with a NOTICE).
CREATE OR REPLACE FUNCTION pgtrickle.exec_stream_ddl(cmd text)
RETURNS boolean LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
  RETURN pgtrickle._exec_stream_ddl(cmd, pg_catalog.current_setting('search_path'));
END
$fn$;

-- Reading PostgreSQL's own analysis of a query: the query tree a view's rewrite rule stores
-- (pg_rewrite.ev_action, pg_node_tree text), converted to jsonb so that it can be searched with
-- jsonpath. The front door analyses a stream table's query through a temporary view of it: the
-- tree is what the parser made of the query (join types as written, aggregates, sublinks,
-- window functions, LIMIT, set operations, every function and operator with its oid), not a plan.
-- Helpers only; no user code runs here. Repeatable migration: edited in place, Flyway re-applies.

-- pg_node_tree text -> jsonb. Nodes {NAME :field value ...} become {"_": "NAME", "field": value},
-- lists (...) arrays (typed lists (b ..) (i ..) (o ..) (x ..) lose their marker), <> null, numbers
-- numbers, every other token a string with its backslash escapes removed. Const datums
-- ":constvalue 4 [ 1 0 0 0 ]" become their length, 4. Tokens are cut as PostgreSQL's reader does
-- (read.c, pg_strtok): brackets and braces alone, otherwise up to a space, tab, newline or
-- bracket, a backslash taking the next character in; a token that starts and ends with '"' is a
-- string. Double quotes do not end a token: outToken escapes '"' only at the start of a string,
-- so the column a"b is written "a"b" (as PostgreSQL 14-18 do). Names and strings of the query
-- are escaped by PostgreSQL (outToken), so they can never be mistaken for structure.
CREATE OR REPLACE FUNCTION pgtrickle._node_tree_jsonb(tree text)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  toks text[];
  tok text;
  out text[] := '{}';
  kinds text[] := '{}';
  counts int[] := '{}';
  expect_value boolean := false;
  depth int := 0;
  skip_marker boolean := false;
BEGIN
  tree := regexp_replace(tree, ':constvalue (\d+) \[[^\]]*\]', ':constvalue \1', 'g');
  SELECT array_agg(m[1] ORDER BY n) INTO toks
    FROM regexp_matches(tree,
      '(\{[A-Za-z_0-9]+|[{}()]|(?:[^ \n\t{}()\\]|\\.)+)', 'g')
      WITH ORDINALITY AS t(m, n);
  IF toks IS NULL THEN
    RETURN NULL;
  END IF;
  FOREACH tok IN ARRAY toks LOOP
    IF skip_marker THEN
      skip_marker := false;
      IF tok IN ('b', 'i', 'o', 'x') THEN
        CONTINUE;
      END IF;
    END IF;
    IF depth > 0 AND kinds[depth] = 'n' AND NOT expect_value THEN
      IF tok = '}' THEN
        out := out || '}'::text;
        depth := depth - 1;
        kinds := kinds[1:depth];
        counts := counts[1:depth];
        IF depth > 0 THEN
          counts[depth] := counts[depth] + 1;
        END IF;
      ELSE
        out := out || (',' || to_json(substr(tok, 2))::text || ':');
        expect_value := true;
      END IF;
      CONTINUE;
    END IF;
    IF tok = ')' THEN
      out := out || ']'::text;
      depth := depth - 1;
      kinds := kinds[1:depth];
      counts := counts[1:depth];
      IF depth > 0 THEN
        counts[depth] := counts[depth] + 1;
      END IF;
      expect_value := false;
      CONTINUE;
    END IF;
    IF depth > 0 AND kinds[depth] = 'l' AND counts[depth] > 0 THEN
      out := out || ','::text;
    END IF;
    IF left(tok, 1) = '{' THEN
      -- PostgreSQL 14 writes range table entries as RTE, later versions as RANGETBLENTRY.
      out := out || ('{"_":' || to_json(CASE tok WHEN '{RTE' THEN 'RANGETBLENTRY'
                                                 ELSE substr(tok, 2) END)::text);
      depth := depth + 1;
      kinds[depth] := 'n';
      counts[depth] := 0;
    ELSIF tok = '(' THEN
      out := out || '['::text;
      depth := depth + 1;
      kinds[depth] := 'l';
      counts[depth] := 0;
      skip_marker := true;
    ELSE
      IF tok = '<>' THEN
        out := out || 'null'::text;
      ELSIF tok ~ '^-?[0-9]+(\.[0-9]+)?$' THEN
        out := out || tok;
      ELSIF length(tok) > 1 AND left(tok, 1) = '"' AND right(tok, 1) = '"' THEN
        out := out || to_json(regexp_replace(substr(tok, 2, length(tok) - 2), '\\(.)', '\1', 'g'))::text;
      ELSE
        out := out || to_json(regexp_replace(tok, '\\(.)', '\1', 'g'))::text;
      END IF;
      IF depth > 0 THEN
        counts[depth] := counts[depth] + 1;
      END IF;
    END IF;
    expect_value := false;
  END LOOP;
  RETURN array_to_string(out, '')::jsonb;
END
$fn$;

-- The query tree of a view (its _RETURN rule) as jsonb: an array holding one QUERY node.
CREATE OR REPLACE FUNCTION pgtrickle._view_tree(view_oid oid)
RETURNS jsonb LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp AS $fn$
  SELECT pgtrickle._node_tree_jsonb(r.ev_action::text)
    FROM pg_catalog.pg_rewrite r
   WHERE r.ev_class = view_oid AND r.rulename = '_RETURN'
$fn$;

-- Every node (object with "_") of a tree, without descending into nested QUERY nodes (those are
-- returned themselves): the nodes that belong to one query level. The root is included.
CREATE OR REPLACE FUNCTION pgtrickle._level_nodes(tree jsonb)
RETURNS SETOF jsonb LANGUAGE sql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp AS $fn$
  WITH RECURSIVE w(v, top) AS (
    SELECT tree, true
    UNION ALL
    SELECT c.v, false
      FROM w,
           LATERAL (
             SELECT e.value FROM jsonb_each(CASE WHEN jsonb_typeof(w.v) = 'object'
                                                 THEN w.v ELSE '{}'::jsonb END) e
             UNION ALL
             SELECT a.value FROM jsonb_array_elements(CASE WHEN jsonb_typeof(w.v) = 'array'
                                                           THEN w.v ELSE '[]'::jsonb END) a
           ) c(v)
     WHERE jsonb_typeof(c.v) IN ('object', 'array')
       AND (w.top OR jsonb_typeof(w.v) <> 'object' OR w.v->>'_' IS DISTINCT FROM 'QUERY')
  )
  SELECT v FROM w WHERE jsonb_typeof(v) = 'object' AND v ? '_'
$fn$;

-- Every node of a tree, nested queries included.
CREATE OR REPLACE FUNCTION pgtrickle._all_nodes(tree jsonb)
RETURNS SETOF jsonb LANGUAGE sql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp AS $fn$
  SELECT n FROM jsonb_path_query(tree, 'strict $.**') n
   WHERE jsonb_typeof(n) = 'object' AND n ? '_'
$fn$;

-- The result type of an expression node, for the node kinds that carry it (NULL otherwise).
CREATE OR REPLACE FUNCTION pgtrickle._expr_type(node jsonb)
RETURNS oid LANGUAGE sql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp AS $fn$
  SELECT (CASE node->>'_'
            WHEN 'VAR' THEN node->>'vartype'
            WHEN 'CONST' THEN node->>'consttype'
            WHEN 'PARAM' THEN node->>'paramtype'
            WHEN 'FUNCEXPR' THEN node->>'funcresulttype'
            WHEN 'OPEXPR' THEN node->>'opresulttype'
            WHEN 'AGGREF' THEN node->>'aggtype'
            WHEN 'WINDOWFUNC' THEN node->>'wintype'
            WHEN 'RELABELTYPE' THEN node->>'resulttype'
            WHEN 'COERCEVIAIO' THEN node->>'resulttype'
            WHEN 'ARRAYCOERCEEXPR' THEN node->>'resulttype'
            WHEN 'CONVERTROWTYPEEXPR' THEN node->>'resulttype'
            WHEN 'COERCETODOMAIN' THEN node->>'resulttype'
            WHEN 'FIELDSELECT' THEN node->>'resulttype'
            WHEN 'SUBSCRIPTINGREF' THEN node->>'refrestype'
            WHEN 'CASEEXPR' THEN node->>'casetype'
            WHEN 'COALESCEEXPR' THEN node->>'coalescetype'
            WHEN 'MINMAXEXPR' THEN node->>'minmaxtype'
            WHEN 'ARRAYEXPR' THEN node->>'array_typeid'
            WHEN 'ROWEXPR' THEN node->>'row_typeid'
            WHEN 'SQLVALUEFUNCTION' THEN node->>'type'
            WHEN 'COLLATEEXPR' THEN pgtrickle._expr_type(node->'arg')::text
            WHEN 'BOOLEXPR' THEN '16'
            WHEN 'NULLTEST' THEN '16'
            WHEN 'BOOLEANTEST' THEN '16'
            WHEN 'DISTINCTEXPR' THEN '16'
            WHEN 'SCALARARRAYOPEXPR' THEN '16'
          END)::oid
$fn$;

-- What makes a query non-deterministic: functions and operators that are not IMMUTABLE (also
-- those behind casts through text and aggregates' support functions), CURRENT_DATE and the other
-- SQL value functions, nextval of identity columns, TABLESAMPLE. One row per finding, VOLATILE
-- first; what names the construct as a user would recognise it, volatility is VOLATILE/STABLE.
CREATE OR REPLACE FUNCTION pgtrickle._nondeterministic(tree jsonb)
RETURNS TABLE (what text, volatility text) LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp AS $fn$
  WITH n AS (SELECT x FROM pgtrickle._all_nodes(tree) x),
  calls(fn, what) AS (
    SELECT (x->>'funcid')::oid, NULL::text FROM n WHERE x->>'_' = 'FUNCEXPR'
    UNION ALL
    SELECT o.oprcode::oid, 'operator ' || o.oid::regoperator::text
      FROM n JOIN pg_operator o ON o.oid = (x->>'opno')::oid
     WHERE x->>'_' IN ('OPEXPR', 'DISTINCTEXPR', 'NULLIFEXPR', 'SCALARARRAYOPEXPR')
    UNION ALL
    SELECT o.oprcode::oid, 'operator ' || o.oid::regoperator::text
      FROM n, jsonb_array_elements_text(x->'opnos') e(opno)
      JOIN pg_operator o ON o.oid = e.opno::oid
     WHERE x->>'_' = 'ROWCOMPAREEXPR'
    UNION ALL
    SELECT a.f, 'aggregate ' || (x->>'aggfnoid')::oid::regprocedure::text
      FROM n JOIN pg_aggregate g ON g.aggfnoid = (x->>'aggfnoid')::oid,
           LATERAL (VALUES (g.aggfnoid::oid), (g.aggtransfn::oid), (g.aggfinalfn::oid)) a(f)
     WHERE x->>'_' = 'AGGREF' AND a.f <> 0
    UNION ALL
    SELECT (x->>'winfnoid')::oid, NULL FROM n WHERE x->>'_' = 'WINDOWFUNC'
    UNION ALL
    SELECT t.typinput::oid, 'cast to ' || format_type(t.oid, NULL)
      FROM n JOIN pg_type t ON t.oid = (x->>'resulttype')::oid
     WHERE x->>'_' = 'COERCEVIAIO'
    UNION ALL
    SELECT t.typoutput::oid, 'cast from ' || format_type(t.oid, NULL)
      FROM n JOIN pg_type t ON t.oid = pgtrickle._expr_type(x->'arg')
     WHERE x->>'_' = 'COERCEVIAIO'
  )
  SELECT coalesce(c.what || ' (function ' || p.oid::regprocedure::text || ')',
                  'function ' || p.oid::regprocedure::text),
         CASE p.provolatile WHEN 'v' THEN 'VOLATILE' ELSE 'STABLE' END
    FROM calls c JOIN pg_proc p ON p.oid = c.fn
   WHERE p.provolatile <> 'i'
  UNION ALL
  SELECT (ARRAY['CURRENT_DATE', 'CURRENT_TIME', 'CURRENT_TIME', 'CURRENT_TIMESTAMP',
                'CURRENT_TIMESTAMP', 'LOCALTIME', 'LOCALTIME', 'LOCALTIMESTAMP',
                'LOCALTIMESTAMP', 'CURRENT_ROLE', 'CURRENT_USER', 'USER', 'SESSION_USER',
                'CURRENT_CATALOG', 'CURRENT_SCHEMA'])[(x->>'op')::int + 1],
         'STABLE'
    FROM n WHERE x->>'_' = 'SQLVALUEFUNCTION'
  UNION ALL
  SELECT 'an identity column''s nextval', 'VOLATILE' FROM n WHERE x->>'_' = 'NEXTVALUEEXPR'
  UNION ALL
  SELECT 'TABLESAMPLE', 'VOLATILE'
    FROM n WHERE x->>'_' = 'RANGETBLENTRY' AND jsonb_typeof(x->'tablesample') = 'object'
  ORDER BY 2 DESC, 1
$fn$;

-- The rtindexes a FROM item covers (its base RTEs and its joins), at its own query level.
CREATE OR REPLACE FUNCTION pgtrickle._rtindexes(item jsonb)
RETURNS int[] LANGUAGE sql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp AS $fn$
  SELECT coalesce(array_agg((x->>'rtindex')::int), '{}')
    FROM pgtrickle._level_nodes(item) x
   WHERE x->>'_' IN ('RANGETBLREF', 'JOINEXPR') AND x->>'rtindex' IS NOT NULL
$fn$;

-- The AND-ed conjuncts of a qualification (NULL or a single expression give 0 or 1 items).
CREATE OR REPLACE FUNCTION pgtrickle._conjuncts(quals jsonb)
RETURNS SETOF jsonb LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp AS $fn$
  SELECT CASE WHEN quals->>'_' = 'BOOLEXPR' AND quals->>'boolop' = 'and' THEN a.value ELSE quals END
    FROM (SELECT quals) q
    LEFT JOIN LATERAL jsonb_array_elements(
           CASE WHEN quals->>'_' = 'BOOLEXPR' AND quals->>'boolop' = 'and'
                THEN quals->'args' ELSE '[null]'::jsonb END) a ON true
   WHERE quals IS NOT NULL AND jsonb_typeof(quals) = 'object'
$fn$;

-- The pairs of range table entries an equality between two columns of this query level joins:
-- conjuncts "a.x = b.y" (operator named =, both sides plain columns, possibly relabeled).
CREATE OR REPLACE FUNCTION pgtrickle._equi_pairs(quals jsonb)
RETURNS TABLE (l int, r int) LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp AS $fn$
  WITH c AS (SELECT x FROM pgtrickle._conjuncts(quals) x WHERE x->>'_' = 'OPEXPR'),
  args AS (
    SELECT c.x,
           CASE WHEN c.x->'args'->0->>'_' = 'RELABELTYPE' THEN c.x->'args'->0->'arg'
                ELSE c.x->'args'->0 END AS a,
           CASE WHEN c.x->'args'->1->>'_' = 'RELABELTYPE' THEN c.x->'args'->1->'arg'
                ELSE c.x->'args'->1 END AS b
      FROM c
  )
  SELECT (a->>'varno')::int, (b->>'varno')::int
    FROM args JOIN pg_operator o ON o.oid = (args.x->>'opno')::oid
   WHERE o.oprname = '='
     AND a->>'_' = 'VAR' AND b->>'_' = 'VAR'
     AND (a->>'varlevelsup')::int = 0 AND (b->>'varlevelsup')::int = 0
     AND a->>'varno' <> b->>'varno'
$fn$;

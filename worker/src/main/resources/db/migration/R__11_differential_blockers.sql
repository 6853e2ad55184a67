-- Which constructs of a query prevent DIFFERENTIAL maintenance (issue #13 section 1), read from
-- the query tree. Supported: projection and filter (CASE included), inner equi-joins of up to 4
-- FROM items, LEFT JOIN, GROUP BY with COUNT(*)/COUNT(col)/SUM/AVG/MIN/MAX (FILTER, HAVING),
-- scalar aggregates, DISTINCT, UNION ALL, subqueries in FROM built from these, ORDER BY without
-- LIMIT (ignored). Everything else is named by one of the construct names below, which
-- worker/src/test/resources/query-shapes.tsv uses as verdicts. The first blocker in this order
-- is the one reported.

CREATE OR REPLACE FUNCTION pgtrickle._differential_blockers(tree jsonb)
RETURNS text[] LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  q jsonb;
  items jsonb;
  n int;
  comp int[];
  found record;
  k int;
  j int;
  a int;
  b int;
  found_list text[] := '{}';
  agg text;
  pri int[] := '{}';
BEGIN
  FOR q IN SELECT x FROM pgtrickle._all_nodes(tree) x WHERE x->>'_' = 'QUERY' LOOP
    -- Query-level flags.
    IF q->>'hasRecursive' = 'true' THEN
      found_list := found_list || text 'recursive CTE'; pri := pri || 20;
    ELSIF jsonb_typeof(q->'cteList') = 'array' THEN
      found_list := found_list || text 'WITH query (CTE)'; pri := pri || 21;
    END IF;
    IF q->>'hasWindowFuncs' = 'true' THEN
      found_list := found_list || text 'window function'; pri := pri || 30;
    END IF;
    IF jsonb_typeof(q->'limitCount') = 'object' THEN
      found_list := found_list || text 'LIMIT'; pri := pri || 40;
    END IF;
    IF jsonb_typeof(q->'limitOffset') = 'object' THEN
      found_list := found_list || text 'OFFSET'; pri := pri || 41;
    END IF;
    IF q->>'hasDistinctOn' = 'true' THEN
      found_list := found_list || text 'DISTINCT ON'; pri := pri || 50;
    END IF;
    IF jsonb_typeof(q->'groupingSets') = 'array' THEN
      found_list := found_list || text 'GROUPING SETS'; pri := pri || 51;
    END IF;
    IF q->>'hasTargetSRFs' = 'true' THEN
      found_list := found_list || text 'set-returning function'; pri := pri || 60;
    END IF;

    -- Nodes of this query level.
    FOR found IN
      SELECT x FROM pgtrickle._level_nodes(q) x
       WHERE x->>'_' IN ('SETOPERATIONSTMT', 'RANGETBLENTRY', 'SUBLINK', 'JOINEXPR', 'AGGREF')
    LOOP
      CASE found.x->>'_'
      WHEN 'SETOPERATIONSTMT' THEN
        IF NOT (found.x->>'op' = '1' AND found.x->>'all' = 'true') THEN
          found_list := found_list
            || ((ARRAY['UNION', 'INTERSECT', 'EXCEPT'])[(found.x->>'op')::int]
                || CASE WHEN found.x->>'all' = 'true' THEN ' ALL' ELSE '' END);
          pri := pri || 10;
        END IF;
      WHEN 'RANGETBLENTRY' THEN
        IF found.x->>'rtekind' = '3' THEN
          found_list := found_list || text 'set-returning function'; pri := pri || 60;
        ELSIF found.x->>'rtekind' = '4' THEN
          found_list := found_list || text 'XMLTABLE or JSON_TABLE'; pri := pri || 61;
        ELSIF found.x->>'rtekind' = '5' THEN
          found_list := found_list || text 'VALUES list'; pri := pri || 62;
        END IF;
        IF found.x->>'lateral' = 'true' THEN
          found_list := found_list || text 'LATERAL'; pri := pri || 71;
        END IF;
      WHEN 'SUBLINK' THEN
        IF jsonb_path_exists(found.x->'subselect',
             'strict $.**?(@._ == "VAR" && @.varlevelsup >= 1)')
           OR jsonb_path_exists(found.x->'subselect',
             'strict $.**?(@._ == "AGGREF" && @.agglevelsup >= 1)') THEN
          found_list := found_list || text 'correlated subquery'; pri := pri || 70;
        ELSE
          found_list := found_list
            || (ARRAY['EXISTS subquery', 'ALL subquery', 'IN subquery', 'row comparison subquery',
                      'scalar subquery', 'multiple-assignment subquery', 'ARRAY subquery',
                      'CTE subquery'])[(found.x->>'subLinkType')::int + 1];
          pri := pri || 72;
        END IF;
      WHEN 'JOINEXPR' THEN
        IF found.x->>'jointype' = '2' THEN
          found_list := found_list || text 'FULL JOIN'; pri := pri || 80;
        ELSIF found.x->>'jointype' = '3' THEN
          found_list := found_list || text 'RIGHT JOIN'; pri := pri || 81;
        ELSIF found.x->>'jointype' IN ('0', '1') THEN
          IF jsonb_typeof(found.x->'quals') IS DISTINCT FROM 'object' THEN
            found_list := found_list || text 'cross join'; pri := pri || 82;
          ELSIF NOT EXISTS (
                  SELECT 1 FROM pgtrickle._equi_pairs(found.x->'quals') e
                   WHERE e.l = ANY (pgtrickle._rtindexes(found.x->'larg'))
                     AND e.r = ANY (pgtrickle._rtindexes(found.x->'rarg'))
                      OR e.r = ANY (pgtrickle._rtindexes(found.x->'larg'))
                     AND e.l = ANY (pgtrickle._rtindexes(found.x->'rarg'))) THEN
            found_list := found_list || text 'non-equi join'; pri := pri || 83;
          END IF;
        END IF;
      WHEN 'AGGREF' THEN
        IF found.x->>'aggkind' IS DISTINCT FROM 'n' THEN
          found_list := found_list || text 'ordered-set aggregate'; pri := pri || 90;
        ELSIF jsonb_typeof(found.x->'aggdistinct') = 'array' THEN
          found_list := found_list || text 'DISTINCT aggregate'; pri := pri || 91;
        ELSIF jsonb_typeof(found.x->'aggorder') = 'array' THEN
          found_list := found_list || text 'ORDER BY in aggregate'; pri := pri || 92;
        ELSE
          agg := NULL;
          SELECT CASE WHEN p.pronamespace = 'pg_catalog'::regnamespace
                       AND p.proname IN ('count', 'sum', 'avg', 'min', 'max')
                      THEN NULL
                      ELSE 'aggregate ' || CASE WHEN p.pronamespace = 'pg_catalog'::regnamespace
                                                THEN p.proname::text
                                                ELSE p.oid::regproc::text END
                 END INTO agg
            FROM pg_proc p WHERE p.oid = (found.x->>'aggfnoid')::oid;
          IF agg IS NOT NULL THEN
            found_list := found_list || agg; pri := pri || 93;
          END IF;
        END IF;
      ELSE
        NULL;
      END CASE;
    END LOOP;

    -- FROM items joined with commas must be connected by equalities in WHERE.
    items := q->'jointree'->'fromlist';
    n := coalesce(jsonb_array_length(CASE WHEN jsonb_typeof(items) = 'array' THEN items END), 0);
    IF n > 1 THEN
      comp := '{}';
      FOR k IN 1..n LOOP
        comp := comp || k;
      END LOOP;
      FOR found IN SELECT * FROM pgtrickle._equi_pairs(q->'jointree'->'quals') LOOP
        a := NULL;
        b := NULL;
        FOR k IN 1..n LOOP
          IF found.l = ANY (pgtrickle._rtindexes(items->(k - 1))) THEN a := k; END IF;
          IF found.r = ANY (pgtrickle._rtindexes(items->(k - 1))) THEN b := k; END IF;
        END LOOP;
        IF a IS NOT NULL AND b IS NOT NULL AND comp[a] <> comp[b] THEN
          j := comp[b];
          FOR k IN 1..n LOOP
            IF comp[k] = j THEN comp[k] := comp[a]; END IF;
          END LOOP;
        END IF;
      END LOOP;
      IF (SELECT count(DISTINCT c) FROM unnest(comp) c) > 1 THEN
        found_list := found_list || text 'cross join'; pri := pri || 82;
      END IF;
    END IF;
    -- At most 4 tables joined in one FROM.
    IF (SELECT count(*) FROM pgtrickle._level_nodes(q->'jointree') x
         WHERE x->>'_' = 'RANGETBLREF') > 4 THEN
      found_list := found_list || text 'join of more than 4 tables'; pri := pri || 84;
    END IF;
  END LOOP;
  RETURN ARRAY(SELECT u.nm FROM unnest(found_list, pri) u(nm, pr)
                GROUP BY u.nm ORDER BY min(u.pr), u.nm);
END
$fn$;

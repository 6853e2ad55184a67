-- Parsing the options of a stream table: schedule, refresh_mode, cdc_mode, and refusing the
-- pg_trickle arguments this implementation accepts in its signatures but does not implement.

-- One cron field: a comma list of *, N, A-B, */S, A-B/S (names JAN-DEC, SUN-SAT where given),
-- returned upper-cased. Raises 22023 naming the field.
CREATE OR REPLACE FUNCTION pgtrickle._cron_field(field text, what text, lo int, hi int,
                                                 names text[], name_base int)
RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  item text;
  m text[];
  a int;
  b int;
  v text;
  vals int[];
BEGIN
  FOREACH item IN ARRAY string_to_array(upper(field), ',') LOOP
    m := regexp_match(item, '^(\*|([0-9]+|[A-Z]{3})(-([0-9]+|[A-Z]{3}))?)(/([0-9]+))?$');
    IF m IS NULL THEN
      RAISE EXCEPTION 'invalid % field "%" in cron schedule', what, field
        USING ERRCODE = '22023',
              HINT = 'A field is *, a value, a range A-B, a step */S or A-B/S, or a comma list.';
    END IF;
    IF m[1] <> '*' THEN
      vals := '{}';
      FOREACH v IN ARRAY ARRAY[m[2], m[4]] LOOP
        CONTINUE WHEN v IS NULL;
        IF v ~ '^[0-9]+$' THEN
          vals := vals || (CASE WHEN length(v) > 6 THEN 1000000 ELSE v::int END);
        ELSIF array_position(names, v) IS NOT NULL THEN
          vals := vals || (array_position(names, v) - 1 + name_base);
        ELSE
          RAISE EXCEPTION 'invalid % "%" in cron schedule', what, v USING ERRCODE = '22023';
        END IF;
      END LOOP;
      a := vals[1];
      b := coalesce(vals[2], vals[1]);
      IF a < lo OR b > hi OR a > b THEN
        RAISE EXCEPTION '% "%" out of range in cron schedule: allowed % to %', what, item, lo, hi
          USING ERRCODE = '22023';
      END IF;
      IF m[6] IS NOT NULL AND m[4] IS NULL THEN
        RAISE EXCEPTION 'invalid % field "%" in cron schedule: a step needs * or a range',
          what, item USING ERRCODE = '22023';
      END IF;
    END IF;
    IF m[6] IS NOT NULL AND (length(m[6]) > 6 OR m[6]::int < 1 OR m[6]::int > hi) THEN
      RAISE EXCEPTION 'invalid step in % field "%" of cron schedule', what, item
        USING ERRCODE = '22023';
    END IF;
  END LOOP;
  RETURN upper(field);
END
$fn$;

-- A schedule as stored in pgt_stream_tables.schedule: NULL for 'calculated' (and for NULL),
-- a duration normalized to lower case without spaces ('1h30m'), an @macro in lower case, or a
-- cron expression of 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first)
-- with single spaces and upper-case names. Raises 22023 naming what is wrong. Durations shorter
-- than the setting pg_trickle.min_schedule_seconds (default 1) are refused.
CREATE OR REPLACE FUNCTION pgtrickle._parse_schedule(schedule text)
RETURNS text LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  s text := btrim(schedule);
  norm text;
  secs numeric;
  min_secs numeric;
  f text[];
  hint constant text := 'A schedule is a duration (''30s'', ''5m'', ''1h30m''; units s m h d w), '
    'a cron expression (5 fields, or 6 with seconds first; or @hourly, @daily, @weekly, '
    '@monthly, @yearly) or ''calculated''.';
  months constant text[] := ARRAY['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP',
                                  'OCT', 'NOV', 'DEC'];
  days constant text[] := ARRAY['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
BEGIN
  IF schedule IS NULL OR lower(s) = 'calculated' THEN
    RETURN NULL;
  END IF;
  IF s ~* '^([0-9]{1,9}\s*[smhdw]\s*)+$' THEN
    norm := lower(regexp_replace(s, '\s', '', 'g'));
    SELECT sum(m[1]::numeric * CASE m[2] WHEN 's' THEN 1 WHEN 'm' THEN 60 WHEN 'h' THEN 3600
                                          WHEN 'd' THEN 86400 ELSE 604800 END)
      INTO secs FROM regexp_matches(norm, '([0-9]+)([smhdw])', 'g') m;
    BEGIN
      min_secs := coalesce(nullif(current_setting('pg_trickle.min_schedule_seconds', true), ''),
                           '1')::numeric;
    EXCEPTION WHEN invalid_text_representation THEN
      min_secs := 1;
    END;
    IF secs < min_secs THEN
      RAISE EXCEPTION 'schedule "%" is shorter than pg_trickle.min_schedule_seconds (% s)',
        schedule, min_secs USING ERRCODE = '22023';
    END IF;
    RETURN norm;
  END IF;
  IF left(s, 1) = '@' THEN
    IF lower(s) IN ('@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight',
                    '@hourly') THEN
      RETURN lower(s);
    END IF;
    RAISE EXCEPTION 'invalid schedule "%"', schedule USING ERRCODE = '22023', HINT = hint;
  END IF;
  f := regexp_split_to_array(s, '\s+');
  IF s = '' OR s !~ '^[0-9A-Za-z*,/ \t-]+$' OR cardinality(f) NOT IN (5, 6) THEN
    RAISE EXCEPTION 'invalid schedule "%"', schedule USING ERRCODE = '22023', HINT = hint;
  END IF;
  IF cardinality(f) = 6 THEN
    f[1] := pgtrickle._cron_field(f[1], 'second', 0, 59, '{}', 0);
  END IF;
  f[cardinality(f) - 4] := pgtrickle._cron_field(f[cardinality(f) - 4], 'minute', 0, 59, '{}', 0);
  f[cardinality(f) - 3] := pgtrickle._cron_field(f[cardinality(f) - 3], 'hour', 0, 23, '{}', 0);
  f[cardinality(f) - 2] := pgtrickle._cron_field(f[cardinality(f) - 2], 'day of month', 1, 31,
                                                 '{}', 1);
  f[cardinality(f) - 1] := pgtrickle._cron_field(f[cardinality(f) - 1], 'month', 1, 12, months, 1);
  f[cardinality(f)] := pgtrickle._cron_field(f[cardinality(f)], 'day of week', 0, 7, days, 0);
  RETURN array_to_string(f, ' ');
END
$fn$;

-- The seconds between refreshes of a duration schedule (NULL for cron and 'calculated').
CREATE OR REPLACE FUNCTION pgtrickle._schedule_interval(schedule text)
RETURNS interval LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp AS $fn$
  SELECT make_interval(secs => sum(m[1]::numeric * CASE m[2] WHEN 's' THEN 1 WHEN 'm' THEN 60
                                                  WHEN 'h' THEN 3600 WHEN 'd' THEN 86400
                                                  ELSE 604800 END)::float8)
    FROM regexp_matches(schedule, '([0-9]+)([smhdw])', 'g') m
   WHERE schedule ~ '^([0-9]+[smhdw])+$'
  HAVING count(*) > 0
$fn$;

-- refresh_mode, case-insensitive: AUTO | FULL | DIFFERENTIAL. IMMEDIATE is refused (0A000).
CREATE OR REPLACE FUNCTION pgtrickle._parse_refresh_mode(mode text)
RETURNS text LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  IF upper(btrim(mode)) IN ('AUTO', 'FULL', 'DIFFERENTIAL') THEN
    RETURN upper(btrim(mode));
  ELSIF upper(btrim(mode)) = 'IMMEDIATE' THEN
    RAISE EXCEPTION 'refresh_mode IMMEDIATE is not supported'
      USING ERRCODE = '0A000',
            DETAIL = 'The worker refreshes stream tables from the change log after the source '
                     'transaction commits; it cannot update them inside that transaction.',
            HINT = 'Use DIFFERENTIAL (or AUTO) with a short schedule, e.g. schedule => ''1s''.';
  END IF;
  RAISE EXCEPTION 'invalid refresh_mode "%"', mode
    USING ERRCODE = '22023', HINT = 'refresh_mode is AUTO, FULL or DIFFERENTIAL.';
END
$fn$;

-- cdc_mode: NULL (default), auto, wal or external all mean the cdc-consumer's logical
-- replication; trigger is refused (0A000).
CREATE OR REPLACE FUNCTION pgtrickle._parse_cdc_mode(mode text)
RETURNS text LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  IF mode IS NULL THEN
    RETURN NULL;
  ELSIF lower(btrim(mode)) IN ('auto', 'wal', 'external') THEN
    RETURN lower(btrim(mode));
  ELSIF lower(btrim(mode)) = 'trigger' THEN
    RAISE EXCEPTION 'cdc_mode trigger is not supported'
      USING ERRCODE = '0A000',
            DETAIL = 'Changes are captured by the cdc-consumer from logical replication.',
            HINT = 'Leave cdc_mode unset, or use auto, wal or external.';
  END IF;
  RAISE EXCEPTION 'invalid cdc_mode "%"', mode
    USING ERRCODE = '22023', HINT = 'cdc_mode is auto, wal or external.';
END
$fn$;

-- Refuses (0A000) every argument of pg_trickle's signature this implementation does not
-- implement when it is given a value other than its default. args: {"argument": value, ...}.
CREATE OR REPLACE FUNCTION pgtrickle._refuse_unsupported(fn text, args jsonb)
RETURNS void LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  a record;
BEGIN
  FOR a IN SELECT key, value FROM jsonb_each(args) ORDER BY key LOOP
    CONTINUE WHEN a.value = 'null'::jsonb OR a.value = 'false'::jsonb;
    CONTINUE WHEN a.key = 'orchestration_mode' AND upper(a.value #>> '{}') = 'MANAGED';
    RAISE EXCEPTION '%: argument % is not supported', fn, a.key
      USING ERRCODE = '0A000',
            DETAIL = format('%s => %s was given; this pg_trickle implementation accepts the '
                            'argument for compatibility only with its default value.',
                            a.key, a.value #>> '{}');
  END LOOP;
END
$fn$;

-- Runs after every migrate, i.e. at every worker start (Flyway callback), also when nothing was
-- pending: the roles and privileges of the SQL API (roles are per server, so a restore into
-- another server needs them again), and the restore check.
--
--   pgtrickle_reader   read the catalog and the monitoring views, explain_stream_table
--   pgtrickle_operator + create, alter, drop, refresh, pause and resume stream tables
--                        (of tables the user owns; see worker/README.md)
--   pgtrickle_admin    + manage every stream table, write the catalog tables directly
-- Roles are created when missing if the worker's role may (CREATEROLE); otherwise a WARNING
-- says what to run, and the grants to missing roles are skipped.

DO $do$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['pgtrickle_reader', 'pgtrickle_operator', 'pgtrickle_admin'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
      BEGIN
        EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
      EXCEPTION
        WHEN duplicate_object OR unique_violation THEN
          NULL;
        WHEN insufficient_privilege THEN
          RAISE WARNING 'pgtrickle: role % is missing and % may not create it', r, current_user
            USING HINT = pg_catalog.format('A superuser can run: CREATE ROLE %I NOLOGIN', r);
      END;
    END IF;
  END LOOP;
  BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'pgtrickle_operator') THEN
      IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'pgtrickle_reader')
         AND NOT pg_catalog.pg_has_role('pgtrickle_operator', 'pgtrickle_reader', 'MEMBER') THEN
        GRANT pgtrickle_reader TO pgtrickle_operator;
      END IF;
      IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'pgtrickle_admin')
         AND NOT pg_catalog.pg_has_role('pgtrickle_admin', 'pgtrickle_operator', 'MEMBER') THEN
        GRANT pgtrickle_operator TO pgtrickle_admin;
      END IF;
    END IF;
  EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'pgtrickle: cannot grant the pgtrickle roles to each other'
      USING HINT = 'A superuser can run: GRANT pgtrickle_reader TO pgtrickle_operator; '
                   'GRANT pgtrickle_operator TO pgtrickle_admin;';
  END;

  -- Functions: nobody by default; SECURITY DEFINER ones authorize their callers themselves.
  REVOKE ALL ON ALL FUNCTIONS IN SCHEMA pgtrickle FROM PUBLIC;
  REVOKE ALL ON SCHEMA pgtrickle_changes FROM PUBLIC;
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'pgtrickle_reader') THEN
    GRANT USAGE ON SCHEMA pgtrickle TO pgtrickle_reader;
    GRANT SELECT ON ALL TABLES IN SCHEMA pgtrickle TO pgtrickle_reader;
    GRANT EXECUTE ON FUNCTION pgtrickle.explain_stream_table(text), pgtrickle._explain(text, text),
      pgtrickle._find(text, text, boolean), pgtrickle._schedule_interval(text),
      pgtrickle._upstream_blocked(bigint)
      TO pgtrickle_reader;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'pgtrickle_operator') THEN
    GRANT USAGE ON SCHEMA pgtrickle TO pgtrickle_operator;
    GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pgtrickle TO pgtrickle_operator;
    REVOKE EXECUTE ON FUNCTION pgtrickle.stat_reset_all(), pgtrickle._check_instance()
      FROM pgtrickle_operator;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'pgtrickle_admin') THEN
    GRANT ALL ON ALL TABLES IN SCHEMA pgtrickle TO pgtrickle_admin;
    GRANT ALL ON ALL SEQUENCES IN SCHEMA pgtrickle TO pgtrickle_admin;
    GRANT EXECUTE ON FUNCTION pgtrickle.stat_reset_all() TO pgtrickle_admin;
    REVOKE ALL ON TABLE pgtrickle.flyway_schema_history, pgtrickle.pgt_instance
      FROM pgtrickle_admin;
    GRANT SELECT ON TABLE pgtrickle.flyway_schema_history, pgtrickle.pgt_instance
      TO pgtrickle_admin;
  END IF;
END
$do$;

-- Event triggers (R__60) where the worker's role is a superuser.
DO $do$
BEGIN
  IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger WHERE evtname = 'pgtrickle_sql_drop')
    THEN
      CREATE EVENT TRIGGER pgtrickle_sql_drop ON sql_drop
        EXECUTE FUNCTION pgtrickle._on_sql_drop();
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger WHERE evtname = 'pgtrickle_ddl_end')
    THEN
      CREATE EVENT TRIGGER pgtrickle_ddl_end ON ddl_command_end
        WHEN TAG IN ('ALTER TABLE', 'ALTER SCHEMA')
        EXECUTE FUNCTION pgtrickle._on_ddl_end();
    END IF;
  ELSE
    RAISE NOTICE 'pgtrickle: % is not a superuser: no event triggers (a stream table dropped with '
                 'DROP TABLE stays in the catalog until drop_stream_table)', current_user;
  END IF;
END
$do$;

SELECT pgtrickle._check_instance();

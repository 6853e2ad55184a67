-- Restores: positions (frontiers, LSNs of the change tracking and of the change buffers) belong
-- to the server and database they were taken on. pg_dump keeps the catalog's rows; on another
-- server or in another database they mean nothing, so the first worker start there resets them
-- and the worker repopulates every stream table (afterMigrate calls this on every start).

-- Returns true when it reset the positions (the catalog was restored from elsewhere).
CREATE OR REPLACE FUNCTION pgtrickle._check_instance()
RETURNS boolean LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  sysid text;
  cur pgtrickle.pgt_instance;
  here_db oid := (SELECT oid FROM pg_database WHERE datname = current_database());
  here_rel oid := 'pgtrickle.pgt_stream_tables'::regclass::oid;
  t record;
BEGIN
  BEGIN
    sysid := (SELECT system_identifier::text FROM pg_control_system());
  EXCEPTION WHEN insufficient_privilege THEN
    sysid := NULL;
  END;
  SELECT * INTO cur FROM pgtrickle.pgt_instance FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO pgtrickle.pgt_instance (system_identifier, database_oid, catalog_relid)
    VALUES (sysid, here_db, here_rel);
    RETURN false;
  END IF;
  IF cur.database_oid = here_db AND cur.catalog_relid = here_rel
     AND (cur.system_identifier IS NULL OR sysid IS NULL OR cur.system_identifier = sysid) THEN
    RETURN false;
  END IF;
  UPDATE pgtrickle.pgt_stream_tables
     SET frontier = NULL, is_populated = false, needs_reinit = true, data_timestamp = NULL,
         status = CASE WHEN status = 'SUSPENDED' THEN 'SUSPENDED' ELSE 'INITIALIZING' END,
         refresh_reason = 'catalog restored from another server or database: repopulating',
         updated_at = now();
  UPDATE pgtrickle.pgt_change_tracking
     SET slot_name = NULL, captured_since_lsn = NULL, ingested_lsn = NULL;
  FOR t IN SELECT c.oid::regclass AS rel FROM pg_class c
            WHERE c.relnamespace = 'pgtrickle_changes'::regnamespace AND c.relkind = 'r' LOOP
    EXECUTE format('TRUNCATE %s', t.rel);
  END LOOP;
  UPDATE pgtrickle.pgt_instance
     SET system_identifier = sysid, database_oid = here_db, catalog_relid = here_rel,
         recorded_at = now();
  RAISE NOTICE 'pgtrickle catalog restored from another server or database: frontiers reset, '
               'the worker repopulates every stream table';
  RETURN true;
END
$fn$;

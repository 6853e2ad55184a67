-- Keeping the catalog in step with DDL the front door does not see. Event triggers need a
-- superuser to create them: afterMigrate.sql creates them when the worker's role is one, and
-- without them a stream table dropped with DROP TABLE leaves its catalog row behind for the
-- worker to report (its relation is gone), and renames show in the views but not in
-- pgt_schema/pgt_name.

-- sql_drop: a stream table's storage table dropped by DROP TABLE (or DROP SCHEMA ... CASCADE)
-- leaves the catalog; a dropped source leaves the change tracking (nothing to capture any more;
-- the stream tables reading it fail at their next refresh, and alter_stream_table(query => ...)
-- or a new table of that name recovers them). The same holds for a dropped stream table that
-- other stream tables read: the drop is not refused (drop_stream_table refuses it with 2BP01,
-- but raising here would also abort a DROP SCHEMA ... CASCADE the user meant, and a base table's
-- drop is not refused either); its readers fail at their next refresh (the worker finds the
-- source gone and recomputes: 42P01 naming it, ERROR), as readers of a dropped base table do.
CREATE OR REPLACE FUNCTION pgtrickle._on_sql_drop()
RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  dropped oid[];
  st record;
BEGIN
  SELECT array_agg(o.objid) INTO dropped
    FROM pg_event_trigger_dropped_objects() o
   WHERE o.classid = 'pg_class'::regclass AND o.objsubid = 0;
  IF dropped IS NULL THEN
    RETURN;
  END IF;
  FOR st IN SELECT t.pgt_id FROM pgtrickle.pgt_stream_tables t
             WHERE t.pgt_relid::oid = ANY (dropped) LOOP
    PERFORM pgtrickle._untrack_sources(st.pgt_id, ARRAY(
      SELECT d.source_relid::oid FROM pgtrickle.pgt_dependencies d WHERE d.pgt_id = st.pgt_id));
    DELETE FROM pgtrickle.pgt_stream_tables WHERE pgt_id = st.pgt_id;
    PERFORM pg_notify('pgtrickle_catalog',
                      json_build_object('op', 'drop', 'pgt_id', st.pgt_id)::text);
  END LOOP;
  DELETE FROM pgtrickle.pgt_change_tracking WHERE source_relid::oid = ANY (dropped);
END
$fn$;

-- ddl_command_end of ALTER TABLE / ALTER SCHEMA: pgt_schema and pgt_name follow renames.
CREATE OR REPLACE FUNCTION pgtrickle._on_ddl_end()
RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  UPDATE pgtrickle.pgt_stream_tables s
     SET pgt_schema = n.nspname, pgt_name = c.relname, updated_at = now()
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.oid = s.pgt_relid AND (s.pgt_schema, s.pgt_name) IS DISTINCT FROM (n.nspname::text,
                                                                            c.relname::text);
END
$fn$;

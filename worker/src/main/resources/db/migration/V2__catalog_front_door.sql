-- pg_trickle catalog, version 2: what the SQL front door needs beyond the contract's tables.

-- Views as sources: a stream table reading a view depends on the view (VIEW) and on the tables
-- behind it (TABLE, captured by the CDC).
ALTER TABLE pgtrickle.pgt_dependencies DROP CONSTRAINT pgt_dependencies_source_type_check;
ALTER TABLE pgtrickle.pgt_dependencies ADD CONSTRAINT pgt_dependencies_source_type_check
    CHECK (source_type IN ('TABLE', 'STREAM_TABLE', 'VIEW'));

ALTER TABLE pgtrickle.pgt_stream_tables
    -- Since when pg_stat_pgtrickle counts this table's refreshes (stat_reset).
    ADD COLUMN stats_reset_at timestamptz,
    -- The SQL a differential refresh runs, written by the worker for explain_stream_table.
    ADD COLUMN delta_sql text;
UPDATE pgtrickle.pgt_stream_tables SET stats_reset_at = created_at WHERE stats_reset_at IS NULL;
ALTER TABLE pgtrickle.pgt_stream_tables ALTER COLUMN stats_reset_at SET DEFAULT now();

-- Which server and database the catalog's positions (frontiers, LSNs) belong to. A catalog
-- restored from a dump into another server or database sees a different identity at the next
-- worker start, and pgtrickle._check_instance() resets what no longer holds there.
CREATE TABLE pgtrickle.pgt_instance (
    singleton         boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    system_identifier text,
    database_oid      oid NOT NULL,
    catalog_relid     oid NOT NULL,
    recorded_at       timestamptz NOT NULL DEFAULT now()
);

-- pg_trickle catalog, version 1: the tables (CONTRACTS.md section 1). Names follow pg_trickle
-- 0.108. Relations are regclass so that pg_dump/pg_restore re-resolve them by name. Installed by
-- the worker at start through Flyway (history table pgtrickle.flyway_schema_history).

CREATE SCHEMA IF NOT EXISTS pgtrickle;
-- Change buffers (CONTRACTS.md section 3) live here; the worker's ingest creates the tables.
CREATE SCHEMA IF NOT EXISTS pgtrickle_changes;

-- One row per stream table.
CREATE TABLE pgtrickle.pgt_stream_tables (
    pgt_id                 bigserial PRIMARY KEY,
    -- The storage table: an ordinary table in the user's schema.
    pgt_relid              regclass NOT NULL UNIQUE,
    pgt_schema             text NOT NULL,
    pgt_name               text NOT NULL,
    -- The query the worker runs: PostgreSQL's own deparse of the validated query, every name
    -- schema-qualified, so it means the same whatever the worker's search_path.
    defining_query         text NOT NULL,
    -- The query as the user wrote it, and the search_path it was resolved with.
    original_query         text,
    defining_search_path   text,
    -- NULL = 'calculated'. Otherwise a duration ('5s', '1h30m') or a cron expression.
    schedule               text,
    -- The mode refreshes use: AUTO resolves to DIFFERENTIAL when the query allows it, else FULL.
    refresh_mode           text NOT NULL
                           CHECK (refresh_mode IN ('FULL', 'DIFFERENTIAL')),
    requested_refresh_mode text NOT NULL DEFAULT 'AUTO'
                           CHECK (requested_refresh_mode IN ('AUTO', 'FULL', 'DIFFERENTIAL')),
    -- The construct of the query that prevents DIFFERENTIAL (NULL: none found).
    differential_blocker   text,
    status                 text NOT NULL DEFAULT 'INITIALIZING'
                           CHECK (status IN ('INITIALIZING', 'ACTIVE', 'SUSPENDED', 'ERROR')),
    is_populated           boolean NOT NULL DEFAULT false,
    -- initialize => true: the worker populates the table in its next scheduling round;
    -- false: at the first refresh the schedule (or refresh_stream_table) asks for.
    initialize             boolean NOT NULL DEFAULT true,
    data_timestamp         timestamptz,
    -- {"sources": {"<source oid>": "<lsn>", ...}} (CONTRACTS.md section 4); NULL = none yet.
    frontier               jsonb,
    last_refresh_at        timestamptz,
    consecutive_errors     integer NOT NULL DEFAULT 0,
    last_error_message     text,
    last_error_at          timestamptz,
    -- Set when the storage table must be rebuilt (query or source schema changed).
    needs_reinit           boolean NOT NULL DEFAULT false,
    -- Why the last refresh ran as it did (e.g. why AUTO chose FULL).
    refresh_reason         text,
    -- cdc_mode as requested (NULL = default: the cdc-consumer's logical replication).
    requested_cdc_mode     text,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    UNIQUE (pgt_schema, pgt_name)
);

-- Stream table -> the relations its query reads, and the columns it uses of each.
CREATE TABLE pgtrickle.pgt_dependencies (
    pgt_id       bigint NOT NULL REFERENCES pgtrickle.pgt_stream_tables (pgt_id) ON DELETE CASCADE,
    source_relid regclass NOT NULL,
    source_type  text NOT NULL CHECK (source_type IN ('TABLE', 'STREAM_TABLE')),
    columns_used text[],
    PRIMARY KEY (pgt_id, source_relid)
);
CREATE INDEX pgt_dependencies_source_idx ON pgtrickle.pgt_dependencies (source_relid);

-- One row per refresh (written by the worker).
CREATE TABLE pgtrickle.pgt_refresh_history (
    refresh_id      bigserial PRIMARY KEY,
    pgt_id          bigint NOT NULL REFERENCES pgtrickle.pgt_stream_tables (pgt_id) ON DELETE CASCADE,
    data_timestamp  timestamptz,
    start_time      timestamptz NOT NULL DEFAULT now(),
    end_time        timestamptz,
    action          text NOT NULL
                    CHECK (action IN ('NO_DATA', 'FULL', 'DIFFERENTIAL', 'REINITIALIZE')),
    rows_inserted   bigint,
    rows_updated    bigint,
    rows_deleted    bigint,
    delta_row_count bigint,
    status          text NOT NULL DEFAULT 'RUNNING'
                    CHECK (status IN ('RUNNING', 'COMPLETED', 'FAILED')),
    error_message   text,
    initiated_by    text NOT NULL DEFAULT 'SCHEDULER'
                    CHECK (initiated_by IN ('SCHEDULER', 'MANUAL', 'INITIAL')),
    refresh_reason  text,
    frontier_before jsonb,
    frontier_after  jsonb,
    -- Which worker ran it (free text, e.g. the pod name).
    worker_id       text
);
CREATE INDEX pgt_refresh_history_pgt_idx ON pgtrickle.pgt_refresh_history (pgt_id, start_time);

-- One row per base table some stream table reads: the set the CDC must capture
-- (CONTRACTS.md sections 1, 2, 4).
CREATE TABLE pgtrickle.pgt_change_tracking (
    source_relid       regclass PRIMARY KEY,
    -- Claimed by a cdc-consumer: its slot.
    slot_name          text,
    -- Every transaction committing at or after this LSN is captured (set by the cdc-consumer).
    captured_since_lsn pg_lsn,
    -- The worker's ingest has copied the change log up to here.
    ingested_lsn       pg_lsn,
    tracked_by_pgt_ids bigint[] NOT NULL DEFAULT '{}',
    created_at         timestamptz NOT NULL DEFAULT now()
);

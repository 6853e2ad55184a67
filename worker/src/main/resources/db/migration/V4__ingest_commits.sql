-- pg_trickle catalog, version 4: the ingest counts its commits.
--
-- Each ingest transaction that copies changes into the buffers checks its lease by incrementing
-- `commits` (it used to only lock the row). The worker holding the lease remembers the count of the
-- last commit whose events it acknowledged in the change log; if a later session finds a smaller
-- count, commits that the change log will never deliver again are gone from the database (a
-- failover to a standby that had not received them, under asynchronous replication), and the
-- worker marks a gap in every change buffer so that each stream table is recomputed from its
-- sources (worker/README.md, *Ingest commits a failover took back*).
ALTER TABLE pgtrickle.pgt_worker_leases ADD COLUMN commits bigint NOT NULL DEFAULT 0;

-- The workers' leases (worker runtime, issue #12): one row per lease, one holder at a time. The
-- ingest lease ('ingest') lets exactly one worker copy the change log into the change buffers; its
-- holder renews expires_at every third of the lease and anyone may take it once it expired. Times
-- are the database's clock. The ingest checks the lease (SELECT ... FOR SHARE) in the same
-- transaction as each write, so a holder that stalled past the expiry cannot commit.
CREATE TABLE pgtrickle.pgt_worker_leases (
    lease_name  text PRIMARY KEY,
    holder      text NOT NULL,
    acquired_at timestamptz NOT NULL,
    renewed_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);

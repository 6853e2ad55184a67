-- Functions the worker's refresh transaction calls (not part of the SQL API).

-- Raised by the statement that records a refresh when its compare-and-set of the frontier found
-- another frontier: a serialization failure, so the COMMIT sent in the same round trip does not
-- run and the refresh is retried (the row is locked FOR NO KEY UPDATE by the refresh, so this is
-- a guard, not an expected outcome).
CREATE OR REPLACE FUNCTION pgtrickle._frontier_moved(st text)
RETURNS bigint LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  RAISE EXCEPTION 'the frontier of % moved during the refresh', st USING ERRCODE = '40001';
END
$fn$;

package io.pgtrickle.cdc.capture;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.cdc.it.SourceDb;
import io.pgtrickle.changelog.Lsn;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A consumer's claim takes the catalog rows in {@code source_relid} order, as the worker does, so
 * the two never deadlock. Here the worker's transaction holds the lower table's row and then asks
 * for the higher one while the claim waits: the higher row is stored first, so a claim updating in
 * scan order held it and PostgreSQL aborted one of the two ({@code 40P01 deadlock detected}).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CatalogClaimsLockOrderIT {

  @Test
  void aClaimWaitingOnTheWorkerNeverDeadlocksWithIt() throws Exception {
    try (SourceDb db = SourceDb.start()) {
      db.sql(
          "CREATE SCHEMA pgtrickle",
          "CREATE TABLE "
              + CatalogClaims.TABLE
              + " (source_relid regclass PRIMARY KEY,"
              + " slot_name text NULL, captured_since_lsn pg_lsn NULL,"
              + " ingested_lsn pg_lsn NULL, tracked_by_pgt_ids bigint[])",
          "CREATE TABLE low (id int PRIMARY KEY)",
          "CREATE TABLE high (id int PRIMARY KEY)",
          // The higher OID first in the heap: a sequential scan meets it first.
          "INSERT INTO " + CatalogClaims.TABLE + " (source_relid) VALUES ('high')",
          "INSERT INTO " + CatalogClaims.TABLE + " (source_relid) VALUES ('low')");
      assertThat(db.relationOid("high")).isGreaterThan(db.relationOid("low"));

      try (Connection worker = db.connect();
          Statement s = worker.createStatement()) {
        worker.setAutoCommit(false);
        s.execute("SET LOCAL deadlock_timeout = '100ms'");
        s.execute("SET LOCAL lock_timeout = '10s'");
        lockRow(s, "low");

        CompletableFuture<Map<Long, Optional<Lsn>>> claim =
            CompletableFuture.supplyAsync(
                () -> {
                  try (Connection c = db.connect()) {
                    return Map.copyOf(new CatalogClaims("s0", 0, 1).claimAndList(c));
                  } catch (SQLException e) {
                    throw new IllegalStateException(e.getSQLState() + " " + e.getMessage(), e);
                  }
                });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!"1"
            .equals(
                db.queryOne(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                        + " AND query LIKE '%"
                        + CatalogClaims.TABLE
                        + "%'"))) {
          assertThat(System.nanoTime())
              .as("the claim waits on the worker's row")
              .isLessThan(deadline);
          Thread.sleep(20);
        }

        lockRow(s, "high"); // 40P01 here or in the claim when the claim holds it
        worker.commit();

        assertThat(claim.get(20, TimeUnit.SECONDS))
            .containsOnlyKeys(db.relationOid("low"), db.relationOid("high"));
      }
      assertThat(
              db.queryOne("SELECT string_agg(DISTINCT slot_name, ',') FROM " + CatalogClaims.TABLE))
          .isEqualTo("s0");
    }
  }

  private static void lockRow(Statement s, String table) throws SQLException {
    s.execute(
        "SELECT 1 FROM "
            + CatalogClaims.TABLE
            + " WHERE source_relid = '"
            + table
            + "'::regclass FOR UPDATE");
  }
}

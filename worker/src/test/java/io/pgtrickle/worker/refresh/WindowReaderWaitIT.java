package io.pgtrickle.worker.refresh;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.worker.it.PipelineDb;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The refresh's wait for the CDC and the ingest ({@link WindowReader#read}) on a real server: it
 * ends once the slot confirmed L and the ingest's commit advanced {@code ingested_lsn} to L (the
 * commit's notification wakes it), or at its timeout; either way its connection no longer listens
 * afterwards (a session that listens while nobody reads it holds up the server's notification
 * queue).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WindowReaderWaitIT {

  @Test
  void theWaitEndsWhenTheIngestAdvancesAndStopsListening() throws Exception {
    try (PipelineDb db = PipelineDb.start();
        Connection probe = db.connect();
        Connection ingest = db.connect()) {
      db.sql(
          "CREATE TABLE public.t (id int PRIMARY KEY)",
          "SELECT pg_create_logical_replication_slot('wait_slot', 'pgoutput')");
      String start = db.one("SELECT confirmed_flush_lsn::text FROM pg_replication_slots");
      db.sql(
          "INSERT INTO pgtrickle.pgt_change_tracking (source_relid, slot_name,"
              + " captured_since_lsn, ingested_lsn) VALUES ('public.t', 'wait_slot', '"
              + start
              + "', '"
              + start
              + "')",
          "INSERT INTO public.t VALUES (1)");
      long oid = Long.parseLong(db.one("SELECT 'public.t'::regclass::oid"));
      Lsn l = Lsn.parse(db.one("SELECT pg_current_wal_insert_lsn()::text"));
      String snapshot = db.one("SELECT pg_current_snapshot()::text");
      WindowReader reader = new WindowReader(probe);

      // Nothing reaches L: the wait times out, and the connection listens to nothing.
      assertThat(reader.read(List.of(oid), l, snapshot, List.of(), Duration.ofMillis(300)))
          .isNull();
      assertThat(listening(probe)).isEmpty();

      CompletableFuture<Map<Long, WindowReader.Found>> waiting =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return reader.read(List.of(oid), l, snapshot, List.of(), Duration.ofSeconds(60));
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      Thread.sleep(300);
      assertThat(waiting).isNotDone();
      // The CDC confirms L, then the ingest's commit advances ingested_lsn and notifies.
      db.sql("SELECT pg_replication_slot_advance('wait_slot', '" + l.walText() + "')");
      try (Statement s = ingest.createStatement()) {
        s.execute(
            "UPDATE pgtrickle.pgt_change_tracking SET ingested_lsn = '"
                + l.walText()
                + "'; "
                + "SELECT pg_notify('pgtrickle_ingested', '')");
      }
      assertThat(waiting.get(30, TimeUnit.SECONDS)).isEmpty();
      assertThat(listening(probe)).isEmpty();
    }
  }

  private static List<String> listening(Connection c) throws Exception {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_listening_channels()")) {
      List<String> out = new java.util.ArrayList<>();
      while (rs.next()) {
        out.add(rs.getString(1));
      }
      return out;
    }
  }
}

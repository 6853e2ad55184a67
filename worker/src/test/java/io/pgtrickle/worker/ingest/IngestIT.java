package io.pgtrickle.worker.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.support.NatsServer;
import io.pgtrickle.changelog.support.ServerProcess;
import io.pgtrickle.worker.db.Lease;
import io.pgtrickle.worker.it.Children;
import io.pgtrickle.worker.it.PipelineDb;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The ingest against the real cdc-consumer and change log: a crash between the buffer commit and
 * the acknowledgment (the log delivers the batch again) leaves every change in the buffer exactly
 * once; {@code ingested_lsn} never claims a change the buffer lacks; and with many sources on NATS
 * (each empty poll a round trip) a refresh's request is served promptly; a holder whose lease was
 * taken commits nothing.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class IngestIT {

  @Test
  void aCrashBetweenCommitAndAcknowledgmentCopiesEachChangeOnce() throws Exception {
    Path dir = ServerProcess.targetDir("ingest-crash");
    try (PipelineDb db = PipelineDb.start()) {
      db.sql("CREATE TABLE public.t (id bigint PRIMARY KEY, v int, b bytea)");
      db.createStreamTable("st_t", "SELECT id, v, b FROM public.t", "1h");
      Process cdc =
          Children.cdc(
              Children.cdcEnv(db, "", "ingest_crash", db.changeLogUri()), dir.resolve("cdc.log"));
      // Registered first, so that the log keeps every event for it (it prunes what every
      // registered consumer acknowledged).
      try (ChangeLogBackend verify =
          ChangeLogBackends.open(db.changeLogUri() + "&consumer=verify&pollMs=0")) {
        db.awaitCaptured();
        long oid = Long.parseLong(db.one("SELECT 'public.t'::regclass::oid"));
        for (int i = 0; i < 20; i++) {
          db.sql(
              "INSERT INTO public.t SELECT g, g % 7, '\\xdeadbeef' FROM generate_series("
                  + (i * 50 + 1)
                  + ", "
                  + (i * 50 + 50)
                  + ") g",
              "UPDATE public.t SET v = v + 1 WHERE id % 10 = " + (i % 10),
              "DELETE FROM public.t WHERE id = " + (i * 50 + 3));
        }
        Lsn end = awaitSlotPast(db, "ingest_crash");
        Lease lease = new Lease("ingest", "test", Duration.ofMinutes(5));
        String uri = db.changeLogUri() + "&consumer=pgtrickle-worker&pollMs=0&batch=300";
        try (Connection c = db.connect()) {
          assertThat(lease.acquireOrRenew(c)).isTrue();
          // First instance: commits a round into the buffer, then "crashes" before acknowledging.
          try (ChangeLogBackend log = new NoAcknowledgments(ChangeLogBackends.open(uri))) {
            IngestRounds.fresh(c, log, lease).run(null);
          }
          long afterCrash = count(db, oid);
          assertThat(afterCrash).isPositive();
          // A new instance gets everything again from the acknowledged position.
          try (ChangeLogBackend log = ChangeLogBackends.open(uri)) {
            IngestRound round = IngestRounds.fresh(c, log, lease);
            round.run(end);
            round.run(end);
          }
        }
        String ingested = db.one("SELECT ingested_lsn::text FROM pgtrickle.pgt_change_tracking");
        assertThat(Lsn.parse(ingested)).isGreaterThanOrEqualTo(end);
        // The buffer holds exactly what the change log holds, each change once.
        List<String> logged = new ArrayList<>();
        while (true) {
          List<ChangeEvent> batch =
              verify.consume(oid, Lsn.ZERO).toCompletableFuture().get(60, TimeUnit.SECONDS);
          if (batch.isEmpty()) {
            break;
          }
          for (ChangeEvent e : batch) {
            logged.add(e.lsn().walText() + "/" + e.lsn().seq() + " " + BufferRows.action(e));
          }
        }
        List<String> buffered =
            db.column(
                "SELECT lsn::text || '/' || seq || ' ' || action::text FROM pgtrickle_changes.changes_"
                    + oid
                    + " ORDER BY lsn, seq");
        assertThat(buffered).hasSizeGreaterThan(1000).isEqualTo(logged);
        // Values are typed back by jsonb_populate_record (bytea as hex).
        assertThat(
                db.one(
                    "SELECT (jsonb_populate_record(NULL::public.t, new_row)).b::text"
                        + " FROM pgtrickle_changes.changes_"
                        + oid
                        + " WHERE action = 'I' LIMIT 1"))
            .isEqualTo("\\xdeadbeef");
      } finally {
        ServerProcess.stop(cdc, 30);
      }
    }
  }

  @Test
  void aRoundWhoseLeaseWasTakenCommitsNothing() throws Exception {
    Path dir = ServerProcess.targetDir("ingest-fence");
    try (PipelineDb db = PipelineDb.start()) {
      db.sql("CREATE TABLE public.t (id bigint PRIMARY KEY, v int)");
      db.sql("CREATE TABLE public.other (id bigint)");
      db.createStreamTable("st_t", "SELECT id, v FROM public.t", "1h");
      Process cdc =
          Children.cdc(
              Children.cdcEnv(db, "", "ingest_fence", db.changeLogUri()), dir.resolve("cdc.log"));
      try {
        db.awaitCaptured();
        long oid = Long.parseLong(db.one("SELECT 'public.t'::regclass::oid"));
        db.sql("INSERT INTO public.t SELECT g, g FROM generate_series(1, 100) g");
        Lsn end = awaitSlotPast(db, "ingest_fence");
        Lease stale = new Lease("ingest", "stale", Duration.ofMinutes(5));
        Lease taker = new Lease("ingest", "taker", Duration.ofMinutes(5));
        String uri = db.changeLogUri() + "&consumer=pgtrickle-worker&pollMs=0";
        try (Connection c = db.connect();
            Connection t = db.connect()) {
          assertThat(stale.acquireOrRenew(c)).isTrue();
          // The holder stalls past its lease (a long GC pause) and another worker takes it.
          db.sql("UPDATE pgtrickle.pgt_worker_leases SET expires_at = now() - interval '1 second'");
          assertThat(taker.acquireOrRenew(t)).isTrue();
          // With changes to copy: the fence refuses, nothing is committed or acknowledged.
          try (ChangeLogBackend log = ChangeLogBackends.open(uri)) {
            assertThatThrownBy(() -> IngestRounds.fresh(c, log, stale).run(end))
                .isInstanceOf(IngestTransaction.LeaseLostException.class);
          }
          assertThat(count(db, oid)).isZero();
          assertThat(db.one("SELECT ingested_lsn::text FROM pgtrickle.pgt_change_tracking"))
              .isNull();
          // The holder's instance gets every event: the stale one acknowledged none.
          try (ChangeLogBackend log = ChangeLogBackends.open(uri)) {
            IngestRounds.fresh(t, log, taker).run(end);
          }
          assertThat(inserts(db, oid)).isEqualTo(100);
          long copied = count(db, oid);
          String ingested = db.one("SELECT ingested_lsn::text FROM pgtrickle.pgt_change_tracking");
          assertThat(Lsn.parse(ingested)).isGreaterThanOrEqualTo(end);
          // With only ingested_lsn to advance (nothing captured changed): refused too.
          db.sql("INSERT INTO public.other VALUES (1)");
          Lsn later = awaitSlotPast(db, "ingest_fence");
          try (ChangeLogBackend log = ChangeLogBackends.open(uri)) {
            assertThatThrownBy(() -> IngestRounds.fresh(c, log, stale).run(later))
                .isInstanceOf(IngestTransaction.LeaseLostException.class);
          }
          assertThat(db.one("SELECT ingested_lsn::text FROM pgtrickle.pgt_change_tracking"))
              .isEqualTo(ingested);
          assertThat(count(db, oid)).isEqualTo(copied);
        }
      } finally {
        ServerProcess.stop(cdc, 30);
      }
    }
  }

  /** Waits until the slot confirmed the current WAL insert position; returns that position. */
  private static Lsn awaitSlotPast(PipelineDb db, String slot) {
    String end = db.one("SELECT pg_current_wal_insert_lsn()::text");
    Children.await(
        "the slot past " + end,
        Duration.ofSeconds(60),
        () ->
            "t"
                .equals(
                    db.one(
                        "SELECT confirmed_flush_lsn >= ?::pg_lsn FROM pg_replication_slots"
                            + " WHERE slot_name = ?",
                        end,
                        slot)));
    return Lsn.parse(end);
  }

  @Test
  void manySourcesOnNatsAreServedPromptly() throws Exception {
    int sources = 30;
    Path dir = ServerProcess.targetDir("ingest-many");
    try (PipelineDb db = PipelineDb.start();
        NatsServer nats = NatsServer.start()) {
      String log = nats.uri("stream=many");
      StringBuilder union = new StringBuilder();
      for (int i = 0; i < sources; i++) {
        db.sql("CREATE TABLE public.s" + i + " (id bigint PRIMARY KEY, v int)");
        union.append(i == 0 ? "" : " UNION ALL ").append("SELECT id, v FROM public.s").append(i);
      }
      db.createStreamTable("st_all", union.toString(), "1h");
      Process cdc = Children.cdc(Children.cdcEnv(db, "", "many", log), dir.resolve("cdc.log"));
      Process worker = null;
      try {
        // Captured before the first refresh, so the frontier has every source and the buffers
        // keep everything from there (rows a refresh will not need are pruned).
        db.awaitCaptured();
        worker =
            Children.worker(Children.workerEnv(db, log, "many-worker"), dir.resolve("worker.log"));
        Children.await(
            "st_all populated",
            Duration.ofSeconds(60),
            () -> "t".equals(db.one("SELECT is_populated FROM pgtrickle.pgt_stream_tables")));
        List<Long> millis = new ArrayList<>();
        for (int round = 0; round < 5; round++) {
          for (int i = 0; i < sources; i++) {
            db.sql("INSERT INTO public.s" + i + " VALUES (" + round + ", " + i + ")");
          }
          long start = System.nanoTime();
          String target = db.one("SELECT pg_current_wal_insert_lsn()::text");
          try (Connection c = db.connect()) {
            IngestDemand.request(c, Lsn.parse(target));
          }
          Children.await(
              "every source ingested past " + target,
              Duration.ofSeconds(60),
              () ->
                  "0"
                      .equals(
                          db.one(
                              "SELECT count(*) FROM pgtrickle.pgt_change_tracking"
                                  + " WHERE coalesce(ingested_lsn < ?::pg_lsn, true)",
                              target)));
          millis.add((System.nanoTime() - start) / 1_000_000);
        }
        System.out.printf(
            "%d NATS sources: request to ingested_lsn past it in %s ms%n", sources, millis);
        // Every change at or above the stream table's frontier (rows below it may be pruned) and
        // below ingested_lsn is in the buffers, exactly as the change log has it.
        try (ChangeLogBackend verify =
            ChangeLogBackends.open(log + "&consumer=verify&pollMs=500")) {
          for (int i = 0; i < sources; i++) {
            long oid = Long.parseLong(db.one("SELECT 'public.s" + i + "'::regclass::oid"));
            Lsn from =
                Lsn.parse(
                    db.one(
                        "SELECT frontier -> 'sources' ->> ? FROM pgtrickle.pgt_stream_tables",
                        Long.toString(oid)));
            Lsn to =
                Lsn.parse(
                    db.one(
                        "SELECT ingested_lsn::text FROM pgtrickle.pgt_change_tracking"
                            + " WHERE source_relid = ?::bigint::oid::regclass",
                        oid));
            List<String> logged = new ArrayList<>();
            for (ChangeEvent e :
                verify.consume(oid, Lsn.ZERO).toCompletableFuture().get(60, TimeUnit.SECONDS)) {
              if (e.lsn().walPosition().compareTo(from) >= 0
                  && e.lsn().walPosition().compareTo(to) < 0) {
                logged.add(e.lsn().walText() + "/" + e.lsn().seq() + " " + BufferRows.action(e));
              }
            }
            assertThat(logged).as("s%d's changes in [%s, %s)", i, from, to).isNotEmpty();
            assertThat(
                    db.column(
                        "SELECT lsn::text || '/' || seq || ' ' || action::text"
                            + " FROM pgtrickle_changes.changes_"
                            + oid
                            + " WHERE lsn >= ?::pg_lsn AND lsn < ?::pg_lsn ORDER BY lsn, seq",
                        from.walText(),
                        to.walText()))
                .as("s%d's buffer", i)
                .isEqualTo(logged);
          }
        }
        // Generous for a loaded 2-core machine; typically well under a second.
        assertThat(millis.stream().sorted().toList().get(2)).isLessThan(5_000);
      } finally {
        if (worker != null) {
          worker.destroy();
          worker.waitFor(30, TimeUnit.SECONDS);
        }
        ServerProcess.stop(cdc, 30);
      }
    }
  }

  private static long count(PipelineDb db, long oid) {
    return Long.parseLong(db.one("SELECT count(*) FROM pgtrickle_changes.changes_" + oid));
  }

  private static long inserts(PipelineDb db, long oid) {
    return Long.parseLong(
        db.one("SELECT count(*) FROM pgtrickle_changes.changes_" + oid + " WHERE action = 'I'"));
  }

  /** A change log whose acknowledgments never happen: the process "died" right after commit. */
  private static final class NoAcknowledgments implements ChangeLogBackend {
    private final ChangeLogBackend delegate;

    NoAcknowledgments(ChangeLogBackend delegate) {
      this.delegate = delegate;
    }

    @Override
    public CompletionStage<Void> publish(long sourceOid, List<ChangeEvent> events) {
      return delegate.publish(sourceOid, events);
    }

    @Override
    public CompletionStage<List<ChangeEvent>> consume(long sourceOid, Lsn fromLsn) {
      return delegate.consume(sourceOid, fromLsn);
    }

    @Override
    public CompletionStage<Void> acknowledge(long sourceOid, Lsn upToLsn) {
      return CompletableFuture.failedFuture(new IllegalStateException("crashed before the ack"));
    }

    @Override
    public CompletionStage<Long> lag(long sourceOid) {
      return delegate.lag(sourceOid);
    }

    @Override
    public String consumerName() {
      return delegate.consumerName();
    }

    @Override
    public void close() {
      delegate.close();
    }
  }
}

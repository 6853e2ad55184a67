package io.pgtrickle.changelog.bench;

import io.nats.client.JetStream;
import io.nats.client.Nats;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.pgtrickle.changelog.support.ServerProcess;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * What each backend's own machinery does on this machine without the change log on top: the floor
 * the backend is compared with. Same event size and batch size as the backend runs.
 */
final class Floors {

  private static final int BYTES = PublishBench.EVENT_BYTES;

  private Floors() {}

  /** A raw loop: write {@code batch} records of 1 KB with one write call, fsync, repeat. */
  static double walFiles(Path dir, int batch, long total) throws Exception {
    Path file = dir.resolve("floor.log");
    ByteBuffer buffer = ByteBuffer.allocateDirect(batch * BYTES);
    long events = 0;
    long start = System.nanoTime();
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      long position = 0;
      while (events < total) {
        buffer.clear();
        while (buffer.hasRemaining()) {
          buffer.put((byte) 'x');
        }
        buffer.flip();
        while (buffer.hasRemaining()) {
          position += ch.write(buffer, position);
        }
        ch.force(false);
        events += batch;
      }
    }
    double eps = events / ((System.nanoTime() - start) / 1e9);
    Files.deleteIfExists(file);
    return eps;
  }

  /** Plain batched INSERTs of 1 KB rows, one transaction per batch, from several connections. */
  static double postgres(int port, int threads, int batch, long total) throws Exception {
    String url = "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres";
    Properties props = new Properties();
    props.setProperty("reWriteBatchedInserts", "true");
    try (java.sql.Connection c = DriverManager.getConnection(url, props);
        Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS floor_rows");
      s.execute("CREATE TABLE floor_rows (id bigint, payload text)");
    }
    String payload = "x".repeat(BYTES);
    return parallel(
        threads,
        total,
        () -> {
          // One connection per thread for the whole run; the bench process ends right after.
          java.sql.Connection c = DriverManager.getConnection(url, props);
          c.setAutoCommit(false);
          return (Counter)
              () -> {
                try (PreparedStatement ps =
                    c.prepareStatement("INSERT INTO floor_rows VALUES (?, ?)")) {
                  for (int i = 0; i < batch; i++) {
                    ps.setLong(1, i);
                    ps.setString(2, payload);
                    ps.addBatch();
                  }
                  ps.executeBatch();
                }
                c.commit();
                return batch;
              };
        });
  }

  /** Raw jnats: async JetStream publishes of 1 KB, a window of {@code batch} acks at a time. */
  static double nats(int port, int threads, int batch, long total) throws Exception {
    try (io.nats.client.Connection nc = Nats.connect("nats://127.0.0.1:" + port)) {
      var jsm = nc.jetStreamManagement();
      if (jsm.getStreamNames().contains("floor")) {
        jsm.deleteStream("floor"); // a gigabyte per round otherwise
      }
      jsm.addStream(
          StreamConfiguration.builder()
              .name("floor")
              .subjects("floor.>")
              .storageType(StorageType.File)
              .build());
      JetStream js = nc.jetStream();
      byte[] body = new byte[BYTES];
      AtomicLong sequence = new AtomicLong();
      return parallel(
          threads,
          total,
          () ->
              (Counter)
                  () -> {
                    List<CompletableFuture<PublishAck>> acks = new ArrayList<>(batch);
                    for (int i = 0; i < batch; i++) {
                      acks.add(js.publishAsync("floor." + (sequence.incrementAndGet() % 8), body));
                    }
                    CompletableFuture.allOf(acks.toArray(new CompletableFuture[0]))
                        .get(60, TimeUnit.SECONDS);
                    return batch;
                  });
    }
  }

  /** Kafka's own ProducerPerformance tool, in its own JVM, with the backend's producer settings. */
  static double kafka(String bootstrap, long records) throws Exception {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(p)) {
      if (!admin.listTopics().names().get(30, TimeUnit.SECONDS).contains("floor")) {
        admin
            .createTopics(List.of(new NewTopic("floor", 8, (short) 1)))
            .all()
            .get(30, TimeUnit.SECONDS);
      }
    }
    String output =
        ServerProcess.run(
            List.of(
                ServerProcess.javaExecutable(),
                "-Xmx1g",
                "-cp",
                ServerProcess.testClassPath(),
                "org.apache.kafka.tools.ProducerPerformance",
                "--topic",
                "floor",
                "--num-records",
                Long.toString(records),
                "--record-size",
                Integer.toString(BYTES),
                "--throughput",
                "-1",
                "--producer-props",
                "bootstrap.servers=" + bootstrap,
                "acks=all",
                "enable.idempotence=true",
                "linger.ms=1",
                "batch.size=262144"),
            300);
    Matcher m = Pattern.compile("(\\d+) records sent, ([\\d.]+) records/sec").matcher(output);
    double eps = -1;
    while (m.find()) {
      eps = Double.parseDouble(m.group(2));
    }
    if (eps < 0) {
      throw new IllegalStateException("no summary from ProducerPerformance:\n" + output);
    }
    return eps;
  }

  /** One unit of work returning how many events it wrote. */
  @FunctionalInterface
  interface Counter {
    int run() throws Exception;
  }

  @FunctionalInterface
  interface CounterFactory {
    Counter create() throws Exception;
  }

  /** {@code threads} threads writing {@code total} events between them: events per second. */
  private static double parallel(int threads, long total, CounterFactory factory) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    AtomicLong events = new AtomicLong();
    long share = (total + threads - 1) / threads;
    long start = System.nanoTime();
    List<Future<?>> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      workers.add(
          pool.submit(
              () -> {
                Counter counter = factory.create();
                long mine = 0;
                while (mine < share) {
                  int n = counter.run();
                  mine += n;
                  events.addAndGet(n);
                }
                return null;
              }));
    }
    for (Future<?> w : workers) {
      w.get();
    }
    pool.shutdown();
    return events.get() / ((System.nanoTime() - start) / 1e9);
  }
}

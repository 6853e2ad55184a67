package io.pgtrickle.worker.it;

import io.pgtrickle.changelog.support.KafkaServer;
import io.pgtrickle.changelog.support.NatsServer;

/**
 * The change log of a pipeline test, by backend name: {@code postgres} (tables in the test
 * database's {@code changelog} database, no server of its own), {@code nats} (a JetStream server)
 * or {@code kafka} (a KRaft broker), through change-log's test harnesses.
 */
final class ChangeLogServer implements AutoCloseable {

  private final AutoCloseable server;
  private final String uri;

  private ChangeLogServer(AutoCloseable server, String uri) {
    this.server = server;
    this.uri = uri;
  }

  /**
   * Starts the backend's server, if it has one.
   *
   * @param backend {@code postgres}, {@code nats} or {@code kafka}
   * @param db the test database
   * @param name the stream or topic name
   * @return the change log
   */
  static ChangeLogServer start(String backend, PipelineDb db, String name) {
    return switch (backend) {
      case "postgres" -> new ChangeLogServer(null, db.changeLogUri());
      case "nats" -> {
        NatsServer nats = NatsServer.start();
        yield new ChangeLogServer(nats, nats.uri("stream=" + name));
      }
      case "kafka" -> {
        KafkaServer kafka = KafkaServer.start();
        yield new ChangeLogServer(kafka, kafka.uri("topic=" + name));
      }
      default -> throw new IllegalArgumentException("unknown change-log backend " + backend);
    };
  }

  /** The change-log URI for the cdc-consumer and the worker. */
  String uri() {
    return uri;
  }

  @Override
  public void close() throws Exception {
    if (server != null) {
      server.close();
    }
  }
}

package io.pgtrickle.changelog;

import io.pgtrickle.changelog.kafka.KafkaBackend;
import io.pgtrickle.changelog.nats.NatsBackend;
import io.pgtrickle.changelog.postgres.PostgresBackend;
import io.pgtrickle.changelog.wal.WalBackend;

/**
 * Opens the backend a configuration URI names. The scheme picks it:
 *
 * <ul>
 *   <li>{@code postgresql://host:port/db?user=..&password=..} (or {@code jdbc:postgresql://...},
 *       {@code postgres://...}) — PostgreSQL tables, the default;
 *   <li>{@code file:///path/to/dir} — local WAL segment files;
 *   <li>{@code nats://host:port?stream=..} — NATS JetStream;
 *   <li>{@code kafka://host:port?topic=..} — Apache Kafka.
 * </ul>
 *
 * <p>Opening connects and creates what is missing (schema, directory, stream, topic), so a bad or
 * unreachable configuration fails here with a {@link ChangeLogConfigException} naming the setting,
 * not later on the first publish.
 */
public final class ChangeLogBackends {

  private ChangeLogBackends() {}

  /**
   * Opens a backend from its URI.
   *
   * @param uri the configuration URI
   * @return the open backend; close it when done
   * @throws ChangeLogConfigException if the URI is wrong or the backend cannot be reached
   */
  public static ChangeLogBackend open(String uri) {
    return open(ChangeLogConfig.parse(uri));
  }

  /**
   * Opens a backend from a parsed configuration.
   *
   * @param config the configuration
   * @return the open backend; close it when done
   * @throws ChangeLogConfigException if a setting is wrong or the backend cannot be reached
   */
  public static ChangeLogBackend open(ChangeLogConfig config) {
    return switch (config.scheme()) {
      case "postgresql", "postgres" -> PostgresBackend.open(config);
      case "file" -> WalBackend.open(config);
      case "nats" -> NatsBackend.open(config);
      case "kafka" -> KafkaBackend.open(config);
      default ->
          throw new ChangeLogConfigException(
              "uri",
              "unknown backend scheme '"
                  + config.scheme()
                  + "' in "
                  + config.redacted()
                  + " (expected postgresql, file, nats or kafka)");
    };
  }
}

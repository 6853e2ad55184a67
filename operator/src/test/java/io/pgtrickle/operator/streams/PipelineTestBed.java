package io.pgtrickle.operator.streams;

import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.pgtrickle.changelog.support.PostgresServer;
import io.pgtrickle.operator.testbed.OperatorRunner;
import io.pgtrickle.testbed.TestNamespace;
import java.util.Map;

/**
 * What a StreamTableCluster test with {@code postgresql.host} needs besides the API server: a real
 * PostgreSQL ({@code wal_level=logical}, trust authentication on loopback), the Secret {@code pg}
 * naming its user, and the operator limited to the test's namespace. Kwok plays the pods.
 */
final class PipelineTestBed implements AutoCloseable {

  /** The Secret a spec's {@code postgresql.secretRef.name} names. */
  static final String SECRET = "pg";

  private final PostgresServer postgres;
  private final OperatorRunner operator;

  private PipelineTestBed(PostgresServer postgres, OperatorRunner operator) {
    this.postgres = postgres;
    this.operator = operator;
  }

  static PipelineTestBed start(TestNamespace namespace) {
    return start(namespace, "");
  }

  /**
   * @param serverOptions more {@code postgres} options, e.g. {@code -c max_replication_slots=2}
   */
  static PipelineTestBed start(TestNamespace namespace, String serverOptions) {
    PostgresServer postgres =
        PostgresServer.start(
            PostgresServer.defaultBin(), ("-c wal_level=logical " + serverOptions).strip());
    try {
      namespace
          .client()
          .secrets()
          .inNamespace(namespace.name())
          .resource(
              new SecretBuilder()
                  .withNewMetadata()
                  .withName(SECRET)
                  .endMetadata()
                  .withStringData(Map.of("username", "postgres", "password", "unused-trust-auth"))
                  .build())
          .create();
      return new PipelineTestBed(
          postgres, OperatorRunner.start(namespace.testBed(), namespace.name()));
    } catch (RuntimeException | Error e) {
      postgres.close();
      throw e;
    }
  }

  PostgresServer postgres() {
    return postgres;
  }

  /** {@code postgresql: {host, port, database, secretRef}} of a spec, as flow-style YAML. */
  String postgresqlSpec() {
    return postgresqlSpec("postgres");
  }

  /** The same for another database of the server (one StreamTableCluster per database). */
  String postgresqlSpec(String database) {
    return "postgresql: {host: 127.0.0.1, port: "
        + postgres.port()
        + ", database: "
        + database
        + ", secretRef: {name: "
        + SECRET
        + "}}";
  }

  @Override
  public void close() {
    operator.close();
    postgres.close();
  }
}

package io.pgtrickle.operator.streams.changelog;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.ChangeLogConfigException;
import io.pgtrickle.changelog.Reachability;
import io.pgtrickle.operator.streams.db.DatabaseEndpoint;
import io.pgtrickle.operator.streams.spec.ChangeLogTarget;
import io.pgtrickle.operator.streams.spec.DatabaseUrls;
import io.pgtrickle.operator.streams.status.ObservedPipeline;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Creates a pipeline's change log before its CDC consumers start, and removes it when the
 * StreamTableCluster is deleted (unless {@code cdc.logReclaimPolicy: Retain}).
 *
 * <p>Creation opens the backend as the programs do ({@code ChangeLogBackends.open}, with the
 * settings the change log is made with, {@link ChangeLogTarget#settingsUri}: NATS stream and its
 * {@code -acks} bucket with the configured replicas, changed to them when they differ, Kafka topics
 * with the configured replication, the PostgreSQL schema), as the workers' consumer {@value
 * #WORKER_CONSUMER}, so there is one definition of what the change log looks like. Removal uses the
 * backends' own clients: JetStream stream and bucket deleted, Kafka topics deleted, {@code DROP
 * SCHEMA ... CASCADE}. Both are idempotent. Errors come back as {@link ChangeLogException} with a
 * message for the ChangeLogReady condition; no credential is ever part of it.
 */
public final class ChangeLogLifecycle {

  /** The change-log consumer name of the workers' ingest (worker ConfigParser.CONSUMER_NAME). */
  public static final String WORKER_CONSUMER = "pgtrickle-worker";

  private ChangeLogLifecycle() {}

  /**
   * Creates the change log if it does not exist, checks that it can be reached, and reads how many
   * of its copies the servers hold in sync ({@link ReplicaShortfall}).
   *
   * @param target the change log
   * @param db where the operator reaches the database (for the PostgreSQL backend), or null
   * @return empty when it is ready with every copy in sync; else which copies are missing or behind
   *     (Kafka partitions under-replicated, JetStream peers offline or catching up): the change log
   *     works, but can lose fewer servers
   * @throws ChangeLogException when it cannot be created or reached
   */
  public static Optional<String> ensure(ChangeLogTarget target, DatabaseEndpoint db) {
    String uri = operatorUri(target, db);
    try (ChangeLogBackend backend = ChangeLogBackends.open(uri)) {
      // Opened, so it exists with its settings.
    } catch (ChangeLogConfigException e) {
      throw new ChangeLogException(target.describe() + ": " + e.getMessage(), e, reasonOf(e));
    } catch (Exception e) {
      throw new ChangeLogException(target.describe() + ": " + e, e, reasonOf(e));
    }
    return ChangeLogReplicas.shortfall(target);
  }

  /**
   * Why a change log could not be opened, as a condition reason.
   *
   * @param error what opening it threw
   * @return {@link ChangeLogException#UNREACHABLE} when a server cannot be reached or is not
   *     accepting connections yet ({@link Reachability#unreachable}) or JetStream is temporarily
   *     unavailable (API error 10008), {@link ChangeLogException#SETTING_REFUSED} when the backend
   *     refused one of its settings (a stream whose replicas the servers cannot hold, a subject
   *     prefix that differs from the existing stream's: {@link ChangeLogConfigException#setting()}
   *     other than {@code uri}), else {@link ChangeLogException#UNAVAILABLE}
   */
  static String reasonOf(Exception error) {
    if (Reachability.unreachable(error) || jetStreamTemporarilyUnavailable(error)) {
      return ChangeLogException.UNREACHABLE;
    }
    if (error instanceof ChangeLogConfigException c && !"uri".equals(c.setting())) {
      return ChangeLogException.SETTING_REFUSED;
    }
    return ChangeLogException.UNAVAILABLE;
  }

  /**
   * Whether JetStream answered "JetStream system temporarily unavailable" (API error 10008,
   * JSClusterNotAvailErr: a cluster electing its meta leader, just started or after losing a
   * server): a wait, not a setting to change.
   */
  private static boolean jetStreamTemporarilyUnavailable(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof JetStreamApiException j && j.getApiErrorCode() == 10008) {
        return true;
      }
    }
    return false;
  }

  /**
   * Removes the change log and everything kept beside it.
   *
   * @param target the change log
   * @param db where the operator reaches the database (for the PostgreSQL backend), or null
   * @throws ChangeLogException when it cannot be removed (it may be tried again)
   */
  public static void remove(ChangeLogTarget target, DatabaseEndpoint db) {
    try {
      switch (target.backend()) {
        case NATS -> removeNats(target);
        case KAFKA -> removeKafka(target);
        case POSTGRES -> removePostgres(db);
        case WAL -> {}
      }
    } catch (ChangeLogException e) {
      throw e;
    } catch (Exception e) {
      throw new ChangeLogException("cannot remove " + target.describe() + ": " + e, e);
    }
  }

  /** The URI the operator opens: the programs' settings, reachable from the operator. */
  static String operatorUri(ChangeLogTarget target, DatabaseEndpoint db) {
    String consumer = "consumer=" + WORKER_CONSUMER;
    return switch (target.backend()) {
      case NATS, KAFKA -> target.settingsUri() + "&" + consumer;
      case POSTGRES ->
          "postgresql://"
              + db.host()
              + ":"
              + db.port()
              + "/"
              + DatabaseUrls.segment(db.database())
              + "?schema="
              + ChangeLogTarget.POSTGRES_SCHEMA
              + "&pool=1&"
              + consumer
              + "&user="
              + encode(db.user())
              + (db.password() == null ? "" : "&password=" + encode(db.password()))
              + "&ApplicationName=pg-trickle-operator&connectTimeout=5&socketTimeout=20";
      case WAL -> throw new IllegalStateException("wal is refused by the CRD");
    };
  }

  /** The operator's own NATS connection to the change log's server: 5 s to connect, no retry. */
  static Connection connectNats(ChangeLogTarget target)
      throws java.io.IOException, InterruptedException {
    return Nats.connect(
        new Options.Builder()
            .server(target.natsUrl())
            .connectionTimeout(Duration.ofSeconds(5))
            .maxReconnects(0)
            .build());
  }

  /** The operator's own Kafka admin client: 10 s a request, 20 s a call. */
  static Admin kafkaAdmin(ChangeLogTarget target) {
    return Admin.create(
        Map.of(
            AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
            target.kafkaServers(),
            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
            10_000,
            AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
            20_000));
  }

  private static void removeNats(ChangeLogTarget target)
      throws java.io.IOException, InterruptedException {
    try (Connection nats = connectNats(target)) {
      var jsm = nats.jetStreamManagement();
      try {
        jsm.deleteStream(target.stream());
      } catch (JetStreamApiException e) {
        if (e.getErrorCode() != 404) {
          throw new ChangeLogException(
              "cannot delete NATS stream " + target.stream() + ": " + e, e);
        }
      }
      try {
        nats.keyValueManagement().delete(target.acksBucket());
      } catch (JetStreamApiException e) {
        if (e.getErrorCode() != 404) {
          throw new ChangeLogException(
              "cannot delete NATS bucket " + target.acksBucket() + ": " + e, e);
        }
      }
    }
  }

  private static void removeKafka(ChangeLogTarget target)
      throws InterruptedException, TimeoutException {
    try (Admin admin = kafkaAdmin(target)) {
      Set<String> existing = admin.listTopics().names().get(20, TimeUnit.SECONDS);
      List<String> doomed =
          List.of(target.topic(), target.positionsTopic()).stream()
              .filter(existing::contains)
              .toList();
      if (!doomed.isEmpty()) {
        admin.deleteTopics(doomed).all().get(30, TimeUnit.SECONDS);
      }
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
        throw new ChangeLogException("cannot delete the Kafka topics: " + e.getCause(), e);
      }
    }
  }

  private static void removePostgres(DatabaseEndpoint db) throws SQLException {
    try (var c = db.connect();
        Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + ChangeLogTarget.POSTGRES_SCHEMA + " CASCADE");
    }
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  /**
   * The change log could not be created, reached or removed; the message says why, the reason (for
   * the {@code ChangeLogReady} condition) what kind of failure it is.
   */
  public static final class ChangeLogException extends RuntimeException {
    /** A server of the change log cannot be reached or is not accepting connections yet. */
    public static final String UNREACHABLE = "Unreachable";

    /** The backend refused a setting of {@code spec.nats} or {@code spec.kafka}: the user's. */
    public static final String SETTING_REFUSED = ObservedPipeline.CHANGE_LOG_SETTING_REFUSED;

    /** Any other failure. */
    public static final String UNAVAILABLE = ObservedPipeline.CHANGE_LOG_UNAVAILABLE;

    /**
     * Not a failure: the change log works with fewer copies in sync than it should have ({@link
     * #ensure}'s result; the condition stays True).
     */
    public static final String UNDER_REPLICATED = ObservedPipeline.CHANGE_LOG_UNDER_REPLICATED;

    private final String reason;

    public ChangeLogException(String message, Throwable cause) {
      this(message, cause, UNAVAILABLE);
    }

    public ChangeLogException(String message, Throwable cause, String reason) {
      super(message, cause);
      this.reason = reason;
    }

    /**
     * @return {@link #UNREACHABLE}, {@link #SETTING_REFUSED} or {@link #UNAVAILABLE}
     */
    public String reason() {
      return reason;
    }
  }
}

package io.pgtrickle.changelog.nats;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueStatus;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import io.nats.client.impl.ErrorListenerLoggerImpl;
import io.nats.client.support.Status;
import io.pgtrickle.changelog.ChangeLogConfig;
import io.pgtrickle.changelog.ChangeLogConfigException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@link NatsBackend#open} sets up before the backend runs: the connection to the one server
 * the URI names, the JetStream stream (created if missing, checked if it exists) and the key-value
 * bucket of acknowledgments.
 */
final class NatsSetup {

  private static final Logger LOG = LoggerFactory.getLogger(NatsSetup.class);

  private NatsSetup() {}

  /**
   * The one server the URI names, as jnats is given it: {@code nats://[user:password@]host:port}.
   *
   * @throws ChangeLogConfigException naming {@code uri} if java.net.URI finds no server host in it
   */
  static String server(ChangeLogConfig config) {
    if (config.uri().getHost() == null) {
      // A list, '_', a blank or '%' makes the authority registry-based: no host, and jnats
      // dialled nats://null:4222.
      throw new ChangeLogConfigException(
          "uri",
          "names no server host: "
              + config.redacted()
              + "; give one server, nats://host:port (a DNS name of letters, digits, '-' and '.',"
              + " an IPv4 address or [an IPv6 address]); a NATS cluster tells clients its other"
              + " servers");
    }
    return "nats://"
        + (config.uri().getRawUserInfo() == null ? "" : config.uri().getRawUserInfo() + "@")
        + config.uri().getHost()
        + ":"
        + (config.uri().getPort() < 0 ? 4222 : config.uri().getPort());
  }

  /**
   * Connects to the URI's server (reconnecting for ever once connected).
   *
   * @throws ChangeLogConfigException naming {@code uri} if the server cannot be reached
   */
  static Connection connect(ChangeLogConfig config) {
    Options options =
        new Options.Builder()
            .server(server(config))
            .connectionName("pgtrickle-changelog-" + config.consumerName())
            .connectionTimeout(Duration.ofSeconds(5))
            .maxReconnects(-1)
            .reconnectWait(Duration.ofMillis(250))
            .errorListener(new QuietPullEnds())
            .build();
    try {
      return Nats.connect(options);
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new ChangeLogConfigException(
          "uri", "cannot connect to NATS at " + config.redacted() + ": " + e.getMessage(), e);
    }
  }

  /**
   * jnats' logging listener, less its warning for every pull the server ends with a status: a
   * reader's no-wait pulls end so as a rule (no more messages, or the next one past the byte
   * limit).
   */
  private static final class QuietPullEnds extends ErrorListenerLoggerImpl {
    @Override
    public void pullStatusWarning(Connection conn, JetStreamSubscription sub, Status status) {}
  }

  /**
   * Creates the stream if missing; an existing one must cover the subjects and, where the URI sets
   * it, have the same duplicate window (a setting of the stream's creation). Where the URI sets
   * {@code replicas} and the stream has another count, the stream is changed to it: JetStream adds
   * or removes copies and keeps the messages (a NATS cluster of at least that many servers is
   * needed).
   *
   * @throws ChangeLogConfigException naming the parameter an existing stream contradicts, or the
   *     replicas JetStream refuses, with its reason
   */
  static void ensureStream(
      JetStreamManagement jsm,
      String stream,
      String prefix,
      Duration dedup,
      int replicas,
      ChangeLogConfig config)
      throws Exception {
    String subjects = prefix + ".>";
    try {
      StreamInfo info = jsm.getStreamInfo(stream);
      StreamConfiguration existing = info.getConfiguration();
      if (!existing.getSubjects().contains(subjects)) {
        throw new ChangeLogConfigException(
            "subjectPrefix",
            "stream '"
                + stream
                + "' exists with subjects "
                + existing.getSubjects()
                + ", not "
                + subjects);
      }
      // Both are settings of the stream's creation: a different value given for an existing
      // stream would otherwise be ignored without a word.
      if (config.params().containsKey("dedupWindowS")
          && !dedup.equals(existing.getDuplicateWindow())) {
        throw new ChangeLogConfigException(
            "dedupWindowS",
            "stream '"
                + stream
                + "' exists with a duplicate window of "
                + existing.getDuplicateWindow().toSeconds()
                + " s, not "
                + dedup.toSeconds()
                + " s (it is set when the stream is created)");
      }
      if (config.params().containsKey("replicas") && existing.getReplicas() != replicas) {
        changeReplicas(
            "stream '" + stream + "'",
            existing.getReplicas(),
            replicas,
            () ->
                jsm.updateStream(StreamConfiguration.builder(existing).replicas(replicas).build())
                    .getConfiguration()
                    .getReplicas());
      }
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() != 10059) { // stream not found
        throw e;
      }
      int created =
          jsm.addStream(
                  StreamConfiguration.builder()
                      .name(stream)
                      .subjects(subjects)
                      .storageType(StorageType.File)
                      .replicas(replicas)
                      .duplicateWindow(dedup)
                      .build())
              .getConfiguration()
              .getReplicas();
      requireReplicas("stream '" + stream + "'", created, replicas);
    }
  }

  /**
   * The key-value bucket of acknowledgments that end inside a message, created if missing; with
   * {@code setReplicas}, an existing one with another count of replicas is changed to it, as the
   * stream is ({@link #ensureStream}).
   */
  static KeyValue ensurePositions(
      Connection connection, String bucket, int replicas, boolean setReplicas) throws Exception {
    KeyValueManagement kvm = connection.keyValueManagement();
    try {
      KeyValueStatus status = kvm.getStatus(bucket);
      if (setReplicas && status.getReplicas() != replicas) {
        changeReplicas(
            "bucket '" + bucket + "'",
            status.getReplicas(),
            replicas,
            () ->
                kvm.update(
                        KeyValueConfiguration.builder(status.getConfiguration())
                            .replicas(replicas)
                            .build())
                    .getReplicas());
      }
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() != 10059) { // bucket (stream) not found
        throw e;
      }
      int created =
          kvm.create(
                  KeyValueConfiguration.builder()
                      .name(bucket)
                      .storageType(StorageType.File)
                      .replicas(replicas)
                      .maxHistoryPerKey(1)
                      .build())
              .getReplicas();
      requireReplicas("bucket '" + bucket + "'", created, replicas);
    }
    return connection.keyValue(bucket);
  }

  /**
   * More than one replica needs a NATS cluster: a server alone accepts {@code replicas: 3} and
   * keeps one copy, which would be a silent no-op.
   *
   * @throws ChangeLogConfigException naming {@code replicas}
   */
  static void requireCluster(Connection connection, int replicas) {
    if (replicas > 1 && connection.getServerInfo().getCluster() == null) {
      throw new ChangeLogConfigException(
          "replicas",
          replicas
              + " asked, but NATS server "
              + connection.getServerInfo().getServerName()
              + " is not in a cluster and keeps one copy ("
              + CLUSTER_NEEDED
              + ")");
    }
  }

  /** A change of JetStream's that may be refused; returns the replicas it then has. */
  @FunctionalInterface
  private interface Update {
    int run() throws Exception;
  }

  private static final String CLUSTER_NEEDED =
      "more replicas than 1 need a NATS cluster of at least that many servers";

  private static void changeReplicas(String what, int from, int to, Update update)
      throws Exception {
    int now;
    try {
      now = update.run();
    } catch (JetStreamApiException e) {
      throw new ChangeLogConfigException(
          "replicas",
          what
              + " has "
              + from
              + " replica(s) and JetStream refused to change it to "
              + to
              + ": "
              + e.getErrorDescription()
              + " (error "
              + e.getApiErrorCode()
              + "; "
              + CLUSTER_NEEDED
              + ")");
    }
    requireReplicas(what, now, to);
    LOG.info("{} changed from {} to {} replica(s)", what, from, to);
  }

  /**
   * A server outside a cluster takes a request for more replicas and keeps one copy: that would be
   * a silent no-op, so it fails naming {@code replicas}.
   */
  private static void requireReplicas(String what, int has, int asked) {
    if (has != asked) {
      throw new ChangeLogConfigException(
          "replicas",
          what
              + " has "
              + has
              + " replica(s), not the "
              + asked
              + " asked: JetStream keeps "
              + has
              + " here ("
              + CLUSTER_NEEDED
              + ")");
    }
  }
}

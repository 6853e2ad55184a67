package io.pgtrickle.changelog.kafka;

import io.pgtrickle.changelog.ChangeLogConfigException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/** Checks that the brokers answer and creates the event and positions topics if missing. */
final class KafkaTopics {

  private KafkaTopics() {}

  static void ensure(
      Properties base,
      String redactedUri,
      String topic,
      int partitions,
      Optional<Short> replication) {
    Properties p = new Properties();
    p.putAll(base);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
    try (Admin admin = Admin.create(p)) {
      try {
        admin.describeCluster().nodes().get(15, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new ChangeLogConfigException(
            "uri", "cannot reach Kafka at " + redactedUri + ": " + e, e);
      }
      try {
        Set<String> existing = admin.listTopics().names().get(15, TimeUnit.SECONDS);
        if (!existing.contains(topic)) {
          create(admin, new NewTopic(topic, Optional.of(partitions), replication));
        }
        String positions = topic + KafkaBackend.POSITIONS_SUFFIX;
        if (!existing.contains(positions)) {
          create(
              admin,
              new NewTopic(positions, Optional.of(1), replication)
                  .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, "compact")));
        }
      } catch (ChangeLogConfigException e) {
        throw e;
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        throw new ChangeLogConfigException(
            "topic", "cannot create or list topic '" + topic + "': " + e, e);
      }
    }
  }

  private static void create(Admin admin, NewTopic topic) throws Exception {
    try {
      admin.createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw e; // a concurrent opener creating it first is fine; anything else is not
      }
    }
  }
}

package io.pgtrickle.operator.events;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes Events for the transitions users care about (failover, scaling, phase changes).
 * Recording is best effort: an Event that cannot be written is logged, never fails a reconcile. The
 * same Event (object, type, reason, message) recorded again within {@link RecentEvents#WINDOW} is
 * dropped ({@link RecentEvents}).
 */
public final class EventRecorder {

  public static final String COMPONENT = "pg-trickle-operator";
  private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);

  private static final RecentEvents RECENT = new RecentEvents();

  private EventRecorder() {}

  public static void normal(
      KubernetesClient client, HasMetadata involved, String reason, String message) {
    record(client, involved, "Normal", reason, message);
  }

  public static void warning(
      KubernetesClient client, HasMetadata involved, String reason, String message) {
    record(client, involved, "Warning", reason, message);
  }

  private static void record(
      KubernetesClient client, HasMetadata involved, String type, String reason, String message) {
    String key =
        involved.getMetadata().getUid()
            + "/"
            + involved.getMetadata().getName()
            + "/"
            + type
            + "/"
            + reason
            + "/"
            + message;
    if (!RECENT.first(key, Instant.now())) {
      LOG.debug(
          "event {} for {} recorded within {} already; not again",
          reason,
          involved.getMetadata().getName(),
          RecentEvents.WINDOW);
      return;
    }
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    String name =
        involved.getMetadata().getName()
            + "."
            + Long.toHexString(System.currentTimeMillis())
            + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xffff));
    try {
      client
          .v1()
          .events()
          .inNamespace(involved.getMetadata().getNamespace())
          .resource(
              new EventBuilder()
                  .withNewMetadata()
                  .withName(name.toLowerCase(Locale.ROOT))
                  .withNamespace(involved.getMetadata().getNamespace())
                  .endMetadata()
                  .withInvolvedObject(
                      new ObjectReferenceBuilder()
                          .withApiVersion(involved.getApiVersion())
                          .withKind(involved.getKind())
                          .withName(involved.getMetadata().getName())
                          .withNamespace(involved.getMetadata().getNamespace())
                          .withUid(involved.getMetadata().getUid())
                          .build())
                  .withType(type)
                  .withReason(reason)
                  .withMessage(message)
                  .withFirstTimestamp(now)
                  .withLastTimestamp(now)
                  .withCount(1)
                  .withNewSource()
                  .withComponent(COMPONENT)
                  .endSource()
                  .build())
          .create();
    } catch (KubernetesClientException e) {
      LOG.warn(
          "could not record event {} for {}: {}",
          reason,
          involved.getMetadata().getName(),
          e.getMessage());
    }
  }
}

package io.pgtrickle.testbed;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kubelet's prober for program pods (HTTP GET probes on the pod IP; a status of 200 to 399
 * passes). A startup probe, when the container has one, comes first: at its {@code periodSeconds}
 * after {@code initialDelaySeconds} until it passes once (the pod stays not ready and liveness is
 * not looked at meanwhile), {@code failureThreshold} failures hand the program to {@code
 * onUnhealthy}. Then readiness is looked at every second and sets the pod's Ready condition;
 * liveness at the probe's {@code periodSeconds} after {@code initialDelaySeconds}, and {@code
 * failureThreshold} failures in a row hand the program to {@code onUnhealthy} (the kubelet restarts
 * the container).
 */
final class ProgramProbes {

  private static final Logger LOG = LoggerFactory.getLogger(ProgramProbes.class);

  private final KubernetesClient client;
  private final String namespace;
  private final Consumer<ProgramProcess> onUnhealthy;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

  ProgramProbes(KubernetesClient client, String namespace, Consumer<ProgramProcess> onUnhealthy) {
    this.client = client;
    this.namespace = namespace;
    this.onUnhealthy = onUnhealthy;
  }

  void probe(List<ProgramProcess> programs) {
    for (ProgramProcess program : programs) {
      if (!program.alive() || program.stopping) {
        continue;
      }
      try {
        if (!startup(program)) {
          continue;
        }
        liveness(program);
        readiness(program);
      } catch (RuntimeException e) {
        LOG.debug("probes of {} not done: {}", program.podName(), e.toString());
      }
    }
  }

  /**
   * The startup probe, if the container has one: until it passes, liveness and readiness are not
   * run (the pod stays not ready); {@code failureThreshold} failures restart the program.
   *
   * @return whether the program has started (no startup probe: at once)
   */
  private boolean startup(ProgramProcess program) {
    Container container = program.container();
    Probe probe = container.getStartupProbe();
    if (probe == null || probe.getHttpGet() == null) {
      program.startupPassed = true; // no startup probe: started at once (liveness counts)
    }
    if (program.startupPassed) {
      return true;
    }
    Instant now = Instant.now();
    if (program.nextStartup == null) {
      program.nextStartup =
          program.started().plusSeconds(orDefault(probe.getInitialDelaySeconds(), 0));
    }
    if (now.isBefore(program.nextStartup)) {
      return false;
    }
    program.nextStartup = now.plusSeconds(orDefault(probe.getPeriodSeconds(), 10));
    if (get(program, container, probe)) {
      program.startupPassed = true;
      // Liveness counts from here, as the kubelet's does once the startup probe has passed.
      program.nextLiveness =
          now.plusSeconds(
              container.getLivenessProbe() == null
                  ? 0
                  : orDefault(container.getLivenessProbe().getPeriodSeconds(), 10));
      return true;
    }
    if (++program.startupFailures >= orDefault(probe.getFailureThreshold(), 3)) {
      program.stopping = true;
      onUnhealthy.accept(program);
    }
    return false;
  }

  private void liveness(ProgramProcess program) {
    Container container = program.container();
    Probe probe = container.getLivenessProbe();
    if (probe == null || probe.getHttpGet() == null) {
      return;
    }
    Instant now = Instant.now();
    if (program.nextLiveness == null) {
      program.nextLiveness =
          program.started().plusSeconds(orDefault(probe.getInitialDelaySeconds(), 0));
    }
    if (now.isBefore(program.nextLiveness)) {
      return;
    }
    program.nextLiveness = now.plusSeconds(orDefault(probe.getPeriodSeconds(), 10));
    if (get(program, container, probe)) {
      program.livenessFailures = 0;
    } else if (++program.livenessFailures >= orDefault(probe.getFailureThreshold(), 3)) {
      program.stopping = true;
      onUnhealthy.accept(program);
    }
  }

  private void readiness(ProgramProcess program) {
    Container container = program.container();
    Probe probe = container.getReadinessProbe();
    if (probe == null || probe.getHttpGet() == null) {
      return;
    }
    boolean ready = get(program, container, probe);
    String name = program.podName();
    Pod current = client.pods().inNamespace(namespace).withName(name).get();
    if (current == null
        || !program.pod().getMetadata().getUid().equals(current.getMetadata().getUid())
        || current.getStatus() == null
        || current.getStatus().getConditions() == null) {
      return;
    }
    KubeletStatus.reportReady(client, namespace, current, ready);
  }

  private boolean get(ProgramProcess program, Container container, Probe probe) {
    HTTPGetAction get = probe.getHttpGet();
    int port =
        get.getPort().getIntVal() != null
            ? get.getPort().getIntVal()
            : container.getPorts().stream()
                .filter(p -> get.getPort().getStrVal().equals(p.getName()))
                .findFirst()
                .orElseThrow()
                .getContainerPort();
    try {
      HttpResponse<Void> response =
          http.send(
              HttpRequest.newBuilder(
                      URI.create("http://" + program.ip() + ":" + port + get.getPath()))
                  .timeout(Duration.ofSeconds(orDefault(probe.getTimeoutSeconds(), 1)))
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      return response.statusCode() >= 200 && response.statusCode() < 400;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static int orDefault(Integer value, int otherwise) {
    return value == null ? otherwise : value;
  }
}

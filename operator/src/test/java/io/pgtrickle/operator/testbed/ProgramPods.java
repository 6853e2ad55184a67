package io.pgtrickle.operator.testbed;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plays the kubelet and container runtime for pods of this project's own programs (the CDC consumer
 * and the worker of a StreamTableCluster) in one namespace: once kwok gave a pod its loopback IP,
 * the real program runs for it, started by the launcher mapped to the container's image, with the
 * container's arguments and exactly its environment (downward API, Secret references and {@code
 * $(VAR)} references resolved as the kubelet does) plus {@code HOSTNAME} and {@code
 * PGTRICKLE_HTTP_ADDRESS} (the pod IP: pods share the host's network here, so each program listens
 * on its own address). The readiness probe (HTTP GET on the pod IP) decides the pod's Ready
 * condition; a program that exits is started again (a Job's is not); a deleted pod gets SIGTERM,
 * its grace period, then SIGKILL, and stays Terminating until its program exited ({@link
 * GracefulTermination}).
 *
 * <p>Job pods: kwok's pod-complete stage reports them Succeeded at once; the program still runs to
 * its end here, holding the pod until then.
 */
public final class ProgramPods implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ProgramPods.class);

  /** How long a deleted Job pod's program may still run to its end. */
  private static final long JOB_FINISH_SECONDS = 120;

  private static final Pattern REFERENCE = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

  /** From a container to the command that runs its image's program (its args follow). */
  public interface Launcher extends Function<Container, List<String>> {}

  private record Running(Process process, String ip, Pod pod) {}

  private final KubernetesClient client;
  private final String namespace;
  private final Map<String, Launcher> launchers;
  private final Path work;
  private final GracefulTermination termination;
  private final Map<String, Running> running = new ConcurrentHashMap<>();
  private final SharedIndexInformer<Pod> informer;
  private final ScheduledExecutorService prober =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "program-pods-prober");
            t.setDaemon(true);
            return t;
          });
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

  /**
   * @param launchers by a substring of the image name, e.g. {@code "cdc-consumer"}
   */
  public ProgramPods(TestBed testBed, String namespace, Map<String, Launcher> launchers) {
    this.client = testBed.client();
    this.namespace = namespace;
    this.launchers = Map.copyOf(launchers);
    this.work = testBed.repositoryRootPath().resolve("target/testbed/programs").resolve(namespace);
    this.termination = new GracefulTermination(client, namespace);
    this.informer =
        client
            .pods()
            .inNamespace(namespace)
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(Pod pod) {
                    reconcile(pod);
                  }

                  @Override
                  public void onUpdate(Pod old, Pod pod) {
                    reconcile(pod);
                  }

                  @Override
                  public void onDelete(Pod pod, boolean unknown) {
                    stop(key(pod), 0, false);
                  }
                });
    prober.scheduleWithFixedDelay(this::probeAll, 1, 1, TimeUnit.SECONDS);
    Runtime.getRuntime().addShutdownHook(new Thread(this::close, "program-pods-shutdown"));
  }

  /** The log of a pod's program (every incarnation). */
  public Path log(String pod) {
    return work.resolve(pod + ".log");
  }

  /** SIGKILL of a pod's program, as when its container dies; it is started again. */
  public void crash(String pod) {
    running.entrySet().stream()
        .filter(e -> e.getKey().startsWith(pod + "/"))
        .forEach(e -> e.getValue().process().destroyForcibly());
  }

  private synchronized void reconcile(Pod pod) {
    String key = key(pod);
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      long grace =
          pod.getSpec().getTerminationGracePeriodSeconds() == null
              ? 30
              : pod.getSpec().getTerminationGracePeriodSeconds();
      boolean job =
          pod.getSpec().getRestartPolicy() != null
              && !"Always".equals(pod.getSpec().getRestartPolicy());
      // A Job pod: kwok already reported it Succeeded, so its Job may be deleted while the program
      // still runs; a kubelet would only have reported the real end. Let it finish first.
      Thread t =
          new Thread(() -> stop(key, job ? JOB_FINISH_SECONDS : grace, job), "program-pods-stop");
      t.setDaemon(true);
      t.start();
      return;
    }
    String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
    Launcher launcher = launcher(pod);
    if (ip == null || launcher == null || running.containsKey(key) || finished(pod)) {
      return;
    }
    try {
      termination.hold(pod);
      running.put(key, new Running(start(pod, ip, launcher), ip, pod));
    } catch (IOException | RuntimeException e) {
      LOG.error(
          "cannot start the program of pod {}: {}", pod.getMetadata().getName(), e.toString());
    }
  }

  /** A Job pod whose program already ran to its end (kwok reports it Succeeded meanwhile). */
  private boolean finished(Pod pod) {
    return Files.exists(doneMarker(pod));
  }

  private Path doneMarker(Pod pod) {
    return work.resolve(pod.getMetadata().getName() + "-" + pod.getMetadata().getUid() + ".done");
  }

  private Launcher launcher(Pod pod) {
    String image = pod.getSpec().getContainers().get(0).getImage();
    return launchers.entrySet().stream()
        .filter(e -> image.contains(e.getKey()))
        .map(Map.Entry::getValue)
        .findFirst()
        .orElse(null);
  }

  private Process start(Pod pod, String ip, Launcher launcher) throws IOException {
    Files.createDirectories(work);
    Container container = pod.getSpec().getContainers().get(0);
    List<String> command = new ArrayList<>(launcher.apply(container));
    if (container.getArgs() != null) {
      command.addAll(container.getArgs());
    }
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(
                ProcessBuilder.Redirect.appendTo(log(pod.getMetadata().getName()).toFile()));
    builder.environment().clear();
    builder.environment().putAll(environment(pod, container, ip));
    builder.environment().put("PATH", "/usr/local/bin:/usr/bin:/bin");
    LOG.info("starting {} for pod {} on {}", container.getImage(), pod.getMetadata().getName(), ip);
    Process process = builder.start();
    String key = key(pod);
    process
        .onExit()
        .thenRun(
            () -> {
              Running r = running.get(key);
              if (r == null || r.process() != process) {
                return; // stopped on purpose
              }
              running.remove(key);
              boolean job =
                  pod.getSpec().getRestartPolicy() != null
                      && !"Always".equals(pod.getSpec().getRestartPolicy());
              if (!job || process.exitValue() != 0) {
                LOG.info(
                    "program of pod {} exited {}; starting it again",
                    pod.getMetadata().getName(),
                    process.exitValue());
                prober.schedule(
                    () -> {
                      Pod current =
                          client
                              .pods()
                              .inNamespace(namespace)
                              .withName(pod.getMetadata().getName())
                              .get();
                      if (current != null && key.equals(key(current))) {
                        reconcile(current);
                      }
                    },
                    1,
                    TimeUnit.SECONDS);
              } else {
                try {
                  Files.writeString(doneMarker(pod), "0");
                } catch (IOException e) {
                  LOG.debug("cannot mark {} done: {}", key, e.toString());
                }
                release(key);
              }
            });
    return process;
  }

  private void stop(String key, long graceSeconds, boolean letFinish) {
    Running r = running.remove(key);
    if (r != null) {
      if (!letFinish) {
        r.process().destroy();
      }
      try {
        if (!r.process().waitFor(Math.max(1, graceSeconds), TimeUnit.SECONDS)) {
          r.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    release(key);
  }

  private void release(String key) {
    int slash = key.indexOf('/');
    try {
      termination.release(key.substring(0, slash), key.substring(slash + 1));
    } catch (RuntimeException e) {
      LOG.debug("cannot release {}: {}", key, e.toString());
    }
  }

  /** The kubelet's readiness probe: HTTP GET on the pod IP decides Ready. */
  private void probeAll() {
    for (var entry : List.copyOf(running.entrySet())) {
      Running r = entry.getValue();
      Container container = r.pod().getSpec().getContainers().get(0);
      if (container.getReadinessProbe() == null
          || container.getReadinessProbe().getHttpGet() == null) {
        continue;
      }
      var get = container.getReadinessProbe().getHttpGet();
      int port =
          get.getPort().getIntVal() != null
              ? get.getPort().getIntVal()
              : container.getPorts().stream()
                  .filter(p -> get.getPort().getStrVal().equals(p.getName()))
                  .findFirst()
                  .orElseThrow()
                  .getContainerPort();
      boolean ready = get(r.ip(), port, get.getPath());
      String name = r.pod().getMetadata().getName();
      try {
        Pod current = client.pods().inNamespace(namespace).withName(name).get();
        if (current == null
            || !entry.getKey().equals(key(current))
            || current.getStatus() == null) {
          continue;
        }
        String wanted = ready ? "True" : "False";
        boolean differs =
            current.getStatus().getConditions() != null
                && current.getStatus().getConditions().stream()
                    .anyMatch(c -> "Ready".equals(c.getType()) && !wanted.equals(c.getStatus()));
        if (differs) {
          client
              .pods()
              .inNamespace(namespace)
              .withName(name)
              .editStatus(
                  p -> {
                    KubeletStatus.markReady(p, ready);
                    return p;
                  });
        }
      } catch (RuntimeException e) {
        LOG.debug("readiness of {} not updated: {}", name, e.toString());
      }
    }
  }

  private boolean get(String ip, int port, String path) {
    try {
      HttpResponse<Void> response =
          http.send(
              HttpRequest.newBuilder(URI.create("http://" + ip + ":" + port + path))
                  .timeout(Duration.ofSeconds(1))
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

  /** The container's environment as the kubelet builds it, plus what the host network needs. */
  private Map<String, String> environment(Pod pod, Container container, String ip) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("HOSTNAME", pod.getMetadata().getName());
    for (EnvVar var : container.getEnv() == null ? List.<EnvVar>of() : container.getEnv()) {
      String value;
      if (var.getValueFrom() != null && var.getValueFrom().getFieldRef() != null) {
        value =
            switch (var.getValueFrom().getFieldRef().getFieldPath()) {
              case "metadata.name" -> pod.getMetadata().getName();
              case "metadata.namespace" -> namespace;
              case "status.podIP" -> ip;
              default ->
                  throw new IllegalArgumentException(
                      "unsupported fieldRef " + var.getValueFrom().getFieldRef().getFieldPath());
            };
      } else if (var.getValueFrom() != null && var.getValueFrom().getSecretKeyRef() != null) {
        var ref = var.getValueFrom().getSecretKeyRef();
        Secret secret = client.secrets().inNamespace(namespace).withName(ref.getName()).get();
        String data =
            secret == null || secret.getData() == null ? null : secret.getData().get(ref.getKey());
        if (data == null) {
          throw new IllegalStateException(
              "Secret "
                  + ref.getName()
                  + " key "
                  + ref.getKey()
                  + " not found (CreateContainerConfigError)");
        }
        value = new String(Base64.getDecoder().decode(data), StandardCharsets.UTF_8);
      } else {
        value = expand(var.getValue() == null ? "" : var.getValue(), env);
      }
      env.put(var.getName(), value);
    }
    env.put("PGTRICKLE_HTTP_ADDRESS", ip);
    return env;
  }

  private static String expand(String value, Map<String, String> env) {
    Matcher m = REFERENCE.matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(env.getOrDefault(m.group(1), m.group())));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static String key(Pod pod) {
    return pod.getMetadata().getName() + "/" + pod.getMetadata().getUid();
  }

  @Override
  public synchronized void close() {
    if (prober.isShutdown()) {
      return;
    }
    prober.shutdownNow();
    informer.close();
    List.copyOf(running.keySet()).forEach(k -> stop(k, 10, false));
  }
}

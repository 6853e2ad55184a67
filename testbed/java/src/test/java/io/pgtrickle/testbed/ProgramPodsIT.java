package io.pgtrickle.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The program-pod player on the real test bed, with a small program of its own ({@code
 * EchoProgram.java}, run in source-file mode as the "image" {@code echo-program}) behind a
 * Deployment's pods: the container's environment (Secret, downward API, {@code $(VAR)}), the pod's
 * user, HOSTNAME and address; readiness and liveness probes acting as the kubelet's; cluster DNS
 * (Service, headless Service, names qualified and not) and Service routing to ready pods only; a
 * crash reported and restarted; a deleted pod Terminating until its program drained.
 */
class ProgramPodsIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private static ProgramPods programs;

  /** {@code EchoProgram.java} in source-file mode, for the image {@code echo-program}. */
  static Launcher echoLauncher() throws java.net.URISyntaxException {
    Path source = Path.of(ProgramPodsIT.class.getResource("/EchoProgram.java").toURI());
    return launch -> {
      List<String> command =
          new java.util.ArrayList<>(
              List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
      command.addAll(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx64m"));
      command.addAll(launch.jvmOptions());
      command.add(source.toString());
      return command;
    };
  }

  @BeforeAll
  static void start() throws Exception {
    programs =
        new ProgramPods(
            NAMESPACE.testBed(), NAMESPACE.name(), Map.of("echo-program", echoLauncher()));
    KubernetesClient client = NAMESPACE.client();
    String ns = NAMESPACE.name();
    client
        .secrets()
        .inNamespace(ns)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("echo-secret")
                .endMetadata()
                .withStringData(Map.of("token", "s3cret"))
                .build())
        .create();
    client
        .apps()
        .deployments()
        .inNamespace(ns)
        .resource(
            new DeploymentBuilder()
                .withNewMetadata()
                .withName("echo")
                .endMetadata()
                .withNewSpec()
                .withReplicas(2)
                .withNewSelector()
                .addToMatchLabels("app", "echo")
                .endSelector()
                .withNewTemplate()
                .withNewMetadata()
                .addToLabels("app", "echo")
                .endMetadata()
                .withNewSpec()
                .withTerminationGracePeriodSeconds(20L)
                .withNewSecurityContext()
                .withRunAsUser(1000L)
                .withRunAsGroup(1000L)
                .endSecurityContext()
                .addNewContainer()
                .withName("echo")
                .withImage("example.org/testbed/echo-program:1")
                .addNewPort()
                .withName("http")
                .withContainerPort(8080)
                .endPort()
                .addNewEnv()
                .withName("POD")
                .withNewValueFrom()
                .withNewFieldRef()
                .withFieldPath("metadata.name")
                .endFieldRef()
                .endValueFrom()
                .endEnv()
                .addNewEnv()
                .withName("TOKEN")
                .withNewValueFrom()
                .withNewSecretKeyRef()
                .withName("echo-secret")
                .withKey("token")
                .endSecretKeyRef()
                .endValueFrom()
                .endEnv()
                .addNewEnv()
                .withName("GREETING")
                .withValue("hello $(POD), $$(POD) stays")
                .endEnv()
                .withNewReadinessProbe()
                .withNewHttpGet()
                .withPath("/readyz")
                .withPort(new IntOrString("http"))
                .endHttpGet()
                .endReadinessProbe()
                .withNewLivenessProbe()
                .withNewHttpGet()
                .withPath("/healthz")
                .withPort(new IntOrString("http"))
                .endHttpGet()
                // The source-file program compiles at start: seconds on a busy machine.
                .withInitialDelaySeconds(30)
                .withPeriodSeconds(1)
                .withFailureThreshold(2)
                .endLivenessProbe()
                .endContainer()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build())
        .create();
    for (String name : List.of("echo", "echo-pods")) {
      client
          .services()
          .inNamespace(ns)
          .resource(
              new ServiceBuilder()
                  .withNewMetadata()
                  .withName(name)
                  .endMetadata()
                  .withNewSpec()
                  .withClusterIP(name.equals("echo") ? null : "None")
                  .addToSelector("app", "echo")
                  .addNewPort()
                  .withName("http")
                  .withPort(80)
                  .withTargetPort(new IntOrString("http"))
                  .endPort()
                  .endSpec()
                  .build())
          .create();
    }
  }

  @AfterAll
  static void stop() {
    if (programs != null) {
      programs.close();
    }
  }

  @Test
  void programsRunAsThePodsSayAndReachEachOtherThroughServices() throws Exception {
    List<Pod> pods = awaitReady(2);
    Pod a = pods.get(0);
    Pod b = pods.get(1);
    String aName = a.getMetadata().getName();

    // The container's environment, user, name and address.
    assertThat(get(a, "/env?name=TOKEN")).isEqualTo("s3cret");
    assertThat(get(a, "/env?name=GREETING")).isEqualTo("hello " + aName + ", $(POD) stays");
    assertThat(get(a, "/whoami")).isEqualTo(aName);
    assertThat(get(a, "/uid")).isEqualTo("1000");

    // Cluster DNS: the Service's virtual address, short and qualified; the headless Service's
    // ready pods.
    String ns = NAMESPACE.name();
    String virtual = programs.routing().virtualAddress("echo").orElseThrow();
    assertThat(virtual).startsWith("127." + NAMESPACE.testBed().podNet() + ".");
    assertThat(get(a, "/resolve?name=echo")).isEqualTo(virtual);
    assertThat(get(a, "/resolve?name=echo." + ns + ".svc.cluster.local")).isEqualTo(virtual);
    assertThat(get(a, "/resolve?name=echo-pods")).isEqualTo(sortedIps(a, b));

    // Service routing: connections spread over the ready pods ...
    Set<String> answered = new HashSet<>();
    for (int i = 0; i < 40 && answered.size() < 2; i++) {
      answered.add(get(a, "/fetch?url=" + encode("http://echo." + ns + ".svc/whoami")));
    }
    assertThat(answered).containsExactlyInAnyOrder(aName, b.getMetadata().getName());
    // ... and only over ready ones: a's readiness probe now fails.
    Path unready = tmp(aName).resolve("unready");
    Files.writeString(unready, "");
    await().atMost(WAIT).until(() -> !ready(aName));
    await()
        .atMost(WAIT)
        .untilAsserted(() -> assertThat(get(a, "/resolve?name=echo-pods")).isEqualTo(ip(b)));
    for (int i = 0; i < 10; i++) {
      assertThat(get(a, "/fetch?url=" + encode("http://echo/whoami")))
          .isEqualTo(b.getMetadata().getName());
    }
    Files.delete(unready);
    await().atMost(WAIT).until(() -> ready(aName));
  }

  @Test
  void livenessFailuresAndCrashesRestartTheProgramAsTheKubeletWould() throws Exception {
    List<Pod> pods = awaitReady(2);
    String name = pods.get(1).getMetadata().getName();
    Path sick = tmp(name).resolve("sick");
    Files.writeString(sick, "");
    await().atMost(WAIT).until(() -> restarts(name) >= 1);
    Files.deleteIfExists(sick);
    assertThat(Files.readString(programs.log(name))).contains("liveness probe failed");
    await().atMost(WAIT).until(() -> ready(name));

    int before = restarts(name);
    programs.crash(name);
    // The back-off after a second failure within 10 minutes is the kubelet's 10 s.
    await().atMost(WAIT).until(() -> restarts(name) > before && ready(name));
  }

  @Test
  void aDeletedPodStaysTerminatingUntilItsProgramDrained() throws Exception {
    List<Pod> pods = awaitReady(2);
    String name = pods.get(0).getMetadata().getName();
    NAMESPACE.client().pods().inNamespace(NAMESPACE.name()).withName(name).delete();
    await()
        .atMost(WAIT)
        .until(
            () ->
                NAMESPACE.client().pods().inNamespace(NAMESPACE.name()).withName(name).get()
                    == null);
    String log = Files.readString(programs.log(name));
    assertThat(log).contains("SIGTERM: draining").contains("drained");
    assertThat(programs.running(name)).isFalse();
    awaitReady(2);
  }

  /** {@code count} pods Ready, their programs answering. */
  private static List<Pod> awaitReady(int count) {
    await()
        .atMost(WAIT)
        .ignoreExceptions()
        .until(
            () -> {
              List<Pod> ready = readyPods();
              for (Pod p : ready) {
                assertThat(get(p, "/whoami")).isEqualTo(p.getMetadata().getName());
              }
              return ready.size() == count;
            });
    return readyPods();
  }

  private static List<Pod> readyPods() {
    return NAMESPACE
        .client()
        .pods()
        .inNamespace(NAMESPACE.name())
        .withLabel("app", "echo")
        .list()
        .getItems()
        .stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .filter(p -> ready(p.getMetadata().getName()))
        .sorted(java.util.Comparator.comparing(p -> p.getMetadata().getName()))
        .toList();
  }

  private static boolean ready(String pod) {
    Pod p = NAMESPACE.client().pods().inNamespace(NAMESPACE.name()).withName(pod).get();
    return p != null
        && p.getStatus() != null
        && p.getStatus().getConditions() != null
        && p.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private static int restarts(String pod) {
    Pod p = NAMESPACE.client().pods().inNamespace(NAMESPACE.name()).withName(pod).get();
    return p.getStatus().getContainerStatuses().get(0).getRestartCount();
  }

  private static Path tmp(String pod) {
    return NAMESPACE
        .testBed()
        .repositoryRootPath()
        .resolve("target/testbed/programs")
        .resolve(NAMESPACE.name())
        .resolve(pod)
        .resolve("tmp");
  }

  private static String ip(Pod pod) {
    return pod.getStatus().getPodIP();
  }

  private static String sortedIps(Pod a, Pod b) {
    return java.util.stream.Stream.of(ip(a), ip(b)).sorted().reduce((x, y) -> x + "," + y).get();
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String get(Pod pod, String path) throws IOException, InterruptedException {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create("http://" + ip(pod) + ":8080" + path))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }
}

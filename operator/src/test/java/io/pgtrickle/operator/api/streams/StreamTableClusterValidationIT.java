package io.pgtrickle.operator.api.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.pgtrickle.operator.streams.StreamTableClusterNames;
import io.pgtrickle.testbed.TestNamespace;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The StreamTableCluster CRD's own validation on the real API server: every invalid combination of
 * issue #14 section 1 is rejected with a message naming the field, and the valid forms (the seed's
 * example with host or clusterRef, every backend) are accepted with their defaults filled in.
 */
class StreamTableClusterValidationIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static final AtomicInteger COUNTER = new AtomicInteger();

  private static final String HOST =
      "postgresql: {host: pg-primary.default.svc, database: app, secretRef: {name: pg}}";
  private static final String REF = "postgresql: {clusterRef: {name: db}, database: app}";
  private static final String WORKERS = "workers: {min: 1, max: 4}";

  static Stream<Arguments> invalidSpecs() {
    return Stream.of(
        Arguments.of("no spec", null, "spec: Required value"),
        Arguments.of("no postgresql", "{" + WORKERS + "}", "spec.postgresql: Required value"),
        Arguments.of("no workers", "{" + HOST + "}", "spec.workers: Required value"),
        Arguments.of(
            "neither host nor clusterRef",
            "{postgresql: {database: app, secretRef: {name: pg}}, " + WORKERS + "}",
            "exactly one of spec.postgresql.host and spec.postgresql.clusterRef must be given"),
        Arguments.of(
            "both host and clusterRef",
            "{postgresql: {host: pg, clusterRef: {name: db}, database: app, secretRef: {name:"
                + " pg}}, "
                + WORKERS
                + "}",
            "exactly one of spec.postgresql.host and spec.postgresql.clusterRef must be given"),
        Arguments.of(
            "host without secretRef",
            "{postgresql: {host: pg, database: app}, " + WORKERS + "}",
            "spec.postgresql.secretRef is required with spec.postgresql.host"),
        Arguments.of(
            "port with clusterRef",
            "{postgresql: {clusterRef: {name: db}, port: 6432, database: app}, " + WORKERS + "}",
            "spec.postgresql.port cannot be given with spec.postgresql.clusterRef"),
        Arguments.of(
            "port 0",
            "{postgresql: {host: pg, port: 0, database: app, secretRef: {name: pg}}, "
                + WORKERS
                + "}",
            "spec.postgresql.port: Invalid value: 0: spec.postgresql.port in body should be"
                + " greater than or equal to 1"),
        Arguments.of(
            "no database",
            "{postgresql: {host: pg, secretRef: {name: pg}}, " + WORKERS + "}",
            "spec.postgresql.database: Required value"),
        Arguments.of(
            "host with a path",
            "{postgresql: {host: 'pg/x', database: app, secretRef: {name: pg}}, " + WORKERS + "}",
            "spec.postgresql.host must be a DNS name or an IPv4 address"),
        Arguments.of(
            "clusterRef without a name",
            "{postgresql: {clusterRef: {}, database: app}, " + WORKERS + "}",
            "spec.postgresql.clusterRef.name: Required value"),
        Arguments.of(
            "min above max",
            "{" + HOST + ", workers: {min: 5, max: 2}}",
            "spec.workers.min must be less than or equal to spec.workers.max"),
        Arguments.of(
            "min 0",
            "{" + HOST + ", workers: {min: 0, max: 2}}",
            "spec.workers.min must be at least 1"),
        Arguments.of(
            "no max", "{" + HOST + ", workers: {min: 1}}", "spec.workers.max: Required value"),
        Arguments.of(
            "max above 1000",
            "{" + HOST + ", workers: {max: 1001}}",
            "spec.workers.max must be between 1 and 1000"),
        Arguments.of(
            "targetCdcLagMs 0",
            "{" + HOST + ", workers: {max: 2, targetCdcLagMs: 0}}",
            "spec.workers.targetCdcLagMs must be greater than 0"),
        Arguments.of(
            "targetCdcLagMs negative",
            "{" + HOST + ", workers: {max: 2, targetCdcLagMs: -5}}",
            "spec.workers.targetCdcLagMs must be greater than 0"),
        Arguments.of(
            "targetCpuPercent 0",
            "{" + HOST + ", workers: {max: 2, targetCpuPercent: 0}}",
            "spec.workers.targetCpuPercent must be between 1 and 1000"),
        Arguments.of(
            "targetCdcLagMs with autoscaler none",
            "{" + HOST + ", workers: {max: 2, autoscaler: none, targetCdcLagMs: 100}}",
            "with spec.workers.autoscaler none nothing scales the workers"),
        Arguments.of(
            "targetCpuPercent with autoscaler none",
            "{" + HOST + ", workers: {max: 2, autoscaler: none, targetCpuPercent: 70}}",
            "with spec.workers.autoscaler none nothing scales the workers"),
        Arguments.of(
            "worker request above its limit",
            "{"
                + HOST
                + ", workers: {max: 2, resources: {requests: {memory: 2Gi}, limits: {memory:"
                + " 1Gi}}}}",
            "spec.workers.resources: a request may not exceed its limit"),
        Arguments.of(
            "CDC cpu not a quantity",
            "{" + HOST + ", " + WORKERS + ", cdc: {resources: {requests: {cpu: lots}}}}",
            "spec.cdc.resources: cpu and memory must be quantities such as 500m, 2, 512Mi or 1Gi"),
        Arguments.of(
            "CDC request above its limit in other units",
            "{"
                + HOST
                + ", "
                + WORKERS
                + ", cdc: {resources: {requests: {cpu: 1500m}, limits: {cpu: 1}}}}",
            "spec.cdc.resources: a request may not exceed its limit"),
        Arguments.of(
            "autoscaler unknown",
            "{" + HOST + ", workers: {max: 2, autoscaler: vpa}}",
            "spec.workers.autoscaler must be one of hpa, keda, none"),
        Arguments.of(
            "logBackend unknown",
            "{" + HOST + ", " + WORKERS + ", cdc: {logBackend: redis}}",
            "spec.cdc.logBackend must be one of postgres, wal, nats, kafka"),
        Arguments.of(
            "logBackend wal",
            "{" + HOST + ", " + WORKERS + ", cdc: {logBackend: wal}}",
            "spec.cdc.logBackend: wal is not supported by a StreamTableCluster: the local WAL"
                + " files belong to one process"),
        Arguments.of(
            "nats without its block",
            "{" + HOST + ", " + WORKERS + ", cdc: {logBackend: nats}}",
            "spec.nats is required when spec.cdc.logBackend is nats"),
        Arguments.of(
            "kafka without its block",
            "{" + HOST + ", " + WORKERS + ", cdc: {logBackend: kafka}}",
            "spec.kafka is required when spec.cdc.logBackend is kafka"),
        Arguments.of(
            "a nats block with the postgres backend",
            "{" + HOST + ", " + WORKERS + ", nats: {url: 'nats://n:4222'}}",
            "spec.nats is only used when spec.cdc.logBackend is nats"),
        Arguments.of(
            "a kafka block with the nats backend",
            "{"
                + HOST
                + ", "
                + WORKERS
                + ", cdc: {logBackend: nats}, nats: {url: 'nats://n:4222'},"
                + " kafka: {bootstrapServers: 'k:9092'}}",
            "spec.kafka is only used when spec.cdc.logBackend is kafka"),
        Arguments.of(
            "nats url not nats://",
            "{"
                + HOST
                + ", "
                + WORKERS
                + ", cdc: {logBackend: nats}, nats: {url: 'http://n:4222'}}",
            "spec.nats.url must be nats://host:port for one server"),
        Arguments.of(
            "nats url with credentials",
            "{"
                + HOST
                + ", "
                + WORKERS
                + ", cdc: {logBackend: nats}, nats: {url: 'nats://u:p@n:4222'}}",
            "spec.nats.url must be nats://host:port for one server"),
        Arguments.of(
            "nats stream with a dot",
            "{"
                + HOST
                + ", "
                + WORKERS
                + ", cdc: {logBackend: nats}, nats: {url: 'nats://n:4222', stream: a.b}}",
            "spec.nats.stream must be 1 to 200 letters, digits, '-' or '_'"),
        Arguments.of(
            "nats replicas 6",
            "{"
                + HOST
                + ", "
                + WORKERS
                + ", cdc: {logBackend: nats}, nats: {url: 'nats://n:4222', replicas: 6}}",
            "spec.nats.replicas must be between 1 and 5"),
        Arguments.of(
            "kafka servers without a port",
            "{"
                + HOST
                + ", "
                + WORKERS
                + ", cdc: {logBackend: kafka}, kafka: {bootstrapServers: k}}",
            "spec.kafka.bootstrapServers must be host:port[,host:port...]"),
        Arguments.of(
            "kafka replication 0",
            "{"
                + HOST
                + ", "
                + WORKERS
                + ", cdc: {logBackend: kafka}, kafka: {bootstrapServers: 'k:9092',"
                + " replicationFactor: 0}}",
            "spec.kafka.replicationFactor must be between 1 and 32"),
        Arguments.of(
            "cdc mode trigger",
            "{" + HOST + ", " + WORKERS + ", cdc: {mode: trigger}}",
            "spec.cdc.mode must be external"),
        Arguments.of(
            "cdc replicas 0",
            "{" + HOST + ", " + WORKERS + ", cdc: {replicas: 0}}",
            "spec.cdc.replicas must be between 1 and 99"),
        Arguments.of(
            "cdc replicas 100",
            "{" + HOST + ", " + WORKERS + ", cdc: {replicas: 100}}",
            "spec.cdc.replicas must be between 1 and 99"),
        Arguments.of(
            "log reclaim policy unknown",
            "{" + HOST + ", " + WORKERS + ", cdc: {logReclaimPolicy: Keep}}",
            "spec.cdc.logReclaimPolicy: Unsupported value: \"Keep\": supported values: \"Delete\", \"Retain\""),
        Arguments.of(
            "otlp without endpoint",
            "{" + HOST + ", " + WORKERS + ", monitoring: {otlp: {protocol: grpc}}}",
            "spec.monitoring.otlp.endpoint: Required value"),
        Arguments.of(
            "otlp endpoint with a path",
            "{"
                + HOST
                + ", "
                + WORKERS
                + ", monitoring: {otlp: {endpoint: 'http://collector:4318/v1/traces'}}}",
            "spec.monitoring.otlp.endpoint must be host:port, host, http://host:port or"
                + " https://host:port without a path"),
        Arguments.of(
            "otlp endpoint with another scheme",
            "{" + HOST + ", " + WORKERS + ", monitoring: {otlp: {endpoint: 'grpc://collector'}}}",
            "spec.monitoring.otlp.endpoint must be host:port"),
        Arguments.of(
            "otlp protocol http/json",
            "{"
                + HOST
                + ", "
                + WORKERS
                + ", monitoring: {otlp: {endpoint: collector, protocol: http/json}}}",
            "spec.monitoring.otlp.protocol must be grpc (port 4317) or http/protobuf (port 4318)"));
  }

  /**
   * A NATS URL the programs could not connect to is refused: java.net.URI gives no host for a
   * server list, an underscore, a blank or a '%', and the change log then dialled nats://null.
   */
  @ParameterizedTest(name = "nats url {0} is refused")
  @org.junit.jupiter.params.provider.ValueSource(
      strings = {
        "nats://a:4222,b:4222",
        "nats://nats_1.default.svc:4222",
        "nats://nats 1:4222",
        "nats://n%41ts:4222",
        "nats://nats-:4222",
        "nats://nats.1:4222",
        "nats://300.1.1.1:4222",
        "nats://n:0",
        "nats://n:65536",
        "nats://n:",
        "nats://[zz::1]:4222",
        "nats://",
        "nats://n:4222/"
      })
  void refusesANatsUrlTheProgramsCannotReach(String url) {
    GenericKubernetesResource resource =
        manifest(
            name(),
            "{" + HOST + ", " + WORKERS + ", cdc: {logBackend: nats}, nats: {url: '" + url + "'}}");
    assertThatThrownBy(() -> NAMESPACE.client().resource(resource).create())
        .isInstanceOf(KubernetesClientException.class)
        .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(422))
        .hasMessageContaining("spec.nats.url must be nats://host:port for one server");
  }

  @ParameterizedTest(name = "nats url {0} is accepted")
  @org.junit.jupiter.params.provider.ValueSource(
      strings = {
        "nats://nats.default.svc.cluster.local:4222",
        "nats://nats-0.nats:65535",
        "nats://nats",
        "nats://10.0.0.255:4222",
        "nats://[fd00::1]:4222",
        "nats://NATS.Example.COM:1"
      })
  void acceptsANatsUrlOfOneServer(String url) {
    GenericKubernetesResource created =
        NAMESPACE
            .client()
            .resource(
                manifest(
                    name(),
                    "{"
                        + HOST
                        + ", "
                        + WORKERS
                        + ", cdc: {logBackend: nats}, nats: {url: '"
                        + url
                        + "'}}"))
            .create();
    assertThat(created.getMetadata().getUid()).isNotBlank();
  }

  @ParameterizedTest(name = "{0} is rejected")
  @MethodSource("invalidSpecs")
  void rejectsInvalidSpec(String description, String spec, String expectedMessage) {
    GenericKubernetesResource resource = manifest(name(), spec);
    assertThatThrownBy(() -> NAMESPACE.client().resource(resource).create())
        .isInstanceOf(KubernetesClientException.class)
        .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(422))
        .hasMessageContaining(expectedMessage);
  }

  static Stream<Arguments> validSpecs() {
    return Stream.of(
        Arguments.of("host", "{" + HOST + ", " + WORKERS + "}"),
        Arguments.of("clusterRef", "{" + REF + ", " + WORKERS + "}"),
        Arguments.of(
            "clusterRef with its own Secret",
            "{postgresql: {clusterRef: {name: db}, database: app, secretRef: {name: cdc}}, "
                + WORKERS
                + "}"),
        Arguments.of("min equal to max", "{" + HOST + ", workers: {min: 3, max: 3}}"),
        Arguments.of("no autoscaler", "{" + HOST + ", workers: {max: 3, autoscaler: none}}"),
        Arguments.of("KEDA", "{" + HOST + ", workers: {max: 3, autoscaler: keda}}"),
        Arguments.of(
            "resources",
            "{"
                + HOST
                + ", workers: {max: 3, resources: {requests: {cpu: 500m, memory: 1Gi}, limits:"
                + " {cpu: 2, memory: 1024Mi}}}, cdc: {resources: {requests: {cpu: 1}, limits:"
                + " {memory: 2Gi}}}}"),
        Arguments.of(
            "the seed's example (host, nats)",
            "{postgresql: {host: pg-primary.default.svc, port: 5432, database: myapp, secretRef:"
                + " {name: pg-credentials}}, workers: {min: 2, max: 32, targetCdcLagMs: 100,"
                + " targetCpuPercent: 70, image: 'ghcr.io/trickle-labs/pg-trickle-worker:0.85.0'},"
                + " cdc: {mode: external, replicas: 1, logBackend: nats}, nats: {url:"
                + " 'nats://nats.default.svc:4222', stream: pgtrickle-changes}, monitoring:"
                + " {prometheus: true, serviceMonitor: true, otlp: {endpoint:"
                + " 'otel-collector.monitoring.svc:4317'}}}"),
        Arguments.of(
            "otlp over http/protobuf with headers from a Secret",
            "{"
                + REF
                + ", "
                + WORKERS
                + ", monitoring: {otlp: {endpoint: 'https://collector.example.com', protocol:"
                + " http/protobuf, headersSecretRef: {name: otlp-auth}}}}"),
        Arguments.of(
            "kafka",
            "{"
                + REF
                + ", "
                + WORKERS
                + ", cdc: {logBackend: kafka, replicas: 3, logReclaimPolicy: Retain}, kafka:"
                + " {bootstrapServers: 'k-0.k:9092,k-1.k:9092', topicPrefix: pgt.prod,"
                + " replicationFactor: 3, partitions: 16}}"));
  }

  @ParameterizedTest(name = "{0} is accepted")
  @MethodSource("validSpecs")
  void acceptsValidSpec(String description, String spec) {
    GenericKubernetesResource created =
        NAMESPACE.client().resource(manifest(name(), spec)).create();
    assertThat(created.getMetadata().getUid()).isNotBlank();
  }

  @Test
  void fillsInTheDefaults() {
    GenericKubernetesResource created =
        NAMESPACE
            .client()
            .resource(manifest(name(), "{" + REF + ", workers: {max: 4}, cdc: {}, monitoring: {}}"))
            .create();
    StreamTableCluster stc =
        Serialization.unmarshal(Serialization.asJson(created), StreamTableCluster.class);
    WorkersSpec workers = stc.getSpec().getWorkers();
    assertThat(workers.getMin()).isEqualTo(1);
    // Not stored, so that autoscaler: none can refuse them; PipelineSettings applies 100 and 70.
    assertThat(workers.getTargetCdcLagMs()).isNull();
    assertThat(workers.getTargetCpuPercent()).isNull();
    assertThat(workers.getAutoscaler()).isEqualTo("hpa");
    CdcSpec cdc = stc.getSpec().getCdc();
    assertThat(cdc.getMode()).isEqualTo("external");
    assertThat(cdc.getReplicas()).isEqualTo(1);
    assertThat(cdc.getLogBackend()).isEqualTo("postgres");
    assertThat(stc.getSpec().getMonitoring().getPrometheus()).isFalse();
  }

  /**
   * Without spec.cdc the backend is filled in too, so the BACKEND column shows it (it was blank: a
   * nested default applies only when its parent object exists).
   */
  @Test
  void withoutCdcTheBackendIsFilledIn() {
    GenericKubernetesResource created =
        NAMESPACE.client().resource(manifest(name(), "{" + REF + ", workers: {max: 4}}")).create();
    StreamTableCluster stc =
        Serialization.unmarshal(Serialization.asJson(created), StreamTableCluster.class);
    assertThat(stc.getSpec().getCdc().getLogBackend()).isEqualTo("postgres");
    assertThat(stc.getSpec().getCdc().getReplicas()).isEqualTo(1);
  }

  /** The database and the change log's backend are fixed for the pipeline's life. */
  @Test
  void theDatabaseAndTheLogBackendCannotChange() {
    String name = name();
    NAMESPACE.client().resource(manifest(name, "{" + REF + ", " + WORKERS + "}")).create();
    var stc =
        NAMESPACE
            .client()
            .genericKubernetesResources(StreamTableCluster.API_VERSION, "StreamTableCluster")
            .inNamespace(NAMESPACE.name())
            .withName(name);
    var merge =
        io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
            io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE);
    for (String patch :
        List.of(
            "{\"spec\":{\"postgresql\":{\"database\":\"other\"}}}",
            "{\"spec\":{\"postgresql\":{\"clusterRef\":{\"name\":\"db2\"}}}}")) {
      assertThatThrownBy(() -> stc.patch(merge, patch))
          .as(patch)
          .isInstanceOf(KubernetesClientException.class)
          .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(422))
          .hasMessageContaining("spec.postgresql.database, host and clusterRef cannot change");
    }
    assertThatThrownBy(
            () ->
                stc.patch(
                    merge,
                    "{\"spec\":{\"cdc\":{\"logBackend\":\"nats\"},\"nats\":{\"url\":\"nats://n:4222\"}}}"))
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("spec.cdc.logBackend cannot change");
    // Other fields still change.
    stc.patch(merge, "{\"spec\":{\"workers\":{\"max\":6}}}");
  }

  @Test
  void otlpProtocolDefaultsToGrpc() {
    GenericKubernetesResource created =
        NAMESPACE
            .client()
            .resource(
                manifest(
                    name(),
                    "{" + REF + ", " + WORKERS + ", monitoring: {otlp: {endpoint: collector}}}"))
            .create();
    StreamTableCluster stc =
        Serialization.unmarshal(Serialization.asJson(created), StreamTableCluster.class);
    assertThat(stc.getSpec().getMonitoring().getOtlp().getProtocol()).isEqualTo("grpc");
  }

  @Test
  void refusesNamesItsChildrenCouldNotCarry() {
    String spec = "{" + HOST + ", " + WORKERS + "}";
    for (var bad :
        Map.of(
                "s".repeat(StreamTableClusterNames.MAX_NAME_LENGTH + 1),
                "metadata.name must be at most " + StreamTableClusterNames.MAX_NAME_LENGTH,
                "1pipeline",
                "metadata.name must consist of lower-case letters, digits and '-'")
            .entrySet()) {
      assertThatThrownBy(() -> NAMESPACE.client().resource(manifest(bad.getKey(), spec)).create())
          .isInstanceOf(KubernetesClientException.class)
          .hasMessageContaining(bad.getValue());
    }
    String longest = "s".repeat(StreamTableClusterNames.MAX_NAME_LENGTH);
    assertThat(
            NAMESPACE.client().resource(manifest(longest, spec)).create().getMetadata().getName())
        .isEqualTo(longest);
  }

  private static String name() {
    return "stc-" + COUNTER.incrementAndGet();
  }

  private static GenericKubernetesResource manifest(String name, String spec) {
    String yaml =
        "apiVersion: "
            + StreamTableCluster.API_VERSION
            + "\nkind: StreamTableCluster\nmetadata:\n  name: "
            + name
            + "\n  namespace: "
            + NAMESPACE.name()
            + (spec == null ? "" : "\nspec: " + spec)
            + "\n";
    return Serialization.unmarshal(yaml, GenericKubernetesResource.class);
  }
}

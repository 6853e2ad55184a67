package io.pgtrickle.operator.packaging;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.InstallCommand;
import com.marcnuri.helm.Release;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.pgtrickle.testbed.TestBed;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The Helm chart {@code charts/pg-trickle}, linted, rendered and installed through helm-java:
 * Helm's own Go library behind JNA, so the tests need no helm binary.
 */
final class PgTrickleChart {

  static final Path DIRECTORY = TestBed.repositoryRoot().resolve("charts/pg-trickle");

  static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private PgTrickleChart() {}

  static Helm helm() {
    return new Helm(DIRECTORY);
  }

  /** {@code helm template} with these values over values.yaml. */
  static String template(String release, String namespace, Map<String, Object> values) {
    TemplateCommand template = helm().template().withName(release).withNamespace(namespace);
    if (!values.isEmpty()) {
      template.withValuesFile(valuesFile(values));
    }
    return template.call();
  }

  /** What {@code helm template} renders, as typed objects where fabric8 knows the kind. */
  static List<HasMetadata> render(String release, String namespace, Map<String, Object> values) {
    return parse(template(release, namespace, values));
  }

  /** {@code helm install} into the cluster of {@code kubeconfig}, creating the namespace. */
  static Release install(
      Path kubeconfig, String release, String namespace, Map<String, Object> values) {
    InstallCommand install =
        helm()
            .install()
            .withKubeConfig(kubeconfig)
            .withName(release)
            .withNamespace(namespace)
            .createNamespace();
    if (!values.isEmpty()) {
      install.withValuesFile(valuesFile(values));
    }
    return install.call();
  }

  static void uninstall(Path kubeconfig, String release, String namespace) {
    Helm.uninstall(release)
        .withKubeConfig(kubeconfig)
        .withNamespace(namespace)
        .ignoreNotFound()
        .call();
  }

  @SuppressWarnings("unchecked")
  static List<HasMetadata> parse(String yaml) {
    Object parsed = SERIALIZATION.unmarshal(yaml);
    if (parsed == null) {
      return List.of();
    }
    if (parsed instanceof List<?> list) {
      return (List<HasMetadata>)
          (List<?>) list.stream().map(KubernetesResource.class::cast).toList();
    }
    return List.of((HasMetadata) parsed);
  }

  /**
   * Values go through a values file rather than {@code set}: the list syntax of {@code --set}
   * ({@code {a,b}}) does not reach Helm intact through helm-java.
   */
  private static Path valuesFile(Map<String, Object> values) {
    try {
      Path file = Files.createTempFile("pg-trickle-values", ".yaml");
      file.toFile().deleteOnExit();
      Files.writeString(file, SERIALIZATION.asYaml(values));
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

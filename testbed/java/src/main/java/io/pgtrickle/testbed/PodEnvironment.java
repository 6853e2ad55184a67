package io.pgtrickle.testbed;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A container's environment as the kubelet builds it: plain values with {@code $(VAR)} references
 * to variables defined earlier expanded (an unknown reference stays as written, {@code $$} is a
 * literal {@code $}), the downward API ({@code metadata.name}, {@code metadata.namespace}, {@code
 * metadata.uid}, {@code spec.nodeName}, {@code spec.serviceAccountName}, {@code status.podIP},
 * {@code status.hostIP}), and keys of Secrets and ConfigMaps. A missing Secret, ConfigMap or key
 * that is not optional fails as the kubelet's {@code CreateContainerConfigError} does.
 */
final class PodEnvironment {

  private static final Pattern REFERENCE =
      Pattern.compile("\\$\\$|\\$\\(([A-Za-z_][A-Za-z0-9_.-]*)\\)");

  private PodEnvironment() {}

  /**
   * @param ip the pod's IP
   * @return the variables in the container's order
   * @throws IllegalStateException a missing Secret, ConfigMap or key (CreateContainerConfigError)
   */
  static Map<String, String> of(KubernetesClient client, Pod pod, Container container, String ip) {
    String namespace = pod.getMetadata().getNamespace();
    Map<String, String> env = new LinkedHashMap<>();
    for (EnvVar var : container.getEnv() == null ? List.<EnvVar>of() : container.getEnv()) {
      String value;
      var from = var.getValueFrom();
      if (from != null && from.getFieldRef() != null) {
        value = field(pod, from.getFieldRef().getFieldPath(), ip);
      } else if (from != null && from.getSecretKeyRef() != null) {
        var ref = from.getSecretKeyRef();
        Secret secret = client.secrets().inNamespace(namespace).withName(ref.getName()).get();
        String data =
            secret == null || secret.getData() == null ? null : secret.getData().get(ref.getKey());
        value = data == null ? null : new String(Base64.getDecoder().decode(data), UTF_8);
        if (value == null && !Boolean.TRUE.equals(ref.getOptional())) {
          throw missing("Secret", ref.getName(), ref.getKey());
        }
      } else if (from != null && from.getConfigMapKeyRef() != null) {
        var ref = from.getConfigMapKeyRef();
        ConfigMap map = client.configMaps().inNamespace(namespace).withName(ref.getName()).get();
        value = map == null || map.getData() == null ? null : map.getData().get(ref.getKey());
        if (value == null && !Boolean.TRUE.equals(ref.getOptional())) {
          throw missing("ConfigMap", ref.getName(), ref.getKey());
        }
      } else if (from != null) {
        throw new IllegalArgumentException("unsupported valueFrom of " + var.getName());
      } else {
        value = expand(var.getValue() == null ? "" : var.getValue(), env);
      }
      if (value != null) {
        env.put(var.getName(), value);
      }
    }
    return env;
  }

  private static final java.nio.charset.Charset UTF_8 = StandardCharsets.UTF_8;

  private static IllegalStateException missing(String kind, String name, String key) {
    return new IllegalStateException(
        "CreateContainerConfigError: " + kind + " " + name + " key " + key + " not found");
  }

  private static String field(Pod pod, String path, String ip) {
    return switch (path) {
      case "metadata.name" -> pod.getMetadata().getName();
      case "metadata.namespace" -> pod.getMetadata().getNamespace();
      case "metadata.uid" -> pod.getMetadata().getUid();
      case "spec.nodeName" -> pod.getSpec().getNodeName();
      case "spec.serviceAccountName" -> pod.getSpec().getServiceAccountName();
      case "status.podIP" -> ip;
      case "status.hostIP" -> pod.getStatus() == null ? null : pod.getStatus().getHostIP();
      default -> throw new IllegalArgumentException("unsupported fieldRef " + path);
    };
  }

  /** {@code $(VAR)} of a variable defined earlier; {@code $$} is a literal {@code $}. */
  static String expand(String value, Map<String, String> env) {
    Matcher m = REFERENCE.matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String replacement = m.group(1) == null ? "$" : env.getOrDefault(m.group(1), m.group());
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return out.toString();
  }
}

package io.pgtrickle.operator.streams.dependent;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SecretVersionsTest {

  private static Secret secret(
      String resourceVersion, Map<String, String> labels, Map<String, String> data) {
    return new SecretBuilder()
        .withNewMetadata()
        .withName("pg")
        .withResourceVersion(resourceVersion)
        .withLabels(labels)
        .endMetadata()
        .withData(data)
        .build();
  }

  @Test
  void aWriteThatKeepsTheDataKeepsTheStamp() {
    String stamp =
        SecretVersions.of(
            secret("1", Map.of(), Map.of("password", "czNjcjN0", "username", "YXBw")));
    assertThat(stamp).startsWith("sha256:").hasSize("sha256:".length() + 64);
    Map<String, String> reordered = new LinkedHashMap<>();
    reordered.put("username", "YXBw");
    reordered.put("password", "czNjcjN0");
    assertThat(SecretVersions.of(secret("7", Map.of("team", "data"), reordered))).isEqualTo(stamp);
  }

  @Test
  void aChangeOfTheDataChangesTheStamp() {
    String stamp = SecretVersions.of(secret("1", Map.of(), Map.of("password", "czNjcjN0")));
    assertThat(SecretVersions.of(secret("1", Map.of(), Map.of("password", "bmV3"))))
        .isNotEqualTo(stamp);
    assertThat(SecretVersions.of(secret("1", Map.of(), Map.of("password", "czNjcjN0", "x", ""))))
        .isNotEqualTo(stamp);
    // Keys and values are delimited: moving a character across the boundary is a change.
    assertThat(SecretVersions.of(secret("1", Map.of(), Map.of("ab", "c"))))
        .isNotEqualTo(SecretVersions.of(secret("1", Map.of(), Map.of("a", "bc"))));
  }

  @Test
  void aMissingSecretIsAbsentAndAnEmptyOneIsNot() {
    assertThat(SecretVersions.of(null)).isEqualTo(SecretVersions.ABSENT);
    assertThat(SecretVersions.of(secret("1", Map.of(), null))).startsWith("sha256:");
  }
}

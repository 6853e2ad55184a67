package io.pgtrickle.operator.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * {@code v1alpha1} is served beside {@code v1} without a conversion webhook (strategy None): that
 * is only correct while both versions have the same schema, columns and subresources.
 */
class CrdVersionsTest {

  private static CustomResourceDefinition crd() throws IOException {
    return Serialization.unmarshal(
        Files.readString(Path.of("target/crds/postgresclusters.postgres.example.com.yaml")),
        CustomResourceDefinition.class);
  }

  @Test
  void v1IsStoredAndV1alpha1IsServedWithTheSameSchema() throws IOException {
    Map<String, CustomResourceDefinitionVersion> versions =
        crd().getSpec().getVersions().stream()
            .collect(
                Collectors.toMap(CustomResourceDefinitionVersion::getName, Function.identity()));
    assertThat(versions).containsOnlyKeys("v1", "v1alpha1");
    CustomResourceDefinitionVersion v1 = versions.get("v1");
    CustomResourceDefinitionVersion alpha = versions.get("v1alpha1");
    assertThat(v1.getStorage()).isTrue();
    assertThat(v1.getServed()).isTrue();
    assertThat(alpha.getStorage()).isFalse();
    assertThat(alpha.getServed()).isTrue();
    assertThat(alpha.getDeprecated()).isTrue();
    assertThat(alpha.getSchema()).isEqualTo(v1.getSchema());
    assertThat(alpha.getAdditionalPrinterColumns()).isEqualTo(v1.getAdditionalPrinterColumns());
    assertThat(alpha.getSubresources()).isEqualTo(v1.getSubresources());
    assertThat(
            crd().getSpec().getConversion() == null
                || "None".equals(crd().getSpec().getConversion().getStrategy()))
        .as("no conversion webhook")
        .isTrue();
  }
}

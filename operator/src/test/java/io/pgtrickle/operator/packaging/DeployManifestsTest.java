package io.pgtrickle.operator.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** deploy/operator.yaml is exactly what the chart renders, so the two ways to install agree. */
class DeployManifestsTest {

  @Test
  void committedManifestsAreTheChartsRender() throws IOException {
    assertThat(DeployManifests.FILE)
        .as("%s is missing; run `make manifests` and commit the result", DeployManifests.FILE)
        .exists();
    assertThat(Files.readString(DeployManifests.FILE))
        .as("%s is stale; run `make manifests` and commit the result", DeployManifests.FILE)
        .isEqualTo(DeployManifests.render());
  }
}

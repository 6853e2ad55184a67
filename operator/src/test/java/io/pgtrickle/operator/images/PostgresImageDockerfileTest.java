package io.pgtrickle.operator.images;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.operator.postgres.spec.ClusterStatefulSet;
import io.pgtrickle.operator.postgres.spec.PatroniConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * images/postgres/Dockerfile cannot be built on the test machine (no container engine), so its
 * structure is checked against what the operator's pod template expects of it.
 */
class PostgresImageDockerfileTest {

  private final List<String> lines = Files.readAllLines(Path.of("../images/postgres/Dockerfile"));

  PostgresImageDockerfileTest() throws IOException {}

  @Test
  void majorIsABuildArgumentOfTheBaseImage() {
    assertThat(lines).contains("ARG PG_MAJOR=16");
    assertThat(lines).anyMatch(l -> l.startsWith("FROM ") && l.contains(":${PG_MAJOR}-"));
  }

  @Test
  void patroniAndPgBackRestArePinnedAndInstalled() {
    assertThat(lines).anyMatch(l -> l.matches("ARG PATRONI_VERSION=\\d+\\.\\d+\\.\\d+"));
    String text = String.join("\n", lines);
    assertThat(text).contains("patroni[kubernetes]==${PATRONI_VERSION}").contains("pgbackrest");
  }

  @Test
  void runsPatroniAsTheNonRootUserOfThePodTemplate() {
    assertThat(lines)
        .contains(
            "USER " + ClusterStatefulSet.POSTGRES_UID + ":" + ClusterStatefulSet.POSTGRES_UID);
    assertThat(lines).anyMatch(l -> l.startsWith("ENTRYPOINT") && l.contains("patroni"));
    assertThat(lines)
        .anyMatch(
            l ->
                l.startsWith("CMD")
                    && l.contains(PatroniConfig.CONFIG_MOUNT + "/" + PatroniConfig.CONFIG_FILE));
  }

  @Test
  void exposesThePortsTheServicesTarget() {
    assertThat(lines).contains("EXPOSE 5432 8008");
  }
}

package io.pgtrickle.operator.images;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * images/operator/Dockerfile cannot be built on the test machine (no container engine), so its
 * structure is checked against what the build produces and what the chart's pod expects of it.
 */
class OperatorImageDockerfileTest {

  private final List<String> lines = Files.readAllLines(Path.of("../images/operator/Dockerfile"));

  OperatorImageDockerfileTest() throws IOException {}

  private String instruction(String keyword) {
    List<String> found = lines.stream().filter(l -> l.startsWith(keyword + " ")).toList();
    assertThat(found).as("one %s instruction", keyword).hasSize(1);
    return found.get(0).substring(keyword.length() + 1);
  }

  /** The exec form of ENTRYPOINT, one element per argument. */
  private List<String> entrypoint() {
    return Arrays.stream(instruction("ENTRYPOINT").replaceAll("[\\[\\]\"]", "").split(","))
        .map(String::strip)
        .toList();
  }

  @Test
  void runsOnAJava17Runtime() {
    assertThat(instruction("FROM")).contains("17-jre");
  }

  @Test
  void runsAsTheNonRootUserOfTheChartsPod() throws IOException {
    assertThat(instruction("USER")).isEqualTo("1000:1000");
    assertThat(Files.readString(Path.of("../charts/pg-trickle/templates/deployment.yaml")))
        .contains("runAsUser: 1000")
        .contains("runAsNonRoot: true");
  }

  @Test
  void copiesTheJarNextToItsClassPath() {
    assertThat(lines)
        .contains("COPY operator/target/lib/ /opt/operator/lib/")
        .contains("COPY operator/target/operator.jar /opt/operator/operator.jar");
  }

  @Test
  void startsTheJarWithTheOperatorsJvmFlags() {
    List<String> entrypoint = entrypoint();
    assertThat(entrypoint.get(0)).isEqualTo("java");
    assertThat(entrypoint.subList(entrypoint.size() - 2, entrypoint.size()))
        .containsExactly("-jar", "/opt/operator/operator.jar");
    assertThat(entrypoint)
        .contains(
            "-XX:+UseSerialGC",
            "-XX:MaxRAMPercentage=50",
            "-Xss512k",
            "-XX:TieredStopAtLevel=1",
            "-XX:+ExitOnOutOfMemoryError");
  }

  /** The jib profile of operator/pom.xml builds the same image without Docker. */
  @Test
  void jibProfileMatchesTheDockerfile() throws IOException {
    String pom = Files.readString(Path.of("pom.xml"));
    List<String> jvmFlags =
        Pattern.compile("<jvmFlag>([^<]+)</jvmFlag>")
            .matcher(pom)
            .results()
            .map(m -> m.group(1))
            .toList();
    List<String> entrypoint = entrypoint();
    assertThat(jvmFlags).isNotEmpty().isEqualTo(entrypoint.subList(1, entrypoint.size() - 2));
    assertThat(pom)
        .contains("<image>" + instruction("FROM") + "</image>")
        .contains("<user>" + instruction("USER") + "</user>")
        .contains("<port>" + instruction("EXPOSE") + "</port>");
  }

  @Test
  void exposesTheHealthAndMetricsPort() {
    assertThat(instruction("EXPOSE")).isEqualTo("8080");
  }
}

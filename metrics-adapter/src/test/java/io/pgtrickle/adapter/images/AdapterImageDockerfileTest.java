package io.pgtrickle.adapter.images;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * images/metrics-adapter/Dockerfile cannot be built on the test machine (no container engine), so
 * its structure is checked against what the build produces (metrics-adapter/pom.xml) and what the
 * chart expects (uid 1000, ports 6443 and 8080).
 */
class AdapterImageDockerfileTest {

  private final List<String> lines =
      Files.readAllLines(Path.of("../images/metrics-adapter/Dockerfile"));
  private final String pom = Files.readString(Path.of("pom.xml"));

  AdapterImageDockerfileTest() throws IOException {}

  private String instruction(String keyword) {
    List<String> found = lines.stream().filter(l -> l.startsWith(keyword + " ")).toList();
    assertThat(found).as("one %s instruction", keyword).hasSize(1);
    return found.get(0).substring(keyword.length() + 1);
  }

  private List<String> execForm(String keyword) {
    return Arrays.stream(instruction(keyword).replaceAll("[\\[\\]\"]", "").split(","))
        .map(String::strip)
        .toList();
  }

  @Test
  void runsOnAJava17Runtime() {
    assertThat(instruction("FROM")).contains("17-jre");
  }

  @Test
  void runsAsANonRootUser() {
    assertThat(instruction("USER")).isEqualTo("1000:1000");
    assertThat(lines).anyMatch(l -> l.contains("adduser") && l.contains("-u 1000"));
  }

  @Test
  void copiesTheJarTheBuildMakesNextToItsClassPath() {
    assertThat(pom)
        .contains("<finalName>metrics-adapter</finalName>")
        .contains("<mainClass>io.pgtrickle.adapter.AdapterMain</mainClass>")
        .contains("<classpathPrefix>lib/</classpathPrefix>")
        .contains("<outputDirectory>${project.build.directory}/lib</outputDirectory>");
    assertThat(lines)
        .contains("COPY metrics-adapter/target/lib/ /opt/metrics-adapter/lib/")
        .contains(
            "COPY metrics-adapter/target/metrics-adapter.jar /opt/metrics-adapter/metrics-adapter.jar");
  }

  @Test
  void startsTheJarAndRunsByDefault() {
    List<String> entrypoint = execForm("ENTRYPOINT");
    assertThat(entrypoint.get(0)).isEqualTo("java");
    assertThat(entrypoint.subList(entrypoint.size() - 2, entrypoint.size()))
        .containsExactly("-jar", "/opt/metrics-adapter/metrics-adapter.jar");
    assertThat(entrypoint).contains("-XX:+ExitOnOutOfMemoryError");
    assertThat(execForm("CMD")).containsExactly("run");
  }

  @Test
  void exposesTheApiAndProbePorts() {
    assertThat(instruction("EXPOSE")).isEqualTo("6443 8080");
  }

  @Test
  void holdsNoSecrets() {
    assertThat(lines)
        .noneMatch(
            l ->
                l.startsWith("ENV") && (l.toUpperCase().contains("PASSWORD") || l.contains("KEY")));
  }
}

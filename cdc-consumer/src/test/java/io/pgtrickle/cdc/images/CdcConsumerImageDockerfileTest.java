package io.pgtrickle.cdc.images;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * images/cdc-consumer/Dockerfile cannot be built on the test machine (no container engine), so its
 * structure is checked against what the build produces (cdc-consumer/pom.xml) and what the program
 * expects.
 */
class CdcConsumerImageDockerfileTest {

  private final List<String> lines =
      Files.readAllLines(Path.of("../images/cdc-consumer/Dockerfile"));
  private final String pom = Files.readString(Path.of("pom.xml"));

  CdcConsumerImageDockerfileTest() throws IOException {}

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
        .contains("<finalName>cdc-consumer</finalName>")
        .contains("<mainClass>io.pgtrickle.cdc.CdcConsumerMain</mainClass>")
        .contains("<classpathPrefix>lib/</classpathPrefix>")
        .contains("<outputDirectory>${project.build.directory}/lib</outputDirectory>");
    assertThat(lines)
        .contains("COPY cdc-consumer/target/lib/ /opt/cdc-consumer/lib/")
        .contains("COPY cdc-consumer/target/cdc-consumer.jar /opt/cdc-consumer/cdc-consumer.jar");
  }

  @Test
  void startsTheJarAndRunsByDefault() {
    List<String> entrypoint = execForm("ENTRYPOINT");
    assertThat(entrypoint.get(0)).isEqualTo("java");
    assertThat(entrypoint.subList(entrypoint.size() - 2, entrypoint.size()))
        .containsExactly("-jar", "/opt/cdc-consumer/cdc-consumer.jar");
    assertThat(entrypoint).contains("-XX:+ExitOnOutOfMemoryError");
    assertThat(execForm("CMD")).containsExactly("run");
  }

  @Test
  void stopsCleanlyOnSigtermAndExposesTheProbePort() {
    assertThat(instruction("STOPSIGNAL")).isEqualTo("SIGTERM");
    assertThat(instruction("EXPOSE")).isEqualTo("8080");
  }

  @Test
  void holdsNoSecrets() {
    assertThat(lines).noneMatch(l -> l.startsWith("ENV") && l.toUpperCase().contains("PASSWORD"));
  }
}

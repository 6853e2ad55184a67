package io.pgtrickle.operator.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The CRDs committed under deploy/crds are exactly what this build generates. */
class CrdsUpToDateTest {

  @Test
  void committedCrdsMatchTheGeneratedOnes() throws IOException {
    Path generated = Path.of("target/crds");
    Path committed = Path.of("../deploy/crds");
    try (Stream<Path> files = Files.list(generated)) {
      for (Path file : files.toList()) {
        Path copy = committed.resolve(file.getFileName());
        assertThat(copy).as("%s is missing; run `make crds` and commit the result", copy).exists();
        assertThat(Files.readString(copy))
            .as("%s is stale; run `make crds` and commit the result", copy)
            .isEqualTo(Files.readString(file));
      }
    }
    try (Stream<Path> files = Files.list(committed)) {
      assertThat(files.map(f -> f.getFileName().toString()))
          .as("deploy/crds holds only generated CRDs")
          .allSatisfy(name -> assertThat(generated.resolve(name)).exists());
    }
  }
}

package io.pgtrickle.operator.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.testbed.TestBed;
import io.pgtrickle.testbed.TestNamespace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every YAML example of the seed documents (the ticket, seed 002, and the reference README, seed
 * 003), copied verbatim into src/test/resources/seed-examples, applied as their readers would:
 * {@code kubectl apply -f FILE}, here with {@code --dry-run=server}, so the API server runs every
 * schema and CEL check and stores nothing. Each file's second line says what must happen:
 *
 * <ul>
 *   <li>{@code # expect: accepted}
 *   <li>{@code # expect: rejected: TEXT}: refused with TEXT in the message (the seeds' own examples
 *       of bad input)
 *   <li>{@code # expect: not served yet: TEXT}: its kind is not served by this operator yet; the
 *       test fails once it is, so the expectation is raised to accepted with the new CRD.
 * </ul>
 *
 * <p>Issue #18 case 9: seed 003's examples use {@code postgres.example.com/v1alpha1}, which was not
 * served, so every one of them was refused with "no matches for kind".
 */
class SeedExamplesIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static final Path EXAMPLES =
      TestBed.repositoryRoot().resolve("operator/src/test/resources/seed-examples");

  static List<Path> examples() throws IOException {
    try (Stream<Path> files = Files.list(EXAMPLES)) {
      return files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
    }
  }

  @Test
  void everyExampleOfBothSeedsIsCovered() throws IOException {
    List<String> names = examples().stream().map(p -> p.getFileName().toString()).toList();
    // Seed 002: CRD ticket (valid and invalid), backup ticket (PostgresBackup and a restore);
    // seed 003: Quick Start, Production HA Cluster, S3 backup.
    assertThat(names).hasSize(7);
    assertThat(names.stream().filter(n -> n.startsWith("003-"))).hasSize(3);
  }

  @Test
  void everyExampleGetsTheAnswerItExpects() throws IOException {
    for (Path file : examples()) {
      String expectation =
          Files.readAllLines(file).stream()
              .filter(l -> l.startsWith("# expect: "))
              .findFirst()
              .orElseThrow(() -> new AssertionError(file + " has no '# expect:' line"))
              .substring("# expect: ".length());
      TestBed.Result applied =
          NAMESPACE
              .testBed()
              .kubectl("apply", "--dry-run=server", "-n", NAMESPACE.name(), "-f", file.toString());
      String what = file.getFileName() + " (" + expectation + "): " + applied.output();
      if (expectation.equals("accepted")) {
        assertThat(applied.ok()).as(what).isTrue();
        assertThat(applied.output()).as(what).contains("(server dry run)");
      } else if (expectation.startsWith("rejected: ")) {
        assertThat(applied.ok()).as(what).isFalse();
        assertThat(applied.output())
            .as(what)
            .contains(expectation.substring("rejected: ".length()));
      } else if (expectation.startsWith("not served yet: ")) {
        assertThat(applied.ok()).as(what).isFalse();
        assertThat(applied.output()).as(what).contains("no matches for kind");
      } else {
        throw new AssertionError(file + ": unknown expectation " + expectation);
      }
    }
  }
}

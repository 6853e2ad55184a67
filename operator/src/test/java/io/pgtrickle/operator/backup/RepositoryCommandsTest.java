package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.operator.backup.spec.PgBackRest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The command lines of the repository commands the operator execs, and their bounds. */
class RepositoryCommandsTest {

  @Test
  void infoRunsWithAShortIoTimeout() {
    List<String> expected = new ArrayList<>(PgBackRest.RUN_WITH_PASSWORD);
    expected.addAll(List.of("--stanza=db", "--io-timeout=2", "info", "--output=json"));
    assertThat(
            RepositoryCommands.command(
                RepositoryCommands.INFO_IO_TIMEOUT_SECONDS, "info", "--output=json"))
        .isEqualTo(expected);
    assertThat(RepositoryCommands.command(5, "expire", "--set=20261130-133453F"))
        .endsWith("--stanza=db", "--io-timeout=5", "expire", "--set=20261130-133453F");
  }

  @Test
  void anUnreachableStoreEndsInfoWellInsideTheExecBound() {
    // pgBackRest 2.45 gave up after about 10 times its io-timeout (RepositoryOutageIT).
    long giveUp = 10L * RepositoryCommands.INFO_IO_TIMEOUT_SECONDS;
    assertThat(RepositoryCommands.INFO.toSeconds()).isGreaterThanOrEqualTo(giveUp + 10);
    assertThat(RepositoryCommands.INFO.toSeconds()).isLessThan(60);
    assertThat(8L * RepositoryCommands.EXPIRE_IO_TIMEOUT_SECONDS).isLessThan(60);
  }
}

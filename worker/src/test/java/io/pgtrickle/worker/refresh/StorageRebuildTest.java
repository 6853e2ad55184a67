package io.pgtrickle.worker.refresh;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StorageRebuildTest {

  private static final StreamTable ST =
      new StreamTable(
          7,
          16500,
          "public",
          "st",
          "SELECT id, a FROM rt",
          null,
          "1s",
          "DIFFERENTIAL",
          "DIFFERENTIAL",
          "ACTIVE",
          true,
          true,
          null,
          null,
          0,
          false,
          null,
          null,
          null);

  @Test
  void theIndexesLeftOutGoToTheNextRefreshsReasonOnce() {
    StorageRebuild rebuilds = new StorageRebuild();
    RefreshDecision initial = new RefreshDecision("FULL", true, "initial population; AUTO");
    assertThat(rebuilds.noted(7, initial)).isSameAs(initial);
    assertThat(StorageRebuild.leftOutNote("st_a_odd (operator does not exist)"))
        .isEqualTo(
            "storage rebuilt without the user's index st_a_odd (operator does not exist), which no"
                + " longer fit its columns");
    assertThat(StorageRebuild.leftOutNote("i1 (x); i2 (y)"))
        .startsWith("storage rebuilt without the user's indexes i1 (x); i2 (y)");
  }

  @Test
  void checkedOncePerChangeOfTheSourcesColumns() {
    StorageRebuild rebuilds = new StorageRebuild();
    Map<Long, String> fingerprints = new HashMap<>(Map.of(16400L, "a/1"));
    assertThat(rebuilds.due(7, fingerprints)).isTrue();
    rebuilds.checked(7, fingerprints);
    assertThat(rebuilds.due(7, Map.of(16400L, "a/1"))).isFalse();
    assertThat(rebuilds.due(8, Map.of(16400L, "a/1"))).as("another stream table").isTrue();
    fingerprints.put(16400L, "a/2"); // remembered as a copy
    assertThat(rebuilds.due(7, Map.of(16400L, "a/1"))).isFalse();
    assertThat(rebuilds.due(7, fingerprints)).as("the columns changed again").isTrue();
  }

  @Test
  void onlyFailuresTheRefreshWouldNotReportAreRecorded() {
    assertThat(StorageRebuild.blocking(new SQLException("view", "2BP01"))).isTrue();
    assertThat(StorageRebuild.blocking(new SQLException("denied", "42501"))).isTrue();
    // The query's own failures: the refresh runs into them and reports them as before.
    assertThat(StorageRebuild.blocking(new SQLException("no column", "42703"))).isFalse();
    assertThat(StorageRebuild.blocking(new SQLException("no table", "42P01"))).isFalse();
    assertThat(StorageRebuild.blocking(new SQLException("lost"))).isFalse();
  }

  @Test
  void theMessageNamesTheCauseAndTheWayOut() {
    assertThat(
            StorageRebuild.blockedMessage(
                ST, "rt", new SQLException("cannot drop column a of table st", "2BP01")))
        .isEqualTo(
            "the columns of rt changed and the storage of stream table public.st could not be"
                + " rebuilt for its query's columns: cannot drop column a of table st (SQLSTATE"
                + " 2BP01); drop what depends on the storage's columns (the next refresh rebuilds"
                + " it), or resume_stream_table('public.st') once it is in ERROR");
    assertThat(
            StorageRebuild.blockedMessage(
                ST, "rt", new SQLException("permission denied for function", "42501")))
        .contains("grant its owner what it lacks (pgtrickle_operator");
  }
}

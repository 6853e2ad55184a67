package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgtrickle.operator.backup.pgbackrest.InfoParser;
import io.pgtrickle.operator.backup.pgbackrest.RepositoryBackup;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class InfoParserTest {

  /** Captured from pgBackRest 2.55.1 (PostgreSQL 15, s3proxy repository) on 2026-11-30. */
  static final String INFO =
      "[{\"archive\":[{\"database\":{\"id\":1,\"repo-key\":1},\"id\":\"15-1\",\"max\":\"000000010000000000000002\",\"min\":\"000000010000000000000001\"}],"
          + "\"backup\":[{\"annotation\":{\"postgres.example.com/backup\":\"x\"},\"archive\":{\"start\":\"000000010000000000000002\",\"stop\":\"000000010000000000000002\"},"
          + "\"backrest\":{\"format\":5,\"version\":\"2.55.1\"},\"database\":{\"id\":1,\"repo-key\":1},\"error\":false,"
          + "\"info\":{\"delta\":22992581,\"repository\":{\"delta\":2811774,\"size\":2811774},\"size\":22992581},"
          + "\"label\":\"20261130-133453F\",\"lsn\":{\"start\":\"0/2000028\",\"stop\":\"0/2000138\"},\"prior\":null,\"reference\":null,"
          + "\"timestamp\":{\"start\":1796045693,\"stop\":1796045710},\"type\":\"full\"}],"
          + "\"cipher\":\"none\",\"db\":[{\"id\":1,\"repo-key\":1,\"system-id\":7713957480820040841,\"version\":\"15\"}],\"name\":\"db\","
          + "\"repo\":[{\"cipher\":\"none\",\"key\":1,\"status\":{\"code\":0,\"message\":\"ok\"}}],"
          + "\"status\":{\"code\":0,\"lock\":{\"backup\":{\"held\":false}},\"message\":\"ok\"}}]";

  @Test
  void readsEveryFigureOfABackup() {
    List<RepositoryBackup> backups = InfoParser.backups(INFO, "db");
    assertThat(backups).hasSize(1);
    RepositoryBackup b = backups.get(0);
    assertThat(b.label()).isEqualTo("20261130-133453F");
    assertThat(b.isFull()).isTrue();
    assertThat(b.prior()).isNull();
    assertThat(b.references()).isEmpty();
    assertThat(b.started()).isEqualTo(Instant.ofEpochSecond(1796045693));
    assertThat(b.stopped()).isEqualTo(Instant.ofEpochSecond(1796045710));
    assertThat(b.databaseBytes()).isEqualTo(22992581);
    assertThat(b.repositoryBytes()).isEqualTo(2811774);
    assertThat(b.walStart()).isEqualTo("000000010000000000000002");
    assertThat(b.lsnStop()).isEqualTo("0/2000138");
    assertThat(b.annotation("postgres.example.com/backup")).isEqualTo("x");
    assertThat(InfoParser.status(INFO, "db")).isEqualTo("ok");
    assertThat(InfoParser.archiveMin(INFO, "db")).isEqualTo("000000010000000000000001");
    assertThat(InfoParser.archiveMin(INFO, "other")).isNull();
  }

  @Test
  void anotherStanzaOrNoneHasNoBackups() {
    assertThat(InfoParser.backups(INFO, "other")).isEmpty();
    assertThat(InfoParser.backups("[]", "db")).isEmpty();
  }

  /**
   * Captured from pgBackRest 2.45 ({@code info --output=json --io-timeout=3}, exit code 0) against
   * an S3 endpoint that refuses connections (8.3 s with io-timeout 2, 12.3 s with 3) and one that
   * accepts and never answers (12.3 s with 3), on 2026-12-02.
   */
  static final String REFUSED =
      "[{\"archive\":[],\"backup\":[],\"cipher\":\"none\",\"db\":[],\"name\":\"db\","
          + "\"repo\":[{\"cipher\":\"none\",\"key\":1,\"status\":{\"code\":99,\"message\":"
          + "\"[HostConnectError] unable to connect to '127.0.0.1:1': [111] Connection refused\"}}],"
          + "\"status\":{\"code\":99,\"lock\":{\"backup\":{\"held\":false}},\"message\":\"other\"}}]";

  static final String SILENT =
      REFUSED.replace(
          "[HostConnectError] unable to connect to '127.0.0.1:1': [111] Connection refused",
          "[FileReadError] timeout after 3000ms waiting for read from '127.0.0.1:18999'");

  @Test
  void anUnreachableRepositoryIsAnErrorNotAnEmptyRepository() {
    assertThat(InfoParser.backups(REFUSED, "db")).isEmpty();
    assertThat(InfoParser.repositoryError(REFUSED, "db"))
        .isEqualTo(
            "[HostConnectError] unable to connect to '127.0.0.1:1': [111] Connection refused");
    assertThat(InfoParser.repositoryError(SILENT, "db"))
        .startsWith("[FileReadError] timeout after 3000ms");
    assertThat(InfoParser.repositoryError(REFUSED, "other")).isNull();
  }

  /**
   * An encrypted repository read without its cipher: pgBackRest 2.55.1 puts the info file's
   * ciphertext into the message unescaped (control characters, bytes that are no UTF-8), which
   * strict JSON refuses ("Illegal unquoted character ((CTRL-CHAR, code 6))", seen on the test bed);
   * the message keeps its text with the binary bytes as '?'.
   */
  @Test
  void aMessageWithTheCiphertextOfAnInfoFileIsRead() {
    String ciphertext = "Salted__\u0006\u00d7\ufffd\u0001\tD";
    String json =
        REFUSED.replace(
            "[HostConnectError] unable to connect to '127.0.0.1:1': [111] Connection refused",
            "[FormatError] unable to load info file '/r/backup/db/backup.info':\\nFormatError:"
                + " key/value found outside of section at line 1: "
                + ciphertext);
    assertThat(InfoParser.repositoryError(json, "db"))
        .isEqualTo(
            "[FormatError] unable to load info file '/r/backup/db/backup.info':\n"
                + "FormatError: key/value found outside of section at line 1: Salted__?\u00d7???D");
    assertThat(InfoParser.backups(json, "db")).isEmpty();
  }

  @Test
  void aRepositoryThatAnsweredHasNoError() {
    assertThat(InfoParser.repositoryError(INFO, "db")).isNull();
    // Before the first backup: the stanza is missing (code 1), an answer all the same.
    assertThat(
            InfoParser.repositoryError(
                REFUSED
                    .replace(
                        "\"code\":99,\"message\":\"[HostConnectError]",
                        "\"code\":1,\"message\":\"missing")
                    .replace("\"code\":99,\"lock\"", "\"code\":1,\"lock\""),
                "db"))
        .isNull();
    assertThat(InfoParser.repositoryError("[]", "db")).isNull();
  }

  @Test
  void textThatIsNotPgbackrestJsonIsRefused() {
    assertThatThrownBy(() -> InfoParser.backups("stanza: db", "db"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not pgbackrest info JSON");
  }

  @Test
  void sizesReadAsTheTicketShowsThem() {
    assertThat(BackupStatusFigures.humanBytes(512)).isEqualTo("512B");
    assertThat(BackupStatusFigures.humanBytes(22992581)).isEqualTo("21.9MB");
    assertThat(BackupStatusFigures.humanBytes(1288490189L)).isEqualTo("1.2GB");
  }
}

package io.pgtrickle.operator.backup.pgbackrest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads {@code pgbackrest info --output=json}: an array of stanzas, each with its backups oldest
 * first. Pure.
 */
public final class InfoParser {

  /**
   * Lenient about control characters in strings: pgBackRest 2.55.1 writes an info file it could not
   * parse into the repository's status message unescaped, e.g. the ciphertext of an encrypted
   * repository read without its cipher ({@code FormatError: key/value found outside of section at
   * line 1: Salted__...}), which strict JSON refuses.
   */
  private static final ObjectMapper JSON =
      com.fasterxml.jackson.databind.json.JsonMapper.builder()
          .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_UNESCAPED_CONTROL_CHARS)
          .build();

  private InfoParser() {}

  /**
   * The backups of {@code stanza}, oldest first; empty when the stanza is absent or has none.
   *
   * @throws IllegalArgumentException when the text is not pgBackRest's JSON
   */
  public static List<RepositoryBackup> backups(String json, String stanza) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException("not pgbackrest info JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isArray()) {
      throw new IllegalArgumentException("not pgbackrest info JSON: expected an array of stanzas");
    }
    List<RepositoryBackup> result = new ArrayList<>();
    for (JsonNode s : root) {
      if (!stanza.equals(s.path("name").asText())) {
        continue;
      }
      for (JsonNode b : s.path("backup")) {
        result.add(backup(b));
      }
    }
    return result;
  }

  /**
   * The oldest WAL file of the stanza's archive ({@code archive[].min} of the newest database entry
   * that has one), or null when nothing is archived.
   */
  public static String archiveMin(String json, String stanza) {
    try {
      String min = null;
      for (JsonNode s : JSON.readTree(json)) {
        if (stanza.equals(s.path("name").asText())) {
          for (JsonNode a : s.path("archive")) {
            String m = a.path("min").asText(null);
            if (m != null && (min == null || m.compareTo(min) < 0)) {
              min = m;
            }
          }
        }
      }
      return min;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The stanza's status message ({@code status.message}), or null when the stanza is absent. */
  public static String status(String json, String stanza) {
    try {
      for (JsonNode s : JSON.readTree(json)) {
        if (stanza.equals(s.path("name").asText())) {
          return s.path("status").path("message").asText(null);
        }
      }
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The error of the stanza's repository when pgBackRest could not read it at all: the message of a
   * repository whose status code is 99 ("other"), e.g. {@code [HostConnectError] unable to connect
   * to '127.0.0.1:1': [111] Connection refused}; null when every repository answered (a missing
   * stanza, code 1, or no backup yet, code 2, are answers). {@code info} exits 0 in that case and
   * lists no backups.
   *
   * @throws IllegalArgumentException when the text is not pgBackRest's JSON
   */
  public static String repositoryError(String json, String stanza) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException("not pgbackrest info JSON: " + e.getMessage(), e);
    }
    for (JsonNode s : root == null ? JSON.createArrayNode() : root) {
      if (!stanza.equals(s.path("name").asText())) {
        continue;
      }
      for (JsonNode repo : s.path("repo")) {
        if (repo.path("status").path("code").asInt() == 99) {
          // Binary bytes of an unreadable file are no use in a status message.
          return repo.path("status")
              .path("message")
              .asText("unknown error")
              .replaceAll("[\\p{Cntrl}&&[^\\n]]|\\x{FFFD}", "?");
        }
      }
    }
    return null;
  }

  private static RepositoryBackup backup(JsonNode b) {
    List<String> references = new ArrayList<>();
    b.path("reference").forEach(r -> references.add(r.asText()));
    Map<String, String> annotations = new LinkedHashMap<>();
    b.path("annotation")
        .fields()
        .forEachRemaining(e -> annotations.put(e.getKey(), e.getValue().asText()));
    JsonNode repo = b.path("info").path("repository");
    return new RepositoryBackup(
        b.path("label").asText(),
        b.path("type").asText(),
        b.path("prior").isNull() || b.path("prior").isMissingNode()
            ? null
            : b.path("prior").asText(),
        references,
        Instant.ofEpochSecond(b.path("timestamp").path("start").asLong()),
        Instant.ofEpochSecond(b.path("timestamp").path("stop").asLong()),
        b.path("info").path("size").asLong(),
        repo.has("delta") ? repo.path("delta").asLong() : null,
        b.path("archive").path("start").asText(null),
        b.path("archive").path("stop").asText(null),
        b.path("lsn").path("start").asText(null),
        b.path("lsn").path("stop").asText(null),
        annotations);
  }
}

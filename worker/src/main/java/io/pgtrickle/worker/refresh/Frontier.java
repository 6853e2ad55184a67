package io.pgtrickle.worker.refresh;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgtrickle.changelog.Lsn;
import java.util.Collections;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * A stream table's frontier (CONTRACTS.md §4), stored in {@code pgt_stream_tables.frontier}:
 *
 * <pre>{@code
 * {"sources": {"16384": "0/1A2B3C4", "16390": "0/1A2B3C4"},
 *  "data_lsn": "0/1A2B3C4",
 *  "upstream": {"16390": "0/1A2B000"},
 *  "schemas": {"16384": "9f0c..."}}
 * }</pre>
 *
 * <ul>
 *   <li>{@code sources}: per source OID, an LSN F: every change of that source committed below F
 *       has been applied, none at or above. A base table missing here (not captured yet at the last
 *       refresh, or the query changed) makes the next refresh FULL. A source that is itself a
 *       stream table has how far its contents were fresh in the refresh's snapshot: the lowest
 *       entry of its own frontier (no entry while it lacks one for any of its sources), so "every
 *       entry at or past X" means fresh at X through chains of stream tables too.
 *   <li>{@code data_lsn} (our addition): the snapshot LSN of the last refresh that changed this
 *       table's contents; a stream table reading this one compares it to tell whether it changed.
 *   <li>{@code upstream} (our addition): per stream-table source, its {@code data_lsn} as the last
 *       refresh saw it.
 *   <li>{@code schemas} (our addition): a fingerprint of each source's columns at the last refresh
 *       ({@link ColumnFingerprint}); a change (column added, dropped, retyped, renamed, even if
 *       renamed back since) is handed to the maintenance plan and recomputes.
 * </ul>
 *
 * @param sources the per-source positions
 * @param dataLsn the snapshot LSN of the last change of the contents, or {@code null}
 * @param upstream per stream-table source: its data_lsn as seen
 * @param schemas the per-source column fingerprints
 */
public record Frontier(
    Map<Long, Lsn> sources, Lsn dataLsn, Map<Long, Lsn> upstream, Map<Long, String> schemas) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Copies the maps, sorted by OID so that equal frontiers print equally. */
  public Frontier {
    sources = Collections.unmodifiableMap(new TreeMap<>(sources));
    upstream = Collections.unmodifiableMap(new TreeMap<>(upstream));
    schemas = Collections.unmodifiableMap(new TreeMap<>(schemas));
  }

  /** A frontier with nothing in it. */
  public static final Frontier EMPTY = new Frontier(Map.of(), null, Map.of(), Map.of());

  /**
   * Parses the catalog's JSON.
   *
   * @param json the text, or {@code null}
   * @return the frontier ({@link #EMPTY} for {@code null})
   * @throws IllegalArgumentException if the text is not a frontier
   */
  public static Frontier parse(String json) {
    if (json == null) {
      return EMPTY;
    }
    try {
      JsonNode root = JSON.readTree(json);
      Map<Long, Lsn> sources = new TreeMap<>();
      Map<Long, String> schemas = new TreeMap<>();
      Map<Long, Lsn> upstream = new TreeMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = root.path("upstream").fields();
          it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        upstream.put(Long.parseLong(e.getKey()), Lsn.parse(e.getValue().asText()));
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = root.path("sources").fields();
          it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        JsonNode v = e.getValue();
        // pg_trickle writes {"lsn": ...}; we write the LSN itself. Read both.
        String text = v.isObject() ? v.path("lsn").asText(null) : v.asText(null);
        if (text != null && !v.isNull()) {
          sources.put(Long.parseLong(e.getKey()), Lsn.parse(text));
        }
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = root.path("schemas").fields();
          it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        schemas.put(Long.parseLong(e.getKey()), e.getValue().asText());
      }
      String data = root.path("data_lsn").asText(null);
      return new Frontier(sources, data == null ? null : Lsn.parse(data), upstream, schemas);
    } catch (JsonProcessingException | RuntimeException e) {
      throw new IllegalArgumentException("frontier is not valid: " + e.getMessage(), e);
    }
  }

  /**
   * The position of a source.
   *
   * @param oid the source
   * @return its LSN, or {@code null} if unknown
   */
  public Lsn source(long oid) {
    return sources.get(oid);
  }

  /**
   * The JSON text for the catalog.
   *
   * @return the JSON
   */
  public String toJson() {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode s = root.putObject("sources");
    sources.forEach((oid, lsn) -> s.put(Long.toString(oid), lsn.walText()));
    if (dataLsn != null) {
      root.put("data_lsn", dataLsn.walText());
    }
    if (!upstream.isEmpty()) {
      ObjectNode u = root.putObject("upstream");
      upstream.forEach((oid, lsn) -> u.put(Long.toString(oid), lsn.walText()));
    }
    if (!schemas.isEmpty()) {
      ObjectNode f = root.putObject("schemas");
      schemas.forEach((oid, fp) -> f.put(Long.toString(oid), fp));
    }
    return root.toString();
  }
}

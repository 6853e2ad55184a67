package io.pgtrickle.worker.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.worker.dvm.sql.JsonImages;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns change events into rows of a change buffer (CONTRACTS.md §3), written as CSV lines for
 * {@code COPY ... (FORMAT csv)} into the ingest's staging table: {@code source, lsn, seq, xid,
 * action, new_row, old_row, commit_ts}.
 *
 * <p>Values become JSON such that {@code jsonb_populate_record(NULL::<source>, new_row)} gives the
 * typed row: numbers stay exact, and {@code bytea} (base64 in the event) becomes PostgreSQL's hex
 * text {@code \x..}, for which the source's bytea columns must be known. An UPDATE's new image is
 * the old image overlaid with the event's columns, so values the event left out (unchanged TOAST
 * without REPLICA IDENTITY FULL) are filled in where the old image has them.
 *
 * <p>An event that says {@link ChangeEvent#jsonText() json_text} gives images with the key {@link
 * JsonImages#MARKER}: its json and jsonb values are their text, which the delta SQL reads through
 * the column type's input (see {@link JsonImages}).
 */
public final class BufferRows {

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.WRITE_BIGDECIMAL_AS_PLAIN);

  private static final String MARKER_FIELD = "\"" + JsonImages.MARKER + "\":true}";

  /**
   * The key that marks an old image ({@code old_row}) holding only the source's replica identity
   * key, not the whole row: the event said {@link ChangeEvent#oldKeyOnly() old_key_only} (the
   * source's REPLICA IDENTITY was DEFAULT or USING INDEX). Such a change cannot be applied
   * differentially (its old row cannot be retracted): a refresh whose window holds one recomputes.
   * No column is named so: the {@code __pgt_} prefix is the engine's.
   */
  public static final String KEY_ONLY_MARKER = "__pgt_key_only";

  private BufferRows() {}

  /**
   * The action letter of an event: I, U, D, T (truncate) or G (gap).
   *
   * @param event the event
   * @return the letter stored in the buffer's {@code action} column
   */
  public static char action(ChangeEvent event) {
    return switch (event.action().name()) {
      case "INSERT" -> 'I';
      case "UPDATE" -> 'U';
      case "DELETE" -> 'D';
      case "TRUNCATE" -> 'T';
      case "GAP" -> 'G';
      default -> throw new IllegalArgumentException("unknown change action " + event.action());
    };
  }

  /**
   * Appends one CSV line for an event.
   *
   * @param out where the line goes
   * @param event the event
   * @param byteaColumns the source's columns of type bytea
   * @param byteaArrayColumns the source's columns of type bytea[]
   */
  public static void appendCsv(
      StringBuilder out,
      ChangeEvent event,
      Set<String> byteaColumns,
      Set<String> byteaArrayColumns) {
    char action = action(event);
    Map<String, Object> newRow = null;
    Map<String, Object> oldRow = null;
    if (action == 'I' || action == 'U') {
      newRow = new LinkedHashMap<>();
      if (action == 'U' && event.oldColumns() != null) {
        newRow.putAll(event.oldColumns());
      }
      newRow.putAll(event.columns());
    }
    if (action == 'U' || action == 'D') {
      oldRow = event.oldColumns();
      if (event.oldKeyOnly()) {
        oldRow = oldRow == null ? new LinkedHashMap<>() : new LinkedHashMap<>(oldRow);
        oldRow.put(KEY_ONLY_MARKER, true);
      }
    }
    out.append(event.sourceOid())
        .append(',')
        .append(event.lsn().walText())
        .append(',')
        .append(event.lsn().seq())
        .append(',')
        .append(event.xid())
        .append(',')
        .append(action)
        .append(',');
    boolean marked = event.jsonText();
    appendJson(out, newRow, byteaColumns, byteaArrayColumns, marked);
    out.append(',');
    appendJson(out, oldRow, byteaColumns, byteaArrayColumns, marked);
    out.append(',').append(event.timestamp()).append('\n');
  }

  private static void appendJson(
      StringBuilder out,
      Map<String, Object> row,
      Set<String> byteaColumns,
      Set<String> byteaArrayColumns,
      boolean marked) {
    if (row == null) {
      return; // an unquoted empty CSV field is NULL
    }
    Map<String, Object> converted = row;
    if (!byteaColumns.isEmpty() || !byteaArrayColumns.isEmpty()) {
      converted = new LinkedHashMap<>(row);
      for (Map.Entry<String, Object> e : converted.entrySet()) {
        if (byteaColumns.contains(e.getKey())) {
          e.setValue(hex(e.getValue()));
        } else if (byteaArrayColumns.contains(e.getKey()) && e.getValue() instanceof List<?> l) {
          e.setValue(hexAll(l));
        }
      }
    }
    String json;
    try {
      json = JSON.writeValueAsString(converted);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("row cannot be written as JSON: " + e.getMessage(), e);
    }
    if (marked) {
      json = json.substring(0, json.length() - 1) + (row.isEmpty() ? "" : ",") + MARKER_FIELD;
    }
    out.append('"').append(json.replace("\"", "\"\"")).append('"');
  }

  private static Object hex(Object value) {
    if (value instanceof String s) {
      try {
        return "\\x" + HexFormat.of().formatHex(Base64.getDecoder().decode(s));
      } catch (IllegalArgumentException notBase64) {
        return s; // already PostgreSQL text (e.g. written before the column became bytea)
      }
    }
    return value;
  }

  private static List<Object> hexAll(List<?> values) {
    return values.stream()
        .map(v -> v instanceof List<?> inner ? (Object) hexAll(inner) : hex(v))
        .toList();
  }
}

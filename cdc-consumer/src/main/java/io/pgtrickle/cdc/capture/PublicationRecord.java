package io.pgtrickle.cdc.capture;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What the consumer did to its publication, kept in the publication's comment so that {@code
 * decommission} (and a later run) removes exactly that: whether the consumer created the
 * publication, and which tables (by OID) it added. A publication someone else created keeps
 * everything else it had. Pure: the comment's text format.
 *
 * <pre>
 *   pg_trickle cdc-consumer: created=true added=16384,16390
 * </pre>
 *
 * @param created whether the consumer created the publication (decommission drops it)
 * @param added the OIDs of the tables the consumer added
 */
public record PublicationRecord(boolean created, Set<Long> added) {

  private static final String HEAD = "pg_trickle cdc-consumer:";
  private static final Pattern FORMAT =
      Pattern.compile(Pattern.quote(HEAD) + " created=(true|false) added=([0-9,]*)");

  /** Takes a sorted, unmodifiable copy of {@code added}. */
  public PublicationRecord {
    added = Set.copyOf(new TreeSet<>(added));
  }

  /**
   * Reads a publication's comment.
   *
   * @param comment the comment, or {@code null}
   * @return the record; a publication without one was neither created nor extended by the consumer
   */
  public static PublicationRecord parse(String comment) {
    if (comment == null) {
      return new PublicationRecord(false, Set.of());
    }
    Matcher m = FORMAT.matcher(comment.trim());
    if (!m.matches()) {
      return new PublicationRecord(false, Set.of());
    }
    Set<Long> added = new TreeSet<>();
    for (String oid : m.group(2).split(",")) {
      if (!oid.isEmpty()) {
        added.add(Long.parseLong(oid));
      }
    }
    return new PublicationRecord(Boolean.parseBoolean(m.group(1)), added);
  }

  /**
   * The comment text.
   *
   * @return e.g. {@code pg_trickle cdc-consumer: created=true added=16384,16390}
   */
  public String format() {
    return HEAD
        + " created="
        + created
        + " added="
        + new TreeSet<>(added).stream().map(String::valueOf).collect(Collectors.joining(","));
  }

  /**
   * This record with {@code oid} added.
   *
   * @param oid a table OID
   * @return the new record
   */
  public PublicationRecord with(long oid) {
    Set<Long> more = new TreeSet<>(added);
    more.add(oid);
    return new PublicationRecord(created, more);
  }

  /**
   * This record without {@code oid}.
   *
   * @param oid a table OID
   * @return the new record
   */
  public PublicationRecord without(long oid) {
    Set<Long> fewer = new TreeSet<>(added);
    fewer.remove(oid);
    return new PublicationRecord(created, fewer);
  }
}

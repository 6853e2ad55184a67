package io.pgtrickle.cdc.pgoutput;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The logical decoding message by which a consumer records a gap in its own stream: emitted with
 * {@code pg_logical_emit_message(true, 'pgtrickle_cdc', 'gap slot=<slot> sources=<oid>,<oid>')} in
 * a transaction of its own, it comes back through the slot in commit order with the changes, and
 * {@link TransactionAssembler} turns it into one {@code GAP} change event per source at the
 * message's position. Every slot decodes every message, so a marker names the slot it is for and
 * other consumers ignore it. Pure: the text format only.
 */
public final class GapMarkers {

  /** The prefix of the consumer's logical decoding messages. */
  public static final String PREFIX = "pgtrickle_cdc";

  private static final String HEAD = "gap slot=";
  private static final String SOURCES = " sources=";

  private GapMarkers() {}

  /**
   * The message content recording a gap of {@code sources} for {@code slot}.
   *
   * @param slot the slot whose consumer is to publish the GAP events
   * @param sources the source table OIDs, at least one
   * @return the content, e.g. {@code gap slot=pgtrickle_cdc_0 sources=16384,16390}
   */
  public static String format(String slot, Collection<Long> sources) {
    if (sources.isEmpty()) {
      throw new IllegalArgumentException("a gap marker needs at least one source");
    }
    return HEAD
        + slot
        + SOURCES
        + sources.stream().map(String::valueOf).collect(Collectors.joining(","));
  }

  /**
   * The sources a message records a gap for, if it is a gap marker for {@code slot}.
   *
   * @param slot this consumer's slot
   * @param prefix the message's prefix
   * @param content the message's content
   * @return the source OIDs, in the order given; empty if the message is not a gap marker for this
   *     slot (another consumer's, another prefix, or malformed)
   */
  public static List<Long> sources(String slot, String prefix, byte[] content) {
    List<Long> out = new ArrayList<>();
    if (!PREFIX.equals(prefix) || slot == null) {
      return out;
    }
    String text = new String(content, StandardCharsets.UTF_8);
    String head = HEAD + slot + SOURCES;
    if (!text.startsWith(head)) {
      return out;
    }
    for (String oid : text.substring(head.length()).split(",")) {
      try {
        long value = Long.parseLong(oid.trim());
        if (value >= 0 && value <= 0xFFFF_FFFFL) {
          out.add(value);
        }
      } catch (NumberFormatException e) {
        return new ArrayList<>();
      }
    }
    return out;
  }
}

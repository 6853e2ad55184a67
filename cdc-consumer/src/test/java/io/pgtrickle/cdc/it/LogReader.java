package io.pgtrickle.cdc.it;

import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeLogBackend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a change log through one backend instance and keeps everything read per source: an
 * instance's {@code consume} continues where its previous call stopped, so a test that looks
 * several times sees the whole history this way.
 */
final class LogReader {

  private final ChangeLogBackend log;
  private final Map<Long, List<ChangeEvent>> bySource = new HashMap<>();

  LogReader(ChangeLogBackend log) {
    this.log = log;
  }

  /** Every event of the source read so far, after reading what is new. */
  synchronized List<ChangeEvent> events(long source) {
    List<ChangeEvent> all = bySource.computeIfAbsent(source, s -> new ArrayList<>());
    all.addAll(Consumers.readAll(log, source));
    return new ArrayList<>(all);
  }

  /** How many INSERT events of the source were read so far, after reading what is new. */
  long inserts(long source) {
    return events(source).stream()
        .filter(e -> e.action() == io.pgtrickle.changelog.ChangeAction.INSERT)
        .count();
  }

  /** {@link ExactlyOnceIT#history} of the source so far. */
  List<String> history(long source) {
    return ExactlyOnceIT.history(events(source));
  }

  /** Waits until the source's changes, GAP events left out, are {@code expected}. */
  void awaitChanges(long source, List<String> expected) {
    Consumers.await(
        "changes " + expected + " of source " + source,
        Duration.ofSeconds(30),
        () -> changes(source).size() >= expected.size());
    org.assertj.core.api.Assertions.assertThat(changes(source))
        .as("source %d", source)
        .isEqualTo(expected);
  }

  private List<String> changes(long source) {
    return history(source).stream().filter(h -> !h.equals("GAP")).toList();
  }

  /** Waits until the source's history is {@code expected} (fails on anything else). */
  void await(long source, List<String> expected) {
    Consumers.await(
        "history " + expected + " of source " + source + " (so far " + history(source) + ")",
        Duration.ofSeconds(30),
        () -> events(source).size() >= expected.size());
    org.assertj.core.api.Assertions.assertThat(history(source))
        .as("source %d", source)
        .isEqualTo(expected);
  }
}

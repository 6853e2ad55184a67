package io.pgtrickle.operator.streams;

import io.pgtrickle.operator.streams.changelog.ChangeLogLifecycle;
import io.pgtrickle.operator.streams.changelog.ChangeLogLifecycle.ChangeLogException;
import io.pgtrickle.operator.streams.db.DatabaseEndpoint;
import io.pgtrickle.operator.streams.spec.ChangeLogTarget;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The change logs this operator created, so that a pipeline's is opened again (to check that it
 * still exists and answers) at most once a minute or when its settings change, not on every
 * reconcile.
 */
final class ChangeLogs {

  static final Duration RECHECK = Duration.ofMinutes(1);

  /** How soon a change log short of copies is looked at again, to see them catch up. */
  static final Duration RECHECK_SHORT = Duration.ofSeconds(15);

  private record Checked(ChangeLogTarget target, Instant at, String shortfall) {}

  /**
   * Why a change log is not ready.
   *
   * @param reason the {@code ChangeLogReady} condition's reason: {@link
   *     ChangeLogException#UNREACHABLE}, {@link ChangeLogException#SETTING_REFUSED} or {@link
   *     ChangeLogException#UNAVAILABLE}
   * @param message what failed, naming the change log and the setting at fault
   */
  record Problem(String reason, String message) {}

  private final Map<String, Checked> checked = new ConcurrentHashMap<>();

  /**
   * Makes sure the change log exists.
   *
   * @param uid the resource's uid
   * @return null when it is ready, else why not
   */
  Problem ensure(String uid, ChangeLogTarget target, DatabaseEndpoint db, Instant now) {
    Checked last = checked.get(uid);
    if (last != null
        && last.target().equals(target)
        && now.isBefore(last.at().plus(last.shortfall() == null ? RECHECK : RECHECK_SHORT))) {
      return null;
    }
    try {
      String shortfall = ChangeLogLifecycle.ensure(target, db).orElse(null);
      checked.put(uid, new Checked(target, now, shortfall));
      return null;
    } catch (ChangeLogException e) {
      checked.remove(uid);
      return new Problem(e.reason(), e.getMessage());
    }
  }

  /**
   * Which copies of a ready change log were missing or behind at its last check.
   *
   * @param uid the resource's uid
   * @return the {@code ChangeLogReady} message for reason {@link
   *     ChangeLogException#UNDER_REPLICATED}, or null when every copy was in sync (or it is not
   *     ready)
   */
  String shortfall(String uid) {
    Checked last = checked.get(uid);
    return last == null ? null : last.shortfall();
  }

  /** Whether the change log was created (or found) by this operator since it started. */
  boolean known(String uid) {
    return checked.containsKey(uid);
  }

  void forget(String uid) {
    checked.remove(uid);
  }
}

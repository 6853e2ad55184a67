package io.pgtrickle.operator.storage;

import io.fabric8.kubernetes.api.model.Condition;
import io.pgtrickle.operator.status.Conditions;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The cluster's condition {@value #TYPE}: whether every member's data volume has room left, from
 * the members' {@link VolumeSpace.Reading}s ({@link VolumeSpace#level} decides). Pure.
 *
 * <ul>
 *   <li>True, {@value #SUFFICIENT}: every measured volume has at least {@value
 *       VolumeSpace#LOW_PERCENT}% free;
 *   <li>False, {@value #LOW}: a volume has less; the message names the member(s) with used,
 *       capacity and free space, and the ways out (raise {@code spec.storage.size}, or free space);
 *   <li>False, {@value #FULL}: a volume has less than {@value VolumeSpace#FULL_PERCENT}% or {@link
 *       VolumeSpace#FULL_FLOOR} free: PostgreSQL stops writing soon, or has;
 *   <li>Unknown, {@value #NOT_MEASURED}: no member's volume could be measured yet.
 * </ul>
 *
 * A member that cannot be measured now keeps its last reading, and the message says since when; the
 * {@code Storage} condition ({@link StorageCondition}) is a separate matter: whether the volumes
 * have the size the spec asks.
 */
public final class VolumeSpaceCondition {

  public static final String TYPE = "VolumeSpace";
  public static final String SUFFICIENT = "Sufficient";
  public static final String LOW = "Low";
  public static final String FULL = "Full";
  public static final String NOT_MEASURED = "NotMeasured";

  private static final String WAY_OUT =
      "Raise spec.storage.size (the operator grows the volumes when their StorageClass allows"
          + " volume expansion; condition Storage shows the progress), or free space: drop or"
          + " truncate what is not needed (VACUUM FULL gives the space of deleted rows back to the"
          + " file system, plain VACUUM only for reuse), and look at pg_wal: a write burst fills it up"
          + " to max_wal_size and beyond while a replication slot (a lagging replica or CDC"
          + " consumer, or an inactive slot) or a failing archive (condition ContinuousArchiving)"
          + " holds it";

  private VolumeSpaceCondition() {}

  /**
   * One member's volume as this round knows it.
   *
   * @param name the member (pod) name
   * @param reading its latest reading, or null when it was never measured
   * @param measuredAt when {@code reading} was taken
   * @param problem why it could not be measured this round, or null when it was
   */
  public record Member(
      String name, VolumeSpace.Reading reading, Instant measuredAt, String problem) {

    /** A member measured this round. */
    public static Member measured(VolumeSpace.Reading reading, Instant at) {
      return new Member(reading.member(), reading, at, null);
    }

    /**
     * A member not measured this round, for {@code problem}: with its last reading ({@code before}
     * null when there is none), or without when its container runs (exec failed); empty for a
     * member never measured whose container does not run yet (a member starting up).
     */
    public static Optional<Member> notMeasured(
        String name, Member before, boolean containerRunning, String problem) {
      if (before != null && before.reading() != null) {
        return Optional.of(new Member(name, before.reading(), before.measuredAt(), problem));
      }
      return containerRunning
          ? Optional.of(new Member(name, null, null, problem))
          : Optional.empty();
    }
  }

  /**
   * {@code conditions} with {@value #TYPE} set from the members, or unchanged when there is none
   * (no member runs yet).
   */
  public static List<Condition> with(
      List<Condition> conditions, List<Member> members, long generation, Instant now) {
    if (members.isEmpty()) {
      return conditions;
    }
    List<Member> read = members.stream().filter(m -> m.reading() != null).toList();
    String unmeasured = unmeasured(members);
    if (read.isEmpty()) {
      return Conditions.unknown(
          conditions,
          TYPE,
          NOT_MEASURED,
          "No member's data volume could be measured yet: " + unmeasured,
          generation,
          now);
    }
    VolumeSpace.Level worst =
        read.stream()
            .map(m -> VolumeSpace.level(m.reading()))
            .max(Enum::compareTo)
            .orElse(VolumeSpace.Level.SUFFICIENT);
    String tail = unmeasured.isEmpty() ? "" : ". Not measured now: " + unmeasured;
    if (worst == VolumeSpace.Level.SUFFICIENT) {
      return Conditions.with(
          conditions,
          TYPE,
          true,
          SUFFICIENT,
          "Every member's data volume has room: " + figures(read) + tail,
          generation,
          now);
    }
    List<Member> low = read.stream().filter(m -> VolumeSpace.level(m.reading()) == worst).toList();
    List<Member> others =
        read.stream().filter(m -> VolumeSpace.level(m.reading()) != worst).toList();
    boolean plural = low.size() > 1;
    String subject =
        (plural ? "The data volumes of " : "The data volume of ")
            + names(low.stream().map(Member::name).toList())
            + (plural ? " are" : " is");
    String message =
        worst == VolumeSpace.Level.FULL
            ? subject
                + " full (less than "
                + VolumeSpace.FULL_PERCENT
                + "% or "
                + VolumeSpace.human(VolumeSpace.FULL_FLOOR)
                + " free): "
                + figures(low)
                + ". PostgreSQL stops with \"No space left on device\" once nothing is left. "
                + WAY_OUT
            : subject
                + " nearly full (less than "
                + VolumeSpace.LOW_PERCENT
                + "% free): "
                + figures(low)
                + ". "
                + WAY_OUT;
    if (!others.isEmpty()) {
      message += ". Other members: " + figures(others);
    }
    return Conditions.with(
        conditions,
        TYPE,
        false,
        worst == VolumeSpace.Level.FULL ? FULL : LOW,
        message + tail,
        generation,
        now);
  }

  /**
   * The Warning Event's reason when the volumes got worse from {@code before} to {@code after}
   * (into Low, or into Full), else empty: {@code VolumeSpaceLow} or {@code VolumeSpaceFull}.
   */
  public static Optional<String> warning(List<Condition> before, List<Condition> after) {
    String was = Conditions.find(before, TYPE).map(Condition::getReason).orElse("");
    String is = Conditions.find(after, TYPE).map(Condition::getReason).orElse("");
    if (is.equals(was) || !(is.equals(LOW) || is.equals(FULL))) {
      return Optional.empty();
    }
    if (is.equals(LOW) && was.equals(FULL)) {
      return Optional.empty();
    }
    return Optional.of(TYPE + is);
  }

  /** "db-0 262 MiB of 300 MiB used (87%), 38 MiB free; db-1 ..." */
  private static String figures(List<Member> members) {
    return members.stream()
        .map(
            m -> {
              VolumeSpace.Reading r = m.reading();
              return m.name()
                  + " "
                  + VolumeSpace.human(r.used())
                  + " of "
                  + VolumeSpace.human(r.capacity())
                  + " used ("
                  + VolumeSpace.percentUsed(r)
                  + "%), "
                  + VolumeSpace.human(r.available())
                  + " free";
            })
        .collect(Collectors.joining("; "));
  }

  /** The members not measured this round, each with why and what is reported of it instead. */
  private static String unmeasured(List<Member> members) {
    List<String> parts = new ArrayList<>();
    for (Member m : members) {
      if (m.problem() == null) {
        continue;
      }
      parts.add(
          m.name()
              + " ("
              + m.problem()
              + (m.reading() == null
                  ? "; never measured)"
                  : "; its figures are from "
                      + m.measuredAt().truncatedTo(ChronoUnit.SECONDS)
                      + ")"));
    }
    return String.join(", ", parts);
  }

  private static String names(List<String> names) {
    return names.size() == 1
        ? names.get(0)
        : String.join(", ", names.subList(0, names.size() - 1))
            + " and "
            + names.get(names.size() - 1);
  }
}

package io.pgtrickle.operator.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class VolumeSpaceConditionTest {

  private static final Instant NOW = Instant.parse("2026-12-07T09:00:00Z");
  private static final long MIB = 1024 * 1024;

  @Test
  void roomOnEveryVolumeIsSufficientWithTheFigures() {
    Condition c =
        only(
            VolumeSpaceCondition.with(
                List.of(), List.of(measured("db-0", 60), measured("db-1", 70)), 4, NOW));
    assertThat(c.getType()).isEqualTo("VolumeSpace");
    assertThat(c.getStatus()).isEqualTo("True");
    assertThat(c.getReason()).isEqualTo(VolumeSpaceCondition.SUFFICIENT);
    assertThat(c.getObservedGeneration()).isEqualTo(4L);
    assertThat(c.getMessage())
        .isEqualTo(
            "Every member's data volume has room: db-0 60 MiB of 300 MiB used (20%), 240 MiB"
                + " free; db-1 70 MiB of 300 MiB used (23%), 230 MiB free");
  }

  @Test
  void aLowVolumeNamesItsMemberTheFiguresAndTheWayOut() {
    Condition c =
        only(
            VolumeSpaceCondition.with(
                List.of(), List.of(measured("db-0", 262), measured("db-1", 70)), 4, NOW));
    assertThat(c.getStatus()).isEqualTo("False");
    assertThat(c.getReason()).isEqualTo(VolumeSpaceCondition.LOW);
    assertThat(c.getMessage())
        .startsWith(
            "The data volume of db-0 is nearly full (less than 15% free): db-0 262 MiB of 300 MiB"
                + " used (87%), 38 MiB free. Raise spec.storage.size")
        .contains("StorageClass allows volume expansion")
        .contains("free space")
        .endsWith("Other members: db-1 70 MiB of 300 MiB used (23%), 230 MiB free");
  }

  @Test
  void theWorstLevelWinsAndSharesItsMembers() {
    Condition c =
        only(
            VolumeSpaceCondition.with(
                List.of(),
                List.of(measured("db-0", 295), measured("db-1", 262), measured("db-2", 299)),
                4,
                NOW));
    assertThat(c.getReason()).isEqualTo(VolumeSpaceCondition.FULL);
    assertThat(c.getMessage())
        .startsWith("The data volumes of db-0 and db-2 are full (less than 3% or 32 MiB free)")
        .contains("No space left on device")
        .contains("Other members: db-1 262 MiB");
  }

  @Test
  void aMemberNotMeasuredNowKeepsItsLastReadingAndSaysSo() {
    Instant earlier = NOW.minusSeconds(120);
    VolumeSpaceCondition.Member stale =
        new VolumeSpaceCondition.Member(
            "db-1", reading("db-1", 262), earlier, "its PostgreSQL container is not running");
    Condition c =
        only(VolumeSpaceCondition.with(List.of(), List.of(measured("db-0", 60), stale), 4, NOW));
    assertThat(c.getReason()).isEqualTo(VolumeSpaceCondition.LOW);
    assertThat(c.getMessage())
        .contains("The data volume of db-1 is nearly full")
        .endsWith(
            "Not measured now: db-1 (its PostgreSQL container is not running; its figures are"
                + " from 2026-12-07T08:58:00Z)");
  }

  @Test
  void aMemberNotMeasuredKeepsItsLastReadingAndAStartingOneIsLeftOut() {
    VolumeSpaceCondition.Member last = measured("db-1", 262);
    assertThat(VolumeSpaceCondition.Member.notMeasured("db-1", last, false, "not running"))
        .contains(new VolumeSpaceCondition.Member("db-1", last.reading(), NOW, "not running"));
    assertThat(VolumeSpaceCondition.Member.notMeasured("db-1", last, true, "exec timed out"))
        .contains(new VolumeSpaceCondition.Member("db-1", last.reading(), NOW, "exec timed out"));
    assertThat(VolumeSpaceCondition.Member.notMeasured("db-1", null, true, "exec refused"))
        .contains(new VolumeSpaceCondition.Member("db-1", null, null, "exec refused"));
    assertThat(VolumeSpaceCondition.Member.notMeasured("db-1", null, false, "not running"))
        .isEmpty();
    // A member left with only a problem last round and still not measured: no reading to keep.
    VolumeSpaceCondition.Member never = new VolumeSpaceCondition.Member("db-1", null, null, "x");
    assertThat(VolumeSpaceCondition.Member.notMeasured("db-1", never, false, "y")).isEmpty();
  }

  @Test
  void nothingMeasuredYetIsUnknownAndNoMemberLeavesTheConditionAsItIs() {
    Condition c =
        only(
            VolumeSpaceCondition.with(
                List.of(),
                List.of(new VolumeSpaceCondition.Member("db-0", null, null, "exec refused")),
                4,
                NOW));
    assertThat(c.getStatus()).isEqualTo("Unknown");
    assertThat(c.getReason()).isEqualTo(VolumeSpaceCondition.NOT_MEASURED);
    assertThat(c.getMessage()).contains("db-0 (exec refused; never measured)");
    List<Condition> before = List.of(c);
    assertThat(VolumeSpaceCondition.with(before, List.of(), 4, NOW)).isSameAs(before);
  }

  @Test
  void theTransitionTimeMovesOnlyWithTheStatus() {
    List<Condition> low =
        VolumeSpaceCondition.with(List.of(), List.of(measured("db-0", 262)), 4, NOW);
    List<Condition> full =
        VolumeSpaceCondition.with(low, List.of(measured("db-0", 295)), 4, NOW.plusSeconds(60));
    assertThat(only(full).getLastTransitionTime()).isEqualTo(only(low).getLastTransitionTime());
    List<Condition> sufficient =
        VolumeSpaceCondition.with(full, List.of(measured("db-0", 60)), 4, NOW.plusSeconds(120));
    assertThat(only(sufficient).getLastTransitionTime()).isEqualTo("2026-12-07T09:02:00Z");
  }

  @Test
  void aWarningWhenAVolumeBecomesLowOrFullNotWhenItStaysOrRecovers() {
    List<Condition> none = List.of();
    List<Condition> ok = VolumeSpaceCondition.with(none, List.of(measured("db-0", 60)), 4, NOW);
    List<Condition> low = VolumeSpaceCondition.with(ok, List.of(measured("db-0", 262)), 4, NOW);
    List<Condition> full = VolumeSpaceCondition.with(low, List.of(measured("db-0", 295)), 4, NOW);
    assertThat(VolumeSpaceCondition.warning(none, ok)).isEmpty();
    assertThat(VolumeSpaceCondition.warning(ok, low)).contains("VolumeSpaceLow");
    assertThat(VolumeSpaceCondition.warning(none, low)).contains("VolumeSpaceLow");
    assertThat(VolumeSpaceCondition.warning(low, low)).isEmpty();
    assertThat(VolumeSpaceCondition.warning(low, full)).contains("VolumeSpaceFull");
    assertThat(VolumeSpaceCondition.warning(ok, full)).contains("VolumeSpaceFull");
    assertThat(VolumeSpaceCondition.warning(full, low)).isEmpty();
    assertThat(VolumeSpaceCondition.warning(full, ok)).isEmpty();
  }

  /** A 300 MiB host-directory volume with {@code usedMib} used. */
  private static VolumeSpace.Reading reading(String member, long usedMib) {
    return new VolumeSpace.Reading(member, usedMib * MIB, 300 * MIB, (300 - usedMib) * MIB, true);
  }

  private static VolumeSpaceCondition.Member measured(String member, long usedMib) {
    return VolumeSpaceCondition.Member.measured(reading(member, usedMib), NOW);
  }

  private static Condition only(List<Condition> conditions) {
    assertThat(conditions).hasSize(1);
    return conditions.get(0);
  }
}

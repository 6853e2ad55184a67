package io.pgtrickle.cdc.slot;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;

class StaleSlotCopiesTest {

  @Test
  void aStandbyConnectingFromTheHostsOwnLoopbackAddressIsNotAPlaceToConnectTo() {
    assertThat(StaleSlotCopies.isLoopbackHost("127.0.0.1")).isTrue();
    assertThat(StaleSlotCopies.isLoopbackHost("::1")).isTrue();
    // Pod addresses of the test bed are loopback too, but each is a server's own address.
    assertThat(StaleSlotCopies.isLoopbackHost("127.23.1.1")).isFalse();
    assertThat(StaleSlotCopies.isLoopbackHost("10.244.1.7")).isFalse();
  }

  @Test
  void membersResolveANameOnEachCallAndNoNameToNone() throws Exception {
    assertThat(StaleSlotCopies.Members.resolving("").addresses()).isEmpty();
    assertThat(StaleSlotCopies.Members.resolving("127.23.1.1").addresses())
        .containsExactly("127.23.1.1");
  }

  @Test
  void membersAreCheckedForAWhileAfterTheStandbyConnectionsChangeAndNotOtherwise() {
    CheckWindow window = new CheckWindow(Duration.ofSeconds(60));
    Instant t0 = Instant.parse("2026-11-22T03:00:00Z");
    assertThat(window.check(Set.of("101@t0"), t0)).as("the first look").isTrue();
    assertThat(window.check(Set.of("101@t0"), t0.plusSeconds(60))).isTrue();
    assertThat(window.check(Set.of("101@t0"), t0.plusSeconds(61))).as("steady").isFalse();
    // A member rejoins: a new walsender.
    assertThat(window.check(Set.of("101@t0", "205@t1"), t0.plusSeconds(90))).isTrue();
    assertThat(window.check(Set.of("101@t0", "205@t1"), t0.plusSeconds(150))).isTrue();
    assertThat(window.check(Set.of("101@t0", "205@t1"), t0.plusSeconds(151))).isFalse();
    // A member leaves (deleted, crashed): its successor connects later, so look again.
    assertThat(window.check(Set.of("101@t0"), t0.plusSeconds(200))).isTrue();
  }

  @Test
  void failoverSlotsDecideFrom17AndTheOptInBefore() {
    StaleSlotCopies.Policy failoverOnly = new StaleSlotCopies.Policy(true, false);
    assertThat(failoverOnly.appliesTo(170000)).isTrue();
    assertThat(failoverOnly.appliesTo(180001)).isTrue();
    assertThat(failoverOnly.appliesTo(160015)).as("the default before 17: nothing").isFalse();
    StaleSlotCopies.Policy before17Only = new StaleSlotCopies.Policy(false, true);
    assertThat(before17Only.appliesTo(160015)).isTrue();
    assertThat(before17Only.appliesTo(140023)).isTrue();
    assertThat(before17Only.appliesTo(170011)).as("17+: only with failover slots").isFalse();
    assertThat(failoverOnly.any()).isTrue();
    assertThat(before17Only.any()).isTrue();
    assertThat(new StaleSlotCopies.Policy(false, false).any()).isFalse();
  }
}

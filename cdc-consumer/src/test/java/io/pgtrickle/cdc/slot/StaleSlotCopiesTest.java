package io.pgtrickle.cdc.slot;

import static org.assertj.core.api.Assertions.assertThat;

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
}

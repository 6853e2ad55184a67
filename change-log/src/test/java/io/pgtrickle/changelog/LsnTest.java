package io.pgtrickle.changelog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LsnTest {

  @Test
  void rendersAndParsesLikePostgres() {
    assertThat(Lsn.parse("0/1A3B4C0").value()).isEqualTo(0x1A3B4C0L);
    assertThat(Lsn.of(0x1A3B4C0L)).hasToString("0/1A3B4C0");
    assertThat(Lsn.parse("16/B374D848")).hasToString("16/B374D848");
    assertThat(Lsn.parse("ffffffff/ffffffff")).hasToString("FFFFFFFF/FFFFFFFF");
    assertThat(Lsn.ZERO).hasToString("0/0");
  }

  @Test
  void comparesAsUnsigned() {
    Lsn high = Lsn.parse("FFFFFFFF/0");
    assertThat(high.value()).isNegative();
    assertThat(high).isGreaterThan(Lsn.parse("7FFFFFFF/FFFFFFFF"));
    assertThat(Lsn.parse("1/0")).isGreaterThan(Lsn.parse("0/FFFFFFFF"));
    assertThat(Lsn.max(Lsn.of(3), high)).isEqualTo(high);
    assertThat(Lsn.of(5).next()).isEqualTo(Lsn.of(6));
    assertThat(Lsn.of(5).isAfter(Lsn.of(4))).isTrue();
    assertThat(Lsn.parse("0/10")).isEqualTo(Lsn.of(16)).hasSameHashCodeAs(Lsn.of(16));
  }

  @Test
  void refusesMalformedText() {
    for (String bad : new String[] {"", "12", "/1", "1/", "1/2/3", "G/1", "123456789/0", "-1/0"}) {
      assertThatThrownBy(() -> Lsn.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> Lsn.parse("FFFFFFFF/FFFFFFFF").next())
        .isInstanceOf(ArithmeticException.class);
  }
}
